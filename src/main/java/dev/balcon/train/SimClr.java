package dev.balcon.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.training.ParameterStore;
import dev.balcon.loss.ContrastiveLoss;
import dev.balcon.loss.LossConfig;
import dev.balcon.model.ContrastiveModel;

import java.util.List;

/**
 * SimCLR (Chen et al., 2020) with the paper's whole contrastive loss family ({@link LossConfig}): both views go
 * through backbone and projector in one forward pass, so that batch-norm statistics span all 2N views as in
 * SimCLR, and the loss compares the 2N projections with each other. No heads of its own, no extra state.
 */
public final class SimClr extends Method {
    private final ContrastiveLoss loss;

    /** SimCLR training {@code model} with {@code loss} and SGD ({@code momentum}, {@code weightDecay}). */
    public SimClr(ContrastiveModel model, LossConfig loss, double momentum, double weightDecay) {
        super(Methods.SIMCLR, model, List.of(), momentum, weightDecay);
        this.loss = new ContrastiveLoss(loss);
    }

    /** The contrastive loss it trains with (data-parallel training gathers its negatives across shards). */
    public ContrastiveLoss contrastiveLoss() {
        return loss;
    }

    @Override
    public NDArray loss(ParameterStore parameters, NDArray view1, NDArray view2) {
        long n = view1.getShape().get(0);
        NDArray projections = model().forward(parameters, NDArrays.concat(new NDList(view1, view2)), true).get(1);
        return loss.compute(projections.get(new NDIndex("0:{}", n)), projections.get(new NDIndex("{}:", n)));
    }
}
