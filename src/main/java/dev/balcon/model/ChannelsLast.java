package dev.balcon.model;

import ai.djl.ndarray.NDArray;
import dev.balcon.BalconException;

/**
 * The channels-last memory format ({@code [B, C, H, W]} stored as B, H, W, C; PyTorch's
 * {@code torch.channels_last}), which DJL 0.35.1 has no API for. libtorch's oneDNN convolutions on the CPU compute in
 * a channels-last or a blocked layout: handed a plain {@code [B, C, H, W]} array, each convolution reorders its input
 * into oneDNN's blocked layout and its output back (and the backward pass does the same), which on the resnet-small
 * width 16 step took about as long as the convolutions themselves; handed a channels-last array, it computes in place
 * and returns channels-last, and batch norm, ReLU, the residual add and pooling keep the format, so one conversion at
 * the stem carries through the backbone (docs/performance.md, "Channels-last"). Shapes, values and gradients are
 * unchanged; only the strides differ, and DJL copies out any layout in logical order.
 */
public final class ChannelsLast {
    private ChannelsLast() {}

    /**
     * {@code array} ({@code [B, C, H, W]}, any data type) in channels-last memory format, differentiably (the gradient
     * reaches {@code array}), attached to {@code array}'s manager; an array already in that format comes back as is.
     * A one-channel array is copied into channels-last strides too (channel stride 1): its plain strides count as
     * contiguous in both formats, and libtorch's convolutions read them as the plain one.
     *
     * @throws BalconException if the module that does the conversion cannot be loaded
     */
    public static NDArray of(NDArray array) {
        return TorchScriptOps.apply("to_channels_last.pt", array);
    }
}
