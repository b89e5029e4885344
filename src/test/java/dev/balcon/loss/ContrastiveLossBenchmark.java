package dev.balcon.loss;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Forward + backward of the loss for a SimCLR-sized batch: N = 512 images (2 x 512 views), d = 128, float32.
 *
 * <p>With JMH (test classpath, JMH on it): {@code java -cp <test classpath> org.openjdk.jmh.Main
 * ContrastiveLossBenchmark}. Without JMH, a quick median of 20 steps per preset after
 * {@code mvn -q -o package -DskipTests}:
 * {@code java -Dai.djl.offline=true -cp 'target/test-classes:target/classes:target/lib/*'
 * dev.balcon.loss.ContrastiveLossBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "-Dai.djl.offline=true")
public class ContrastiveLossBenchmark {

    private static final int BATCH_SIZE = 512;
    private static final int DIMENSION = 128;
    private static final List<String> PRESETS = List.of("nt_xent", "balanced");

    @Param({"nt_xent", "balanced"})
    public String preset;

    private NDManager manager;
    private NDArray z1;
    private NDArray z2;
    private ContrastiveLoss loss;

    /** Random projections that need gradients, as the projector head would produce them. */
    @Setup(Level.Trial)
    public void setUp() {
        manager = NDManager.newBaseManager();
        manager.getEngine().setRandomSeed(7);
        z1 = manager.randomNormal(new Shape(BATCH_SIZE, DIMENSION), DataType.FLOAT32);
        z2 = manager.randomNormal(new Shape(BATCH_SIZE, DIMENSION), DataType.FLOAT32);
        z1.setRequiresGradient(true);
        z2.setRequiresGradient(true);
        loss = new ContrastiveLoss(LossConfig.fromPreset(preset, null, null, null, null, null));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        manager.close();
    }

    /** One training step's worth of loss work: the loss and the gradients of z1 and z2. */
    @Benchmark
    public double forwardBackward() {
        try (GradientCollector collector = Engine.getInstance().newGradientCollector();
             NDArray value = loss.compute(z1, z2)) {
            collector.backward(value);
            return value.getFloat();
        }
    }

    /** Median wall time of 20 steps per preset after 5 warm-up steps, without the JMH harness. */
    public static void main(String[] args) {
        int warmupSteps = 5;
        int timedSteps = 20;
        for (String name : PRESETS) {
            ContrastiveLossBenchmark benchmark = new ContrastiveLossBenchmark();
            benchmark.preset = name;
            benchmark.setUp();
            try {
                for (int step = 0; step < warmupSteps; step++) {
                    benchmark.forwardBackward();
                }
                double[] millis = new double[timedSteps];
                for (int step = 0; step < timedSteps; step++) {
                    long start = System.nanoTime();
                    benchmark.forwardBackward();
                    millis[step] = (System.nanoTime() - start) / 1e6;
                }
                Arrays.sort(millis);
                double median = (millis[timedSteps / 2 - 1] + millis[timedSteps / 2]) / 2;
                System.out.printf("%-9s N=%d (2x%d views) d=%d float32 forward+backward: median %.2f ms "
                                + "(min %.2f, max %.2f) over %d steps%n", name, BATCH_SIZE, BATCH_SIZE, DIMENSION,
                        median, millis[0], millis[timedSteps - 1], timedSteps);
            } finally {
                benchmark.tearDown();
            }
        }
    }
}
