package dev.balcon.train.parallel;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import java.util.List;

/**
 * A method's loss in the form data-parallel training over K shards needs ({@link DataParallelStep}): each shard's
 * own forward pass, then the collective step in which every shard computes its loss with what the others send it and
 * receives the gradient of its outputs. Only values cross between shards, never autograd links; the step propagates
 * each shard's gradient back through that shard's own forward pass.
 *
 * <p>A method offers this form ({@link dev.balcon.train.Method#shardedLoss()}) when its loss splits into per-anchor
 * terms whose mean over the shards is the whole batch's loss, so that the averaged gradient of the K devices is the
 * whole batch's gradient: SimCLR (negatives gathered across shards, {@link GatheredLoss}) and MoCo (negatives from
 * its queue, keys gathered into the queue afterwards).
 */
public interface ShardedLoss {

    /**
     * One shard's forward pass over its images, both views together (so batch norm normalises with the shard's
     * statistics in training mode).
     *
     * @param parameters the step's parameter store
     * @param view1      the shard's first views [n, C, H, W], n &gt;= 1
     * @param view2      its second views, the same shape, row i the same image as in {@code view1}
     * @param training   true for batch statistics in batch norm, false for the running statistics
     * @return {@code NDList(z1, z2, ...)}: the shard's differentiable outputs for view 1 and view 2, each [n, d],
     *     then whatever else the collective step needs from the shard (values only, such as MoCo's keys)
     */
    NDList forwardShard(ParameterStore parameters, NDArray view1, NDArray view2, boolean training);

    /**
     * The collective step after every shard's forward pass, for the shards in batch order: each shard's loss, and
     * for each shard the gradient of the sum of all K shard losses with respect to its outputs.
     *
     * @param shards    per shard, in batch order, what {@link #forwardShard} returned for it; all the same shapes
     * @param collector the open gradient collector
     * @return the mean of the K shard losses and, per shard, the gradients of z1 and z2 ({@link GatheredLoss.Result})
     */
    GatheredLoss.Result lossAndGradients(List<NDList> shards, GradientCollector collector);
}
