package dev.balcon.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * The ResNet BasicBlock: {@code relu(bn(conv3x3(relu(bn(conv3x3(x))))) + shortcut(x))}, where the
 * shortcut is the identity, or a strided 1x1 convolution with batch norm when the block changes the
 * number of channels or the resolution.
 */
final class BasicBlock extends AbstractBlock {

    private static final byte VERSION = 1;

    private final Block residual;
    private final Block projectionShortcut; // null: identity shortcut

    BasicBlock(int inChannels, int outChannels, int stride) {
        super(VERSION);
        residual = addChildBlock("residual", new ReleasingSequentialBlock()
                .add(conv(outChannels, 3, stride))
                .add(batchNorm())
                .add(Activation.reluBlock())
                .add(conv(outChannels, 3, 1))
                .add(batchNorm()));
        projectionShortcut = stride != 1 || inChannels != outChannels
                ? addChildBlock("shortcut", new ReleasingSequentialBlock().add(conv(outChannels, 1, stride)).add(batchNorm()))
                : null;
    }

    /** A bias-free square convolution with "same" padding (the bias would be cancelled by the next batch norm). */
    static Conv2d conv(int outChannels, int kernel, int stride) {
        return Conv2d.builder()
                .setFilters(outChannels)
                .setKernelShape(new Shape(kernel, kernel))
                .optStride(new Shape(stride, stride))
                .optPadding(new Shape(kernel / 2, kernel / 2))
                .optBias(false)
                .build();
    }

    /** Batch norm with PyTorch's defaults: eps 1e-5, running statistics updated with weight 0.1 per batch. */
    static BatchNorm batchNorm() {
        // DJL's momentum is the weight kept on the old running value, i.e. 1 - PyTorch's momentum.
        return BatchNorm.builder().optEpsilon(1e-5f).optMomentum(0.9f).build();
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray residualOut = residual.forward(parameterStore, inputs, training, params).singletonOrThrow();
        // In place, like torchvision's "out += identity": autograd does not need the batch-norm output.
        if (projectionShortcut == null) {
            residualOut.addi(inputs.singletonOrThrow());
        } else {
            try (NDArray shortcutOut =
                    projectionShortcut.forward(parameterStore, inputs, training, params).singletonOrThrow()) {
                residualOut.addi(shortcutOut);
            }
        }
        try (residualOut) {
            return new NDList(Activation.relu(residualOut));
        }
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return residual.getOutputShapes(inputShapes);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        residual.initialize(manager, dataType, inputShapes);
        if (projectionShortcut != null) {
            projectionShortcut.initialize(manager, dataType, inputShapes);
        }
    }
}
