package dev.balcon.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import dev.balcon.BalconException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Casts between float32 and bfloat16 inside libtorch, differentiably. DJL 0.35.1 cannot name the type:
 * {@code toType(BFLOAT16)} and {@code create(buffer, shape, BFLOAT16)} hand DJL's dtype number to a native switch
 * without a case for it, which aborts the JVM; and {@code toType(FLOAT32)} of a bfloat16 array drops its autograd
 * history. Each cast here is a one-line TorchScript module ({@code forward(x) = x.to(torch.bfloat16)} or
 * {@code x.to(torch.float32)}, written by {@code bench/make_bfloat16_cast.py}) run through DJL's module API, so
 * autograd records it like any cast and the gradient reaches the float32 side. DJL reports a bfloat16 array's data type
 * as {@code UNKNOWN}; operations that take no data type (convolution, batch norm, matmul, relu, pooling) work on it,
 * while one that passes the array's data type back to the native layer would abort the JVM: callers first make sure
 * bf16 works here with {@link PrecisionProbe#requireSupported}, and keep bfloat16 arrays inside their own code.
 */
public final class Bfloat16 {
    private static PtSymbolBlock toBfloat16;
    private static PtSymbolBlock toFloat32;

    private Bfloat16() {}

    /** {@code array} (float32, any shape) as bfloat16, attached to {@code array}'s manager. */
    public static NDArray toBfloat16(NDArray array) {
        return run(modules()[0], array);
    }

    /** {@code array} (bfloat16, any shape) as float32, attached to {@code array}'s manager. */
    public static NDArray toFloat32(NDArray array) {
        return run(modules()[1], array);
    }

    private static NDArray run(PtSymbolBlock module, NDArray array) {
        NDArray result = module.forward(new ParameterStore(array.getManager(), false), new NDList(array), true)
                .singletonOrThrow();
        result.attach(array.getManager());
        return result;
    }

    /**
     * Loads both modules once per JVM, into a manager that lives as long as the JVM (two modules of 1.5 kB).
     *
     * @throws BalconException if a module is missing from the jar or cannot be loaded
     */
    private static synchronized PtSymbolBlock[] modules() {
        if (toBfloat16 == null) {
            NDManager owner = NDManager.newBaseManager();
            try {
                toFloat32 = load((PtNDManager) owner, "to_float32.pt");
                toBfloat16 = load((PtNDManager) owner, "to_bfloat16.pt");
            } catch (RuntimeException e) {
                owner.close();
                toFloat32 = null;
                throw e;
            }
        }
        return new PtSymbolBlock[] {toBfloat16, toFloat32};
    }

    private static PtSymbolBlock load(PtNDManager owner, String resource) {
        Path file = null;
        try (InputStream in = Bfloat16.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new BalconException("bf16 precision: " + resource + " is missing from balcon's jar");
            }
            file = Files.createTempFile("balcon-cast", ".pt");
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            return JniUtils.loadModule(owner, file, false, new String[0], new String[0], false);
        } catch (IOException e) {
            throw new BalconException("bf16 precision: cannot load the cast module " + resource + ": " + e.getMessage());
        } finally {
            if (file != null) {
                file.toFile().delete();
            }
        }
    }
}
