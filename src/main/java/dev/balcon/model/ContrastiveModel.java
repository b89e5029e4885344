package dev.balcon.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.UniformInitializer;
import ai.djl.training.initializer.XavierInitializer;
import ai.djl.training.initializer.XavierInitializer.FactorType;
import ai.djl.training.initializer.XavierInitializer.RandomType;
import ai.djl.util.Pair;
import dev.balcon.BalconException;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The network every method trains (train/Method; the predictor and target of byol and simsiam are kept by the
 * method): a ResNet backbone (CIFAR stem, BasicBlocks, global average pooling) whose output
 * are the "backbone features" used for evaluation, and a 3-layer MLP projector whose output goes into the
 * method's loss.
 *
 * <p>Projector (SimCLR v2 style): {@code Linear(feat, hidden) -> BN -> ReLU -> Linear(hidden, hidden) ->
 * BN -> ReLU -> Linear(hidden, out)}. The two hidden linear layers have no bias (the batch norm after each
 * would cancel it); the output layer has a bias and no batch norm, so projections are not forced to zero
 * mean per dimension before the loss normalises them.
 *
 * <p>Initialisation follows torchvision's ResNet: convolutions kaiming-normal with fan-out (std
 * {@code sqrt(2 / (out * k * k))}), batch norm gamma 1 and beta 0, and linear layers PyTorch's default
 * {@code U(-1/sqrt(fan_in), 1/sqrt(fan_in))} for weights and the output bias.
 *
 * <p>Parameters live in a sub-manager of the manager given to {@link #create}. The arrays returned by the
 * forward methods are attached to the manager of the input images, so callers free them by closing a
 * per-batch manager; intermediate activations are closed inside the forward pass (what autograd saved for
 * the backward pass stays alive until then). Gradients accumulate across backward passes, as in PyTorch.
 */
public final class ContrastiveModel implements AutoCloseable {

    private static final long CHECKPOINT_MAGIC = 0x62616c636f6e4d31L; // "balconM1"

    private final ModelConfig config;
    private final NDManager parameterManager;
    private final Block backbone;
    private final Block projector;
    private final ParameterStore inferenceStore;
    private final List<Pair<String, Parameter>> namedParameters;
    private volatile Precision precision = Precision.FP32;

    private ContrastiveModel(ModelConfig config, Block backbone, Block projector, NDManager parameterManager) {
        this.config = config;
        this.backbone = backbone;
        this.projector = projector;
        this.parameterManager = parameterManager;
        this.inferenceStore = new ParameterStore(parameterManager, false);
        List<Pair<String, Parameter>> named = new ArrayList<>();
        backbone.getParameters().forEach(p -> named.add(new Pair<>("backbone." + p.getKey(), p.getValue())));
        projector.getParameters().forEach(p -> named.add(new Pair<>("projector." + p.getKey(), p.getValue())));
        this.namedParameters = List.copyOf(named);
    }

    /**
     * Builds the network and initialises its parameters deterministically from {@code seed}. This reseeds
     * the engine's global random generator ({@link Engine#setRandomSeed}), so models must not be created
     * concurrently with other users of that generator.
     *
     * @param height image height used for the initial shape inference (no parameter depends on it, so the
     *     model also accepts other sizes)
     * @param width image width used for the initial shape inference
     * @param manager the manager under which the parameters are allocated
     */
    public static ContrastiveModel create(ModelConfig config, int height, int width, NDManager manager, long seed) {
        if (height <= 0 || width <= 0) {
            throw new BalconException("image size must be > 0, got " + height + "x" + width);
        }
        Block backbone = buildBackbone(config);
        Block projector = buildProjector(config);
        NDManager parameterManager = manager.newSubManager();
        try {
            Engine.getInstance().setRandomSeed(Long.hashCode(seed));
            backbone.initialize(parameterManager, DataType.FLOAT32, new Shape(2, config.inChannels(), height, width));
            projector.initialize(parameterManager, DataType.FLOAT32, new Shape(2, config.featureDim()));
            return new ContrastiveModel(config, backbone, projector, parameterManager);
        } catch (RuntimeException e) {
            parameterManager.close();
            throw e;
        }
    }

    private static Block buildBackbone(ModelConfig config) {
        ResNetConfig resnet = config.backbone();
        SequentialBlock net = new ReleasingSequentialBlock()
                .add(BasicBlock.stemConv(resnet.stemWidth()))
                .add(new BatchNorm())
                .add(Activation.reluBlock());
        int channels = resnet.stemWidth();
        int[] widths = resnet.widths();
        int[] depths = resnet.depths();
        for (int stage = 0; stage < widths.length; stage++) {
            for (int block = 0; block < depths[stage]; block++) {
                int stride = stage > 0 && block == 0 ? 2 : 1;
                net.add(new BasicBlock(channels, widths[stage], stride));
                channels = widths[stage];
            }
        }
        net.add(GlobalAvgPool.block());
        // kaiming_normal_(mode="fan_out", nonlinearity="relu"), as torchvision initialises ResNet convolutions.
        net.setInitializer(new XavierInitializer(RandomType.GAUSSIAN, FactorType.OUT, 2f), Parameter.Type.WEIGHT);
        return net;
    }

    private static Block buildProjector(ModelConfig config) {
        Linear output = Linear.builder().setUnits(config.projectorOutDim()).optBias(true).build();
        // PyTorch's default Linear bias init: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
        output.setInitializer(
                new UniformInitializer((float) (1 / Math.sqrt(config.projectorHiddenDim()))), Parameter.Type.BIAS);
        SequentialBlock mlp = new ReleasingSequentialBlock()
                .add(Linear.builder().setUnits(config.projectorHiddenDim()).optBias(false).build())
                .add(new BatchNorm())
                .add(Activation.reluBlock())
                .add(Linear.builder().setUnits(config.projectorHiddenDim()).optBias(false).build())
                .add(new BatchNorm())
                .add(Activation.reluBlock())
                .add(output);
        // PyTorch's default Linear weight init, kaiming_uniform_(a=sqrt(5)) = U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
        mlp.setInitializer(new XavierInitializer(RandomType.UNIFORM, FactorType.IN, 1f), Parameter.Type.WEIGHT);
        return mlp;
    }

    /** The architecture this model was built from. */
    public ModelConfig config() {
        return config;
    }

    /** Length of the backbone feature vector. */
    public int featureDim() {
        return config.featureDim();
    }

    /**
     * Runs backbone and projector.
     *
     * @param images float32 images {@code [B, C, H, W]}
     * @param training true to normalise with batch statistics and update the batch-norm running statistics
     * @return {@code NDList(features [B, featureDim], projections [B, projectorOutDim])}, float32 whatever the
     *     {@link #precision()} (under bf16 both are cast back, differentiably, so the loss runs in float32)
     */
    public NDList forward(ParameterStore ps, NDArray images, boolean training) {
        checkImages(images);
        if (precision == Precision.BF16) {
            ParameterStore bf16 = new Bfloat16ParameterStore(ps, images.getManager());
            NDArray features = backbone.forward(bf16, new NDList(Bfloat16.toBfloat16(images)), training).singletonOrThrow();
            NDArray projections = projector.forward(bf16, new NDList(features), training).singletonOrThrow();
            NDList float32 = new NDList(Bfloat16.toFloat32(features), Bfloat16.toFloat32(projections));
            features.close();
            projections.close();
            return float32;
        }
        NDArray features = backbone.forward(ps, new NDList(images), training).singletonOrThrow();
        NDArray projections = projector.forward(ps, new NDList(features), training).singletonOrThrow();
        return new NDList(features, projections);
    }

    /** Backbone features {@code [B, featureDim]} (float32) of images {@code [B, C, H, W]} in inference mode. */
    public NDArray features(NDArray images) {
        checkImages(images);
        if (precision == Precision.BF16) {
            ParameterStore bf16 = new Bfloat16ParameterStore(inferenceStore, images.getManager());
            try (NDArray features = backbone.forward(bf16, new NDList(Bfloat16.toBfloat16(images)), false)
                    .singletonOrThrow()) {
                return Bfloat16.toFloat32(features);
            }
        }
        return backbone.forward(inferenceStore, new NDList(images), false).singletonOrThrow();
    }

    /** The number format of the forward passes from now on; {@link Precision#FP32} until set. */
    public Precision precision() {
        return precision;
    }

    /**
     * Sets the number format of the forward passes ({@link Precision}); the parameters stay float32 either way, so a
     * model may change precision between steps and its checkpoints do not depend on it. A reduced precision is first
     * tried in a separate process ({@link PrecisionProbe}), once per JVM.
     *
     * @throws dev.balcon.BalconException if the precision does not work with this engine
     */
    public void setPrecision(Precision precision) {
        PrecisionProbe.requireSupported(precision);
        setPrecisionUnchecked(precision);
    }

    /** {@link #setPrecision} without the trial in a separate process (for that trial itself). */
    void setPrecisionUnchecked(Precision precision) {
        this.precision = java.util.Objects.requireNonNull(precision, "precision");
    }

    /** Projections {@code [B, projectorOutDim]} of images {@code [B, C, H, W]} in inference mode. */
    public NDArray project(NDArray images) {
        return forward(inferenceStore, images, false).get(1);
    }

    /** The parameters updated by gradient descent (all but the batch-norm running statistics), in a stable order. */
    public List<Parameter> trainableParameters() {
        return namedParameters.stream().map(Pair::getValue).filter(Parameter::requiresGradient).toList();
    }

    /**
     * Every parameter, batch-norm running statistics included, in a stable order, named {@code "backbone."} or
     * {@code "projector."} followed by DJL's parameter name (e.g. {@code backbone.02BatchNorm_runningMean}).
     */
    public List<Pair<String, Parameter>> namedParameters() {
        return namedParameters;
    }

    /** Number of trainable scalars in backbone and projector. */
    public long parameterCount() {
        return countTrainable(namedParameters.stream().map(Pair::getValue).toList());
    }

    /** Number of trainable scalars in the backbone alone. */
    public long backboneParameterCount() {
        return countTrainable(backbone.getParameters().values());
    }

    /** Number of parameter values, batch-norm running statistics included, that are NaN or infinite. */
    public long nonFiniteParameterValues() {
        return NamedParameters.nonFinite(namedParameters);
    }

    private static long countTrainable(List<Parameter> parameters) {
        return parameters.stream()
                .filter(Parameter::requiresGradient)
                .mapToLong(p -> p.getArray().size())
                .sum();
    }

    /**
     * Writes every parameter, including batch-norm running statistics, with the architecture
     * description so that {@link #loadParameters} can refuse a checkpoint of another architecture.
     */
    public void saveParameters(DataOutputStream out) throws IOException {
        out.writeLong(CHECKPOINT_MAGIC);
        out.writeUTF(config.toString());
        NamedParameters.write(out, namedParameters);
        out.flush();
    }

    /**
     * Replaces every parameter with the values written by {@link #saveParameters}; nothing is changed
     * unless the whole checkpoint matches this model.
     *
     * @throws BalconException if the checkpoint was written by a model of another architecture
     */
    public void loadParameters(DataInputStream in) throws IOException {
        if (in.readLong() != CHECKPOINT_MAGIC) {
            throw NamedParameters.mismatch("model", "not a balcon model checkpoint");
        }
        String architecture = in.readUTF();
        if (!architecture.equals(config.toString())) {
            throw NamedParameters.mismatch("model", "checkpoint is " + architecture + "; model is " + config);
        }
        NamedParameters.read(in, namedParameters, "model");
    }

    private void checkImages(NDArray images) {
        Shape shape = images.getShape();
        if (shape.dimension() != 4 || shape.get(1) != config.inChannels()) {
            throw new BalconException("images must have shape [B, " + config.inChannels() + ", H, W], got " + shape);
        }
    }

    /** Frees the parameters. */
    @Override
    public void close() {
        parameterManager.close();
    }
}
