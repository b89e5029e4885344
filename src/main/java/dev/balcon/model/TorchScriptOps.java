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
import java.util.HashMap;
import java.util.Map;

/**
 * Small TorchScript modules from balcon's jar (written by {@code bench/make_cast_modules.py}), run through DJL's module
 * API for what DJL 0.35.1 cannot ask libtorch for directly: a bfloat16 cast, a memory format, and the
 * optimiser's whole update in one native call. Autograd records a module's operations like any other, so gradients
 * flow through them. The modules hold no parameters, so one module serves arrays on any device.
 */
public final class TorchScriptOps {
    private static final Map<String, PtSymbolBlock> MODULES = new HashMap<>();
    // Lives as long as the JVM: the modules are a few kB each and loaded once.
    private static NDManager owner;

    private TorchScriptOps() {}

    /**
     * Runs the module {@code resource} on {@code array}.
     *
     * @param resource file name of the module beside this class in the jar, e.g. {@code "to_channels_last.pt"}
     * @return the module's output, attached to {@code array}'s manager
     * @throws BalconException if the module is missing from the jar or cannot be loaded
     */
    static NDArray apply(String resource, NDArray array) {
        return run(resource, new NDList(array), array.getManager(), true).singletonOrThrow();
    }

    /**
     * Runs the module {@code resource} on {@code inputs}. DJL passes the arrays as the module's arguments in order,
     * except that arrays named {@code NAME[]} form one {@code List[Tensor]} argument per name, in the order of each
     * name's first array. Run with DJL's {@code training} false, as an update that is not part of a forward pass
     * (where {@link #apply} runs a differentiable operation of one).
     *
     * @param resource file name of the module beside this class in the jar, e.g. {@code "sgd_momentum_step.pt"}
     * @param manager  where the outputs are attached
     * @return the module's outputs
     * @throws BalconException if the module is missing from the jar or cannot be loaded
     */
    public static NDList forward(String resource, NDList inputs, NDManager manager) {
        return run(resource, inputs, manager, false);
    }

    private static NDList run(String resource, NDList inputs, NDManager manager, boolean training) {
        NDList outputs = module(resource).forward(new ParameterStore(manager, false), inputs, training);
        outputs.attach(manager);
        return outputs;
    }

    private static synchronized PtSymbolBlock module(String resource) {
        PtSymbolBlock module = MODULES.get(resource);
        if (module == null) {
            if (owner == null) {
                owner = NDManager.newBaseManager();
            }
            module = load((PtNDManager) owner, resource);
            MODULES.put(resource, module);
        }
        return module;
    }

    private static PtSymbolBlock load(PtNDManager owner, String resource) {
        Path file = null;
        try (InputStream in = TorchScriptOps.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new BalconException("the TorchScript module " + resource + " is missing from balcon's jar");
            }
            file = Files.createTempFile("balcon-op", ".pt");
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            return JniUtils.loadModule(owner, file, false, new String[0], new String[0], false);
        } catch (IOException e) {
            throw new BalconException("cannot load the TorchScript module " + resource + ": " + e.getMessage());
        } finally {
            if (file != null) {
                file.toFile().delete();
            }
        }
    }
}
