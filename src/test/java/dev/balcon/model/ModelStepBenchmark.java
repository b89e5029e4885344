package dev.balcon.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import com.sun.management.OperatingSystemMXBean;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Times one SimCLR compute step with DJL, the same step as {@code bench/peer_simclr.py --mode step}:
 * forward of both views (one pass each), NT-Xent (tau 0.5), backward, and SGD with momentum 0.9 and
 * weight decay 5e-4 written with in-place NDArray operations. Prints one JSON line.
 *
 * <pre>
 * mvn -q -o package -DskipTests
 * java -Dai.djl.offline=true -cp 'target/classes:target/test-classes:target/lib/*' \
 *     dev.balcon.model.ModelStepBenchmark --arch resnet-small --width 32 --batch 256
 * </pre>
 */
public final class ModelStepBenchmark {

    private ModelStepBenchmark() {}

    public static void main(String[] args) throws IOException {
        Map<String, String> options = parseOptions(args);
        String arch = options.getOrDefault("arch", "resnet-small");
        int width = Integer.parseInt(options.getOrDefault("width", "32"));
        int inChannels = Integer.parseInt(options.getOrDefault("in-channels", "1"));
        int size = Integer.parseInt(options.getOrDefault("size", "28"));
        int projHidden = Integer.parseInt(options.getOrDefault("proj-hidden", "512"));
        int projOut = Integer.parseInt(options.getOrDefault("proj-out", "128"));
        int batch = Integer.parseInt(options.getOrDefault("batch", "256"));
        int warmup = Integer.parseInt(options.getOrDefault("warmup", "3"));
        int steps = Integer.parseInt(options.getOrDefault("steps", "10"));
        float tau = 0.5f;
        float lr = 0.3f;

        ModelConfig config = new ModelConfig(ResNetConfig.named(arch, width), inChannels, projHidden, projOut);
        try (NDManager manager = NDManager.newBaseManager();
                ContrastiveModel model = ContrastiveModel.create(config, size, size, manager, 0)) {
            Engine.getInstance().setRandomSeed(1);
            NDArray view1 = manager.randomNormal(new Shape(batch, inChannels, size, size));
            NDArray view2 = manager.randomNormal(new Shape(batch, inChannels, size, size));
            NDArray positives = positiveMask(manager, batch);
            NDArray selfMask = manager.eye(2 * batch).mul(1e9f);
            List<Parameter> parameters = model.trainableParameters();
            List<NDArray> velocities = new ArrayList<>();
            for (Parameter p : parameters) {
                velocities.add(p.getArray().zerosLike());
            }
            double[] millis = new double[steps];
            double[] cpuMillis = new double[steps];
            OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            float[] losses = new float[warmup + steps];
            for (int step = -warmup; step < steps; step++) {
                long start = System.nanoTime();
                long cpuStart = os.getProcessCpuTime();
                try (NDManager stepManager = manager.newSubManager()) {
                    view1.tempAttach(stepManager);
                    view2.tempAttach(stepManager);
                    ParameterStore ps = new ParameterStore(stepManager, false);
                    try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                        NDArray z1 = model.forward(ps, view1, true).get(1);
                        NDArray z2 = model.forward(ps, view2, true).get(1);
                        NDArray loss = ntXent(z1, z2, positives, selfMask, tau);
                        collector.backward(loss);
                        losses[step + warmup] = loss.getFloat();
                    }
                    for (int i = 0; i < parameters.size(); i++) {
                        NDArray weight = parameters.get(i).getArray();
                        NDArray velocity = velocities.get(i);
                        // results of NDArray ops join the first operand's manager: move temporaries to the step's
                        NDArray gradient = weight.getGradient();
                        NDArray decay = weight.mul(5e-4f);
                        stepManager.attachAll(gradient, decay);
                        // torch.optim.SGD: v = 0.9 v + (g + wd w); w -= lr v
                        velocity.muli(0.9f).addi(gradient.addi(decay));
                        NDArray delta = velocity.mul(lr);
                        delta.attach(stepManager);
                        weight.subi(delta);
                        gradient.muli(0);
                    }
                }
                if (step >= 0) {
                    millis[step] = (System.nanoTime() - start) / 1e6;
                    cpuMillis[step] = (os.getProcessCpuTime() - cpuStart) / 1e6;
                }
            }
            double median = median(millis);
            System.out.printf(
                    "{\"mode\":\"step\",\"views_per_s\":%.1f,\"ms_per_step_median\":%.1f,\"ms_per_step_min\":%.1f,\"cpu_ms_per_step_median\":%.1f,"
                            + "\"loss_first\":%.4f,\"loss_last\":%.4f,\"peak_rss_mb\":%.0f,\"arch\":\"%s\",\"width\":%d,\"batch\":%d,\"threads\":%d,\"engine\":\"%s %s\"}%n",
                    2 * batch / (median / 1000), median, Arrays.stream(millis).min().orElseThrow(), median(cpuMillis), losses[0],
                    losses[losses.length - 1], peakRssMb(), arch,
                    width, batch, ai.djl.pytorch.jni.JniUtils.getNumThreads(), Engine.getInstance().getEngineName(),
                    Engine.getInstance().getVersion());
        }
    }

    /** SimCLR's NT-Xent: cross-entropy of each view against its partner among the other 2N-1 views. */
    static NDArray ntXent(NDArray z1, NDArray z2, NDArray positives, NDArray selfMask, float tau) {
        NDArray z = z1.concat(z2, 0);
        z = z.div(z.norm(new int[] {1}, true).maximum(1e-12f));
        NDArray logits = z.matMul(z.transpose()).div(tau).sub(selfMask);
        return logits.logSoftmax(1).mul(positives).sum().div(-z.getShape().get(0));
    }

    /** One-hot [2N, 2N] of each view's partner: view i pairs with i + N (mod 2N). */
    private static NDArray positiveMask(NDManager manager, int n) {
        float[] mask = new float[4 * n * n];
        for (int i = 0; i < 2 * n; i++) {
            mask[i * 2 * n + (i + n) % (2 * n)] = 1;
        }
        return manager.create(mask, new Shape(2L * n, 2L * n));
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    private static double peakRssMb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("\\D", "")) / 1024.0;
            }
        }
        return Double.NaN;
    }

    private static Map<String, String> parseOptions(String[] args) {
        Map<String, String> options = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("expected --option value pairs, got " + args[i]);
            }
            options.put(args[i].substring(2), args[i + 1]);
        }
        return options;
    }
}
