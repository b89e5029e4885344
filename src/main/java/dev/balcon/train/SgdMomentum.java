package dev.balcon.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import dev.balcon.BalconException;
import dev.balcon.InvalidField;
import dev.balcon.model.ArrayValues;
import dev.balcon.model.TorchScriptOps;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * SGD with heavy-ball momentum and decoupled-from-nothing L2 weight decay, with PyTorch's semantics
 * ({@code v = m v + (g + wd w); w -= lr v}). Written here rather than taken from DJL so that the momentum
 * buffers are ours to checkpoint: DJL's optimizers keep them private, which would make resume lossy.
 * Weight decay skips one-dimensional parameters (biases, batch-norm scales and shifts), as is usual
 * for SimCLR (solo-learn's exclude_bias_n_norm). The whole update runs in one native call (a TorchScript loop over
 * the parameters, {@code sgd_momentum_step.pt}): as a few DJL operations per parameter it took 8-11 ms of a
 * resnet-small step against PyTorch's 2-3 (docs/performance.md).
 */
public final class SgdMomentum {
    private static final String WEIGHTS = "weights[]";
    private static final String GRADIENTS = "gradients[]";
    private static final String VELOCITIES = "velocities[]";

    /** The parameters without weight decay first, then those with it (the module decays from {@link #decayFrom}). */
    private final List<Parameter> parameters;
    /** The momentum buffers in the caller's parameter order (as checkpoints store them). */
    private final List<NDArray> velocities;
    /** The same buffers in {@link #parameters}' order. */
    private final List<NDArray> velocitiesInUpdateOrder;
    private final int decayFrom;
    private final double momentum;
    private final double weightDecay;

    /**
     * @param parameters  the parameters to update, each with a zero velocity
     * @param momentum    the momentum m, in [0, 1) (config.json's optimizer.momentum)
     * @param weightDecay the L2 weight decay, finite and &gt;= 0 (config.json's optimizer.weightDecay)
     * @throws InvalidField naming the config.json field ({@code optimizer.momentum}, {@code optimizer.weightDecay})
     *     of a value out of range
     */
    public SgdMomentum(List<Parameter> parameters, double momentum, double weightDecay) {
        if (!(momentum >= 0 && momentum < 1)) {
            throw new InvalidField("optimizer.momentum", "must be in [0, 1), got " + momentum);
        }
        if (!(weightDecay >= 0) || !Double.isFinite(weightDecay)) {
            throw new InvalidField("optimizer.weightDecay", "must be a finite number >= 0, got " + weightDecay);
        }
        List<Parameter> ordered = new ArrayList<>();
        parameters.stream().filter(p -> !decayed(p)).forEach(ordered::add);
        this.decayFrom = ordered.size();
        parameters.stream().filter(SgdMomentum::decayed).forEach(ordered::add);
        this.parameters = List.copyOf(ordered);
        this.momentum = momentum;
        this.weightDecay = weightDecay;
        this.velocities = new ArrayList<>(parameters.size());
        java.util.Map<Parameter, NDArray> byParameter = new java.util.IdentityHashMap<>();
        for (Parameter parameter : parameters) {
            NDArray weight = parameter.getArray();
            NDArray velocity = weight.getManager().zeros(weight.getShape(), weight.getDataType(), weight.getDevice());
            velocity.setName(parameter.getName() + ".velocity");
            velocities.add(velocity);
            byParameter.put(parameter, velocity);
        }
        this.velocitiesInUpdateOrder = this.parameters.stream().map(byParameter::get).toList();
    }

    private static boolean decayed(Parameter parameter) {
        return parameter.getArray().getShape().dimension() > 1;
    }

    /** Applies one update from the gradients the last backward pass left on the parameters, and zeroes them. */
    public void step(double learningRate) {
        if (parameters.isEmpty()) {
            return;
        }
        NDArray first = parameters.get(0).getArray();
        // Every temporary, the gradient handles included, is attached to `scratch` and freed with it: a gradient handle
        // kept alive makes PyTorch allocate a fresh .grad on the next backward.
        try (NDManager scratch = first.getManager().newSubManager()) {
            int n = parameters.size();
            NDList inputs = new NDList(3 * n + 1);
            // DJL hands arrays named NAME[] to the module as one list per name (TorchScriptOps.forward)
            String[] names = new String[n];
            for (int i = 0; i < n; i++) {
                NDArray weight = parameters.get(i).getArray();
                names[i] = weight.getName();
                weight.setName(WEIGHTS);
                inputs.add(weight);
            }
            for (Parameter parameter : parameters) {
                NDArray gradient = parameter.getArray().getGradient();
                gradient.attach(scratch);
                gradient.setName(GRADIENTS);
                inputs.add(gradient);
            }
            String[] velocityNames = new String[n];
            for (int i = 0; i < n; i++) {
                NDArray velocity = velocitiesInUpdateOrder.get(i);
                velocityNames[i] = velocity.getName();
                velocity.setName(VELOCITIES);
                inputs.add(velocity);
            }
            // learning rate, momentum, weight decay, and the index of the first parameter it applies to (on the
            // parameters' device: `scratch` is a sub-manager of theirs)
            inputs.add(scratch.create(new double[] {learningRate, momentum, weightDecay, weightDecay > 0 ? decayFrom : n}));
            try {
                TorchScriptOps.forward("sgd_momentum_step.pt", inputs, scratch);
            } finally {
                for (int i = 0; i < n; i++) {
                    parameters.get(i).getArray().setName(names[i]);
                    velocitiesInUpdateOrder.get(i).setName(velocityNames[i]);
                }
            }
        }
    }

    public void save(DataOutputStream out) throws IOException {
        out.writeInt(velocities.size());
        for (NDArray velocity : velocities) {
            long[] shape = velocity.getShape().getShape();
            out.writeInt(shape.length);
            for (long dimension : shape) {
                out.writeLong(dimension);
            }
            float[] values = velocity.toType(DataType.FLOAT32, false).toFloatArray();
            for (float value : values) {
                out.writeFloat(value);
            }
        }
    }

    public void load(DataInputStream in) throws IOException {
        int count = in.readInt();
        if (count != velocities.size()) {
            throw new BalconException("checkpoint's optimizer state has " + count + " buffers, the model has "
                    + velocities.size() + " parameters: the checkpoint belongs to another architecture");
        }
        for (NDArray velocity : velocities) {
            int rank = in.readInt();
            if (rank != velocity.getShape().dimension()) {
                throw new BalconException("checkpoint's optimizer buffer " + velocity.getName() + " has " + rank
                        + " dimensions, expected " + velocity.getShape());
            }
            long[] shape = new long[rank];
            for (int d = 0; d < shape.length; d++) {
                shape[d] = in.readLong();
            }
            if (!new Shape(shape).equals(velocity.getShape())) {
                throw new BalconException("checkpoint's optimizer buffer " + velocity.getName() + " has shape "
                        + new Shape(shape) + ", expected " + velocity.getShape());
            }
            float[] values = new float[(int) velocity.size()];
            for (int j = 0; j < values.length; j++) {
                values[j] = in.readFloat();
            }
            ArrayValues.overwrite(velocity, values);
        }
    }
}
