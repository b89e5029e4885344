package dev.balcon.model;

import ai.djl.ndarray.NDArray;
import dev.balcon.BalconException;

/**
 * Casts between float32 and bfloat16 inside libtorch, differentiably. DJL 0.35.1 cannot name the type:
 * {@code toType(BFLOAT16)} and {@code create(buffer, shape, BFLOAT16)} hand DJL's dtype number to a native switch
 * without a case for it, which aborts the JVM; and {@code toType(FLOAT32)} of a bfloat16 array drops its autograd
 * history. Each cast here is a one-line TorchScript module ({@code forward(x) = x.to(torch.bfloat16)} or
 * {@code x.to(torch.float32)}, written by {@code bench/make_cast_modules.py}) run through DJL's module API, so
 * autograd records it like any cast and the gradient reaches the float32 side. DJL reports a bfloat16 array's data type
 * as {@code UNKNOWN}; operations that take no data type (convolution, batch norm, matmul, relu, pooling) work on it,
 * while one that passes the array's data type back to the native layer would abort the JVM: callers first make sure
 * bf16 works here with {@link PrecisionProbe#requireSupported}, and keep bfloat16 arrays inside their own code.
 */
public final class Bfloat16 {
    private Bfloat16() {}

    /**
     * {@code array} (float32, any shape) as bfloat16, attached to {@code array}'s manager.
     *
     * @throws BalconException if the cast module cannot be loaded
     */
    public static NDArray toBfloat16(NDArray array) {
        return TorchScriptOps.apply("to_bfloat16.pt", array);
    }

    /**
     * {@code array} (bfloat16, any shape) as float32, attached to {@code array}'s manager.
     *
     * @throws BalconException if the cast module cannot be loaded
     */
    public static NDArray toFloat32(NDArray array) {
        return TorchScriptOps.apply("to_float32.pt", array);
    }
}
