package dev.balcon.model;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * Batch norm over axis 1 of a {@code [B, C]} or {@code [B, C, H, W]} input with PyTorch's defaults (eps 1e-5, running
 * statistics updated with weight 0.1 per batch; {@code torch.nn.BatchNorm1d/2d}), calling libtorch's
 * {@code batch_norm} directly. DJL 0.35.1's {@code BatchNorm} wraps that call in two {@code transpose(1, axis)} views,
 * so its output is a view: an in-place operation on it (the residual add) then makes autograd rebuild the whole base
 * gradient ({@code CopySlices}) in the default memory format, and every later backward kernel reorders it back to
 * channels-last; on the resnet-small w16 bf16 step that cost about a third of the backward pass
 * (docs/performance.md, "Batch norm without views"). The parameters, their names ({@code gamma}, {@code beta},
 * {@code runningMean}, {@code runningVar}), the block's name and its saved bytes are DJL's, so checkpoints and exports
 * written with DJL's block load unchanged. Inputs may be float32 or bfloat16; the parameters stay float32.
 */
final class BatchNorm extends AbstractBlock {
    private static final byte VERSION = 2; // DJL's BatchNorm format: input shapes, then the channel count
    private static final double MOMENTUM = 0.1;
    private static final double EPSILON = 1e-5;

    private final Parameter gamma;
    private final Parameter beta;
    private final Parameter runningMean;
    private final Parameter runningVar;
    private long channels;

    BatchNorm() {
        super(VERSION);
        gamma = addParameter(Parameter.builder().setName("gamma").setType(Parameter.Type.GAMMA).build());
        beta = addParameter(Parameter.builder().setName("beta").setType(Parameter.Type.BETA).build());
        runningMean = addParameter(Parameter.builder().setName("runningMean").setType(Parameter.Type.RUNNING_MEAN)
                .optRequiresGrad(false).build());
        runningVar = addParameter(Parameter.builder().setName("runningVar").setType(Parameter.Type.RUNNING_VAR)
                .optRequiresGrad(false).build());
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray input = inputs.singletonOrThrow();
        PtNDManager manager = (PtNDManager) input.getManager();
        return new NDList(JniUtils.batchNorm(manager.from(input),
                manager.from(parameterStore.getValue(runningMean, input.getDevice(), training)),
                manager.from(parameterStore.getValue(runningVar, input.getDevice(), training)),
                manager.from(parameterStore.getValue(gamma, input.getDevice(), training)),
                manager.from(parameterStore.getValue(beta, input.getDevice(), training)),
                training, MOMENTUM, EPSILON));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    @Override
    protected void beforeInitialize(Shape... inputShapes) {
        super.beforeInitialize(inputShapes);
        channels = inputShapes[0].get(1);
    }

    @Override
    public void prepare(Shape[] inputShapes) {
        for (Parameter parameter : new Parameter[] {gamma, beta, runningMean, runningVar}) {
            parameter.setShape(new Shape(channels));
        }
    }

    @Override
    protected void saveMetadata(DataOutputStream os) throws IOException {
        saveInputShapes(os);
        os.writeLong(channels);
    }

    @Override
    public void loadMetadata(byte loadVersion, DataInputStream is) throws IOException, MalformedModelException {
        if (loadVersion == VERSION) {
            readInputShapes(is);
        } else if (loadVersion != 1) {
            throw new MalformedModelException("unsupported batch norm encoding version " + loadVersion);
        }
        channels = is.readLong();
    }
}
