package dev.balcon.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.balcon.augment.TwoViewBatch;
import dev.balcon.train.parallel.DataParallelStep;

/**
 * One optimisation step of a {@link Method} on a batch of view pairs: forward and loss, backward, update, after-step;
 * on one device, or data parallel over shards ({@link DataParallelStep}).
 */
public final class TrainStep {
    private final Method method;
    private final NDManager modelManager;
    private final ParameterStore parameterStore;
    private final DataParallelStep parallel;

    /** The single-device step. */
    public TrainStep(Method method) {
        this(method, 1);
    }

    /**
     * The step over {@code shards} shards of each batch ({@link DataParallelStep}); 1 is the single-device step.
     *
     * @throws dev.balcon.BalconException if shards &lt; 1, or shards &gt; 1 for a method without a
     *     {@link Method#shardedLoss()}
     */
    public TrainStep(Method method, int shards) {
        this.method = method;
        this.modelManager = method.trainableParameters().get(0).getArray().getManager();
        this.parameterStore = new ParameterStore(modelManager, false);
        this.parallel = shards == 1 ? null : new DataParallelStep(method, shards);
    }

    /**
     * Runs the step and returns the loss. A non-finite loss is returned without a backward pass or an
     * update, so that the caller can stop the run with the model as it was.
     *
     * @param step       0-based index of this optimiser step in the run
     * @param totalSteps the run's planned number of steps (for the method's schedules, such as an EMA rate)
     */
    public double run(TwoViewBatch batch, double learningRate, long step, long totalSteps) {
        if (parallel != null) {
            return parallel.run(batch, learningRate, step, totalSteps);
        }
        try (NDManager scope = modelManager.newSubManager()) {
            Shape viewShape = new Shape(batch.batchSize(), batch.channels(), batch.height(), batch.width());
            NDArray view1 = scope.create(batch.view1(), viewShape);
            NDArray view2 = scope.create(batch.view2(), viewShape);
            double value;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray lossValue = method.loss(parameterStore, view1, view2);
                value = lossValue.getFloat();
                if (!Double.isFinite(value)) {
                    return value;
                }
                collector.backward(lossValue);
            }
            method.optimizer().step(learningRate);
            method.afterStep(step, totalSteps);
            return value;
        }
    }
}
