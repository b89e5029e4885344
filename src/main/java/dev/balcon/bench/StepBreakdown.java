package dev.balcon.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.balcon.augment.TwoViewBatch;
import dev.balcon.loss.ContrastiveLoss;
import dev.balcon.model.ContrastiveModel;
import dev.balcon.train.SgdMomentum;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where a compute step spends its time: the phases of {@link dev.balcon.train.TrainStep#run}, timed one by one
 * with the same calls in the same order (create the input arrays, forward, loss and its value, backward, optimiser
 * update, closing the step's arrays). The PyTorch peer's {@code --mode breakdown} times the same phases, so the two
 * tables line up. Every libtorch call on the CPU is synchronous, so wall time between the calls is the time of the
 * phase.
 */
public final class StepBreakdown {
    /** Phase names in step order, the keys of {@link Result#millis}. */
    public static final String[] PHASES = {"create", "forward", "loss", "backward", "optimizer", "close"};

    /**
     * Median milliseconds per phase over the timed steps, and how many arrays the step's own manager held when it was
     * closed (the intermediate arrays balcon creates per step outside the model's parameters).
     */
    public record Result(Map<String, Double> millis, double totalMillis, int arraysPerStep) {}

    private StepBreakdown() {}

    /**
     * Times {@code steps} steps after {@code warmup} untimed ones on the fixed {@code batch}.
     *
     * @param profile where to write libtorch's profiler trace of one extra step run after the warm-up and not timed
     *     (Chrome trace JSON, every operator with its start and duration in microseconds; {@link OpProfile} sums it),
     *     or null for none. One step only: under libtorch's profiler the memory-bound operators of later steps ran
     *     3-10x slower in this JVM (why is not established; without the profiler the steps are steady), so only the
     *     first is representative. The CPU side's times: on a GPU, an operator's time is that of its launch, not of
     *     its kernel.
     * @throws IllegalArgumentException if {@code steps < 1} or {@code warmup < 0}
     */
    public static Result measure(ContrastiveModel model, SgdMomentum optimizer, ContrastiveLoss loss, TwoViewBatch batch,
                                 int warmup, int steps, Path profile) {
        if (steps < 1 || warmup < 0) {
            throw new IllegalArgumentException("steps must be >= 1 and warmup >= 0, got " + steps + " and " + warmup);
        }
        NDManager modelManager = model.trainableParameters().get(0).getArray().getManager();
        ParameterStore parameterStore = new ParameterStore(modelManager, false);
        double[][] millis = new double[PHASES.length][steps];
        double[] totals = new double[steps];
        int arrays = 0;
        Shape viewShape = new Shape(batch.batchSize(), batch.channels(), batch.height(), batch.width());
        // the profiled step, if any, is an extra one after the warm-up: the profiler's cost stays out of the phases
        int profiled = profile == null ? 0 : 1;
        for (int i = 0; i < warmup + profiled + steps; i++) {
            if (i == warmup && profile != null) {
                JniUtils.startProfile(false, true, false);
            }
            long[] marks = new long[PHASES.length + 1];
            marks[0] = System.nanoTime();
            NDManager step = modelManager.newSubManager();
            NDArray images = NDArrays.concat(new NDList(step.create(batch.view1(), viewShape),
                    step.create(batch.view2(), viewShape)));
            marks[1] = System.nanoTime();
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray projections = model.forward(parameterStore, images, true).get(1);
                marks[2] = System.nanoTime();
                NDArray lossValue = loss.compute(projections.get(new NDIndex("0:{}", batch.batchSize())),
                        projections.get(new NDIndex("{}:", batch.batchSize())));
                lossValue.getFloat();
                marks[3] = System.nanoTime();
                collector.backward(lossValue);
                marks[4] = System.nanoTime();
            }
            optimizer.step(0.01);
            marks[5] = System.nanoTime();
            arrays = step.getManagedArrays().size();
            step.close();
            marks[6] = System.nanoTime();
            if (i == warmup && profile != null) {
                JniUtils.stopProfile(profile.toString());
            }
            int timed = i - warmup - profiled;
            if (timed >= 0) {
                for (int p = 0; p < PHASES.length; p++) {
                    millis[p][timed] = (marks[p + 1] - marks[p]) / 1e6;
                }
                totals[timed] = (marks[PHASES.length] - marks[0]) / 1e6;
            }
        }
        Map<String, Double> medians = new LinkedHashMap<>();
        for (int p = 0; p < PHASES.length; p++) {
            medians.put(PHASES[p], Benchmark.median(millis[p]));
        }
        return new Result(medians, Benchmark.median(totals), arrays);
    }
}
