package dev.balcon.loss;

import ai.djl.ndarray.NDArray;

/**
 * Arithmetic between an array and a Java number, safe to differentiate. DJL 0.35.1's {@code NDArray.mul(Number)}
 * (and {@code div}, {@code maximum}, {@code add}, ...) wraps the number in a 0-d array whose data stays in a Java
 * direct buffer ({@code torch::from_blob}: memory libtorch neither owns nor counts references to) and closes that
 * array at once. Autograd keeps the 0-d tensor for the backward pass of {@code mul}, {@code div} and {@code maximum};
 * once the garbage collector has freed the buffer, the backward pass reads freed memory and the gradient comes out
 * wrong, silently and only when a collection falls between the forward and the backward pass (measured: a full
 * garbage collection between them gave a wrong NT-Xent gradient in 48 of 100 tries; {@code AutogradScalarsTest}).
 * The 0-d arrays here are copies that libtorch allocates, owns and reference-counts, so autograd's hold on them stays
 * valid after they are closed. Arithmetic outside a gradient collector (an optimiser's update, an EMA) records no
 * graph and may use DJL's number overloads.
 */
public final class Scalars {
    private Scalars() {}

    /** {@code array * value}, in {@code array}'s data type, attached to {@code array}'s manager. */
    public static NDArray mul(NDArray array, double value) {
        try (NDArray factor = scalar(array, value)) {
            return array.mul(factor);
        }
    }

    /** {@code array / value}, in {@code array}'s data type, attached to {@code array}'s manager. */
    public static NDArray div(NDArray array, double value) {
        try (NDArray divisor = scalar(array, value)) {
            return array.div(divisor);
        }
    }

    /** {@code array + value}, in {@code array}'s data type, attached to {@code array}'s manager. */
    public static NDArray add(NDArray array, double value) {
        try (NDArray term = scalar(array, value)) {
            return array.add(term);
        }
    }

    /** The element-wise {@code max(array, value)} (torch.maximum), attached to {@code array}'s manager. */
    public static NDArray maximum(NDArray array, double value) {
        try (NDArray floor = scalar(array, value)) {
            return array.maximum(floor);
        }
    }

    /**
     * A 0-d array of {@code value} in {@code like}'s data type, on its device, in memory libtorch owns. The value is
     * rounded to that type, as libtorch rounds a number operand before computing in the array's type. The clone is
     * what makes the memory libtorch's: a conversion to the type the number already has (float64) returns an alias
     * of the Java buffer, even when asked for a copy (measured: float64 gradients went wrong under a collection).
     */
    private static NDArray scalar(NDArray like, double value) {
        NDArray borrowed = like.getManager().create(value);
        try {
            NDArray typed = borrowed.toType(like.getDataType(), false);
            try {
                return typed.duplicate();
            } finally {
                if (typed != borrowed) {
                    typed.close();
                }
            }
        } finally {
            borrowed.close();
        }
    }
}
