package dev.balcon.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
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
                .add(new BatchNorm())
                .add(Activation.reluBlock())
                .add(conv(outChannels, 3, 1))
                .add(new BatchNorm()));
        projectionShortcut = stride != 1 || inChannels != outChannels
                ? addChildBlock("shortcut", new ReleasingSequentialBlock().add(conv(outChannels, 1, stride)).add(new BatchNorm()))
                : null;
    }

    /** A bias-free square convolution with "same" padding (the bias would be cancelled by the next batch norm). */
    static Conv2d conv(int outChannels, int kernel, int stride) {
        return new Conv2d(convBuilder(outChannels, kernel, stride), false);
    }

    /**
     * The stem's 3x3 convolution (bias-free, "same" padding, stride 1), which hands libtorch its input in the
     * channels-last memory format ({@link ChannelsLast}): its output is then channels-last too, and so every later
     * convolution, forward and backward, runs without reordering its activations. Converting the input rather than the
     * output also keeps the stem's own backward pass in that format, and the input is the smallest activation (1 or 3
     * channels against 16 or more).
     */
    static Conv2d stemConv(int outChannels) {
        return new Conv2d(convBuilder(outChannels, 3, 1), true);
    }

    private static ai.djl.nn.convolutional.Conv2d.Builder convBuilder(int outChannels, int kernel, int stride) {
        return ai.djl.nn.convolutional.Conv2d.builder()
                .setFilters(outChannels)
                .setKernelShape(new Shape(kernel, kernel))
                .optStride(new Shape(stride, stride))
                .optPadding(new Shape(kernel / 2, kernel / 2))
                .optBias(false);
    }

    /**
     * DJL's 2-D convolution, whose input the stem converts to the channels-last memory format ({@link ChannelsLast}).
     * Every later convolution then gets channels-last input, which is also what makes libtorch 2.7.1's bfloat16
     * strided convolutions fast: on plain NCHW input their backward pass took about 10x float32's time (1074 ms
     * against 111 ms for a 512x32x14x14 input with a 3x3 kernel on an AMD EPYC with avx512_bf16), and balcon ran them
     * at stride 1 and subsampled; on channels-last input they need no such detour (docs/performance.md). Named
     * {@code Conv2d} because a parent names its children, and so the parameters in checkpoints, after the class's
     * simple name.
     */
    static final class Conv2d extends ai.djl.nn.convolutional.Conv2d {
        private final boolean channelsLastInput;

        Conv2d(Builder builder, boolean channelsLastInput) {
            super(builder);
            this.channelsLastInput = channelsLastInput;
        }

        @Override
        protected NDList forwardInternal(
                ParameterStore parameterStore, NDList inputs, boolean training, PairList<String, Object> params) {
            if (!channelsLastInput) {
                return super.forwardInternal(parameterStore, inputs, training, params);
            }
            NDArray input = inputs.singletonOrThrow();
            try (NDArray channelsLast = ChannelsLast.of(input)) {
                return super.forwardInternal(parameterStore, new NDList(channelsLast), training, params);
            }
        }
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray residualOut = residual.forward(parameterStore, inputs, training, params).singletonOrThrow();
        // In place, like torchvision's "out += identity": autograd does not need the batch-norm output, and it is not
        // a view (dev.balcon.model.BatchNorm), so the backward pass stays as cheap as the add.
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
