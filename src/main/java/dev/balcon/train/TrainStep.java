package dev.balcon.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.balcon.augment.TwoViewBatch;
import dev.balcon.loss.ContrastiveLoss;
import dev.balcon.model.ContrastiveModel;

/** One optimisation step on a batch of view pairs: forward, loss, backward, update. */
public final class TrainStep {
    private final ContrastiveModel model;
    private final SgdMomentum optimizer;
    private final ContrastiveLoss loss;
    private final NDManager modelManager;
    private final ParameterStore parameterStore;

    public TrainStep(ContrastiveModel model, SgdMomentum optimizer, ContrastiveLoss loss) {
        this.model = model;
        this.optimizer = optimizer;
        this.loss = loss;
        this.modelManager = model.trainableParameters().get(0).getArray().getManager();
        this.parameterStore = new ParameterStore(modelManager, false);
    }

    /**
     * Runs the step and returns the loss. A non-finite loss is returned without a backward pass or an
     * update, so that the caller can stop the run with the model as it was.
     */
    public double run(TwoViewBatch batch, double learningRate) {
        try (NDManager step = modelManager.newSubManager()) {
            Shape viewShape = new Shape(batch.batchSize(), batch.channels(), batch.height(), batch.width());
            // One forward pass over both views: batch-norm statistics then span all 2N views, as in SimCLR.
            NDArray images = NDArrays.concat(new NDList(step.create(batch.view1(), viewShape),
                    step.create(batch.view2(), viewShape)));
            double value;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray projections = model.forward(parameterStore, images, true).get(1);
                NDArray lossValue = loss.compute(projections.get(new NDIndex("0:{}", batch.batchSize())),
                        projections.get(new NDIndex("{}:", batch.batchSize())));
                value = lossValue.getFloat();
                if (!Double.isFinite(value)) {
                    return value;
                }
                collector.backward(lossValue);
            }
            optimizer.step(learningRate);
            return value;
        }
    }
}
