package dev.balcon.model;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import dev.balcon.BalconException;

/**
 * ReLU that overwrites its input, as torchvision's {@code nn.ReLU(inplace=True)}: DJL 0.35.1's relu always writes a
 * new array, which in a training step is one more activation-sized buffer written (and its cache lines first read)
 * per ReLU. Run as a one-line TorchScript module ({@code torch.relu_(x)}, {@link TorchScriptOps}); autograd records it
 * like PyTorch's in-place ReLU (its backward needs only the output), so it may follow a batch norm or an add, whose
 * backward passes do not need their outputs, and never an operation that saved its output for the backward pass.
 */
final class InPlaceRelu {
    private InPlaceRelu() {}

    /**
     * {@code max(x, 0)} written into {@code array} (any shape, float32 or bfloat16); returns a handle to the same
     * tensor, attached to {@code array}'s manager. The values of {@code array} are replaced.
     *
     * @throws BalconException if the module cannot be loaded
     */
    static NDArray apply(NDArray array) {
        return TorchScriptOps.apply("relu_in_place.pt", array);
    }

    /** The block form, for a sequential block (no parameters). */
    static Block block() {
        return LambdaBlock.singleton(InPlaceRelu::apply, "ReLU");
    }
}
