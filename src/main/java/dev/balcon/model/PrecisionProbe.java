package dev.balcon.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.balcon.BalconException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Tries a reduced precision in a separate JVM before this one uses it. A native failure in libtorch or DJL's JNI layer
 * (an unsupported type reaching a native switch ends in {@code std::terminate}) kills the process outright, which no
 * Java code can catch; the child takes that risk instead, and this JVM turns its death into a one-line error. The
 * child ({@link #main}) builds a small {@link ContrastiveModel}, runs a forward and a backward pass in the precision,
 * and exits 0 if the gradients arrive. The verdict is kept for the life of the JVM.
 */
public final class PrecisionProbe {
    private static Boolean bf16Works;
    private static String bf16Failure;

    private PrecisionProbe() {}

    /**
     * Returns normally if {@code precision} works in this engine; FP32 always does.
     *
     * @throws BalconException naming the field {@code precision} and what the child process reported, if not
     */
    public static synchronized void requireSupported(Precision precision) {
        if (precision == Precision.FP32) {
            return;
        }
        if (bf16Works == null) {
            bf16Failure = runChild();
            bf16Works = bf16Failure == null;
        }
        if (!bf16Works) {
            throw new BalconException("precision bf16 does not work with this engine (a trial in a separate process "
                    + bf16Failure + "); use precision fp32");
        }
    }

    /** Null if the child succeeded, else what happened to it. */
    private static String runChild() {
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin",
                "java").toString());
        List<String> command = List.of(java, "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"),
                PrecisionProbe.class.getName(), Precision.BF16.id());
        try {
            Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!child.waitFor(5, TimeUnit.MINUTES)) {
                child.destroyForcibly();
                return "did not finish in 5 minutes";
            }
            if (child.exitValue() != 0) {
                String[] lines = output.split("\n");
                return "exited with status " + child.exitValue() + ": " + lines[lines.length - 1];
            }
            return null;
        } catch (IOException e) {
            return "could not start: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "was interrupted";
        }
    }

    /** The child: a forward and backward pass of a small model in the precision named by {@code args[0]}. */
    public static void main(String[] args) {
        Precision precision = Precision.of(args[0]);
        ModelConfig config = new ModelConfig(ResNetConfig.named("resnet-small", 4), 3, 16, 8);
        try (NDManager manager = NDManager.newBaseManager();
             ContrastiveModel model = ContrastiveModel.create(config, 8, 8, manager, 0)) {
            model.setPrecisionUnchecked(precision);
            NDManager parameters = model.trainableParameters().get(0).getArray().getManager();
            try (NDManager step = parameters.newSubManager();
                 GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray images = step.randomNormal(new Shape(4, 3, 8, 8));
                collector.backward(model.forward(new ParameterStore(parameters, false), images, true).get(1).sum());
            }
            NDArray gradient = model.trainableParameters().get(0).getArray().getGradient();
            if (!(gradient.abs().sum().getFloat() > 0)) {
                System.out.println("no gradient reached the first convolution");
                System.exit(1);
            }
        }
        System.out.println("ok");
    }
}
