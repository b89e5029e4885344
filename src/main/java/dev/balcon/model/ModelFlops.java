package dev.balcon.model;

import dev.balcon.BalconException;

/**
 * The multiply-adds of one forward pass of one image through a {@link ContrastiveModel}, counted from its
 * architecture the way papers and fvcore count them: every convolution contributes {@code outHeight * outWidth *
 * outChannels * inChannels * kernel^2}, every linear layer {@code in * out}; batch norm, ReLU, pooling and the residual
 * additions (a few operations per activation, memory-bound) are left out. One multiply-add is two floating-point
 * operations, and a training step costs about three forward passes (the backward pass computes the gradients of the
 * inputs and of the weights, each as costly as the forward), so a step on {@code B} views performs about
 * {@code 6 * B * multiplyAdds} floating-point operations (Kaplan et al. 2020, "Scaling laws", section 2.1).
 */
public final class ModelFlops {
    private ModelFlops() {}

    /**
     * Multiply-adds of one image's forward pass, backbone and projector.
     *
     * @param height input height in pixels, > 0
     * @param width input width in pixels, > 0
     * @throws BalconException if the size is not positive
     */
    public static long multiplyAdds(ModelConfig config, int height, int width) {
        return backboneMultiplyAdds(config, height, width) + projectorMultiplyAdds(config);
    }

    /** Multiply-adds of one image through the backbone alone (the stem, the BasicBlocks and their shortcuts). */
    public static long backboneMultiplyAdds(ModelConfig config, int height, int width) {
        if (height < 1 || width < 1) {
            throw new BalconException("image size must be > 0, got " + height + "x" + width);
        }
        ResNetConfig resnet = config.backbone();
        long h = height;
        long w = width;
        int channels = resnet.stemWidth();
        long total = conv(h, w, config.inChannels(), channels, 3);
        int[] widths = resnet.widths();
        int[] depths = resnet.depths();
        for (int stage = 0; stage < widths.length; stage++) {
            for (int block = 0; block < depths[stage]; block++) {
                int stride = stage > 0 && block == 0 ? 2 : 1;
                // "same" padding: a stride-s convolution keeps ceil(size / s) positions
                long outH = (h + stride - 1) / stride;
                long outW = (w + stride - 1) / stride;
                total += conv(outH, outW, channels, widths[stage], 3) + conv(outH, outW, widths[stage], widths[stage], 3);
                if (stride != 1 || channels != widths[stage]) {
                    total += conv(outH, outW, channels, widths[stage], 1);
                }
                h = outH;
                w = outW;
                channels = widths[stage];
            }
        }
        return total;
    }

    /** Multiply-adds of one feature vector through the 3-layer projector. */
    public static long projectorMultiplyAdds(ModelConfig config) {
        long hidden = config.projectorHiddenDim();
        return config.featureDim() * hidden + hidden * hidden + hidden * config.projectorOutDim();
    }

    /**
     * Floating-point operations of one training step on {@code views} images: {@code 6 * views * multiplyAdds}
     * (forward 2 per multiply-add, backward twice the forward).
     */
    public static double trainingStepFlops(ModelConfig config, int height, int width, int views) {
        return 6.0 * views * multiplyAdds(config, height, width);
    }

    private static long conv(long outHeight, long outWidth, long in, long out, long kernel) {
        return outHeight * outWidth * out * in * kernel * kernel;
    }
}
