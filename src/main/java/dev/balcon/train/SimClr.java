package dev.balcon.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.balcon.loss.ContrastiveLoss;
import dev.balcon.loss.LossConfig;
import dev.balcon.model.ContrastiveModel;
import dev.balcon.train.parallel.GatheredLoss;
import dev.balcon.train.parallel.ShardedLoss;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * SimCLR (Chen et al., 2020) with the paper's whole contrastive loss family ({@link LossConfig}): both views go
 * through backbone and projector in one forward pass, so that batch-norm statistics span all 2N views as in
 * SimCLR, and the loss compares the 2N projections with each other. No heads of its own, no extra state.
 * Data parallel ({@link #shardedLoss()}): every shard's anchors are contrasted with the gathered projections of all
 * shards ({@link GatheredLoss}).
 */
public final class SimClr extends Method {
    private final ContrastiveLoss loss;

    /** SimCLR training {@code model} with {@code loss} and SGD ({@code momentum}, {@code weightDecay}). */
    public SimClr(ContrastiveModel model, LossConfig loss, double momentum, double weightDecay) {
        super(Methods.SIMCLR, model, List.of(), momentum, weightDecay);
        this.loss = new ContrastiveLoss(loss);
    }

    @Override
    public NDArray loss(ParameterStore parameters, NDArray view1, NDArray view2) {
        long n = view1.getShape().get(0);
        NDArray projections = model().forward(parameters, NDArrays.concat(new NDList(view1, view2)), true).get(1);
        return loss.compute(projections.get(new NDIndex("0:{}", n)), projections.get(new NDIndex("{}:", n)));
    }

    @Override
    public Optional<ShardedLoss> shardedLoss() {
        return Optional.of(new ShardedLoss() {
            @Override
            public NDList forwardShard(ParameterStore parameters, NDArray view1, NDArray view2, boolean training) {
                long n = view1.getShape().get(0);
                NDArray projections = model().forward(parameters, view1.concat(view2), training).get(1);
                return new NDList(projections.get(new NDIndex("0:{}", n)), projections.get(new NDIndex("{}:", n)));
            }

            @Override
            public GatheredLoss.Result lossAndGradients(List<NDList> shards, GradientCollector collector) {
                List<NDArray> z1 = new ArrayList<>(shards.size());
                List<NDArray> z2 = new ArrayList<>(shards.size());
                for (NDList shard : shards) {
                    z1.add(shard.get(0));
                    z2.add(shard.get(1));
                }
                return GatheredLoss.lossAndGradients(loss, z1, z2, collector);
            }
        });
    }
}
