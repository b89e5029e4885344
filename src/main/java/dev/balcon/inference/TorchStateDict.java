package dev.balcon.inference;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import dev.balcon.BalconException;
import dev.balcon.model.ArrayValues;
import dev.balcon.model.ContrastiveModel;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@link ContrastiveModel}'s parameters under the names PyTorch's {@code state_dict()} gives the same network
 * in bench/peer_simclr.py: {@code backbone.0} the stem convolution, {@code backbone.1} its batch norm,
 * {@code backbone.3, 4, ...} the BasicBlocks ({@code conv1, bn1, conv2, bn2, shortcut.0, shortcut.1}), and
 * {@code projector.0, 1, 3, 4, 6} the projector's linear and batch-norm layers (ReLU, pooling and flatten hold
 * no parameters but keep their indices). Batch norm's gamma and beta are PyTorch's {@code weight} and
 * {@code bias}; every batch norm also has PyTorch's int64 scalar {@code num_batches_tracked}.
 */
final class TorchStateDict {
    /** "backbone.04BasicBlock_01residual_02BatchNorm_gamma": DJL numbers the children of a sequential block from 1. */
    private static final Pattern TOP_LEVEL = Pattern.compile("(backbone|projector)\\.(\\d{2})(Conv2d|BatchNorm|Linear|BasicBlock)_(.+)");
    private static final Pattern IN_BLOCK = Pattern.compile("(\\d{2})(residual|shortcut)_(\\d{2})(Conv2d|BatchNorm)_(.+)");
    private static final Map<String, String> PARAMETER_NAMES = Map.of("weight", "weight", "bias", "bias",
            "gamma", "weight", "beta", "bias", "runningMean", "running_mean", "runningVar", "running_var");
    /** The residual branch's children (conv, bn, relu, conv, bn) under the names of the peer's BasicBlock. */
    private static final Map<Integer, String> RESIDUAL_NAMES = Map.of(1, "conv1", 2, "bn1", 4, "conv2", 5, "bn2");
    static final String BATCHES_TRACKED = "num_batches_tracked";

    private TorchStateDict() {}

    /** The PyTorch name of the parameter {@link ContrastiveModel#namedParameters()} calls {@code djlName}. */
    static String torchName(String djlName) {
        Matcher top = TOP_LEVEL.matcher(djlName);
        if (!top.matches()) {
            throw new IllegalStateException("no PyTorch name for parameter " + djlName);
        }
        String prefix = top.group(1) + "." + (Integer.parseInt(top.group(2)) - 1) + ".";
        if (!top.group(3).equals("BasicBlock")) {
            return prefix + parameterName(top.group(4), djlName);
        }
        Matcher inBlock = IN_BLOCK.matcher(top.group(4));
        if (!inBlock.matches()) {
            throw new IllegalStateException("no PyTorch name for parameter " + djlName);
        }
        int child = Integer.parseInt(inBlock.group(3));
        String layer = inBlock.group(2).equals("shortcut") ? "shortcut." + (child - 1) : RESIDUAL_NAMES.get(child);
        if (layer == null) {
            throw new IllegalStateException("no PyTorch name for parameter " + djlName);
        }
        return prefix + layer + "." + parameterName(inBlock.group(5), djlName);
    }

    private static String parameterName(String djlParameter, String djlName) {
        String name = PARAMETER_NAMES.get(djlParameter);
        if (name == null) {
            throw new IllegalStateException("no PyTorch name for parameter " + djlName);
        }
        return name;
    }

    /**
     * Copies of every parameter as named float32 arrays in the model's order, each batch norm's
     * {@code running_var} followed by its int64 scalar {@code num_batches_tracked}.
     *
     * @param batchesTracked training batches the batch norms have seen (the run's optimizer steps)
     */
    static NDList of(ContrastiveModel model, long batchesTracked, NDManager manager) {
        NDList tensors = new NDList();
        for (Pair<String, Parameter> named : model.namedParameters()) {
            String name = torchName(named.getKey());
            NDArray copy = named.getValue().getArray().toType(DataType.FLOAT32, true);
            copy.attach(manager);
            copy.setName(name);
            tensors.add(copy);
            if (name.endsWith(".running_var")) {
                NDArray tracked = manager.create(batchesTracked);
                tracked.setName(name.substring(0, name.length() - "running_var".length()) + BATCHES_TRACKED);
                tensors.add(tracked);
            }
        }
        return tensors;
    }

    /**
     * Replaces every parameter of {@code model} with the tensor of its PyTorch name in {@code tensors}; nothing
     * is changed unless all of them are present with the model's shapes and float32.
     *
     * @param file where the tensors came from, for the error message
     * @throws BalconException if a tensor is missing, of another shape or type, or not a parameter of the model
     */
    static void load(NDList tensors, ContrastiveModel model, Path file) {
        Map<String, NDArray> byName = new HashMap<>();
        for (NDArray tensor : tensors) {
            byName.put(tensor.getName(), tensor);
        }
        List<Pair<String, Parameter>> parameters = model.namedParameters();
        Set<String> expected = new HashSet<>();
        for (Pair<String, Parameter> named : parameters) {
            String name = torchName(named.getKey());
            expected.add(name);
            NDArray tensor = byName.get(name);
            if (tensor == null) {
                throw new BalconException(file + " has no tensor " + name + ": expected the weights of "
                        + model.config());
            }
            NDArray parameter = named.getValue().getArray();
            if (!tensor.getShape().equals(parameter.getShape()) || tensor.getDataType() != DataType.FLOAT32) {
                throw new BalconException(file + ": tensor " + name + " is " + tensor.getDataType() + " "
                        + tensor.getShape() + ", expected float32 " + parameter.getShape() + " for " + model.config());
            }
            if (name.endsWith(".running_var")) {
                expected.add(name.substring(0, name.length() - "running_var".length()) + BATCHES_TRACKED);
            }
        }
        for (String name : byName.keySet()) {
            if (!expected.contains(name)) {
                throw new BalconException(file + " has tensor " + name + ", which " + model.config() + " does not have");
            }
        }
        for (Pair<String, Parameter> named : parameters) {
            ArrayValues.overwrite(named.getValue().getArray(), byName.get(torchName(named.getKey())).toFloatArray());
        }
    }
}
