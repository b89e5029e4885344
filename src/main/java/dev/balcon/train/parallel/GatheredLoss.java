package dev.balcon.train.parallel;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.training.GradientCollector;
import dev.balcon.BalconException;
import dev.balcon.loss.ContrastiveLoss;
import java.util.ArrayList;
import java.util.List;

/**
 * The contrastive loss of data-parallel training with gathered negatives, as K devices compute it (lightly's
 * {@code gather_distributed}, solo-learn's {@code full_gather}, both built on an all-gather whose backward sums
 * the gradient across devices, like {@code torch.distributed.nn.all_gather}):
 *
 * <ol>
 *   <li>all-gather: every device receives the projections of every shard, in shard order;</li>
 *   <li>each device computes the loss of its own anchors against all 2N gathered views
 *       ({@link ContrastiveLoss#computeShard}) and differentiates it with respect to the whole gathered array;</li>
 *   <li>the all-gather's backward is a reduce-scatter: the K gradients are summed and each device keeps the
 *       rows of its own shard. Keeping only the device's own gradient, without the sum, drops the terms that the
 *       other devices' anchors contribute to this shard's embeddings: that is the bug lightly fixed (its
 *       GatherLayer), which made one and two GPUs train differently.</li>
 * </ol>
 *
 * The devices are emulated on the projections' device, one after the other; only values cross from one shard
 * to another (as through a collective), never autograd links.
 */
public final class GatheredLoss {

    /**
     * What the K devices hold after the loss's backward.
     *
     * @param loss the mean of the K shard losses, which for equal shards is the loss of the whole batch; NaN or
     *     infinite if any shard's loss is, in which case no backward was run and the gradients are empty
     * @param gradientsZ1 per shard, the gradient [n, d] of the sum of the K shard losses with respect to its
     *     view-1 projections (on the projections' device, attached to their managers)
     * @param gradientsZ2 the same for view 2
     */
    public record Result(double loss, List<NDArray> gradientsZ1, List<NDArray> gradientsZ2) {}

    private GatheredLoss() {}

    /**
     * Computes every shard's loss over the gathered views and the gradient that reaches each shard's projections.
     *
     * @param loss the loss every device computes
     * @param z1Shards per shard, its view-1 projections [n, d]; every shard has the same n &gt;= 1
     * @param z2Shards per shard, its view-2 projections, the same shapes; row i the same image as row i of z1
     * @param collector the open gradient collector the backward passes run in
     * @return the losses' mean and the per-shard gradients, to be propagated into each shard's own forward pass
     * @throws BalconException if the shard lists are empty or of different lengths, the shards differ in shape,
     *     or the gathered batch is not one {@link ContrastiveLoss#compute} accepts
     */
    public static Result lossAndGradients(ContrastiveLoss loss, List<NDArray> z1Shards, List<NDArray> z2Shards,
                                          GradientCollector collector) {
        int shards = z1Shards.size();
        if (shards == 0 || z2Shards.size() != shards) {
            throw new BalconException("z1Shards and z2Shards must hold the same number (>= 1) of shards, got "
                    + shards + " and " + z2Shards.size());
        }
        long shardSize = z1Shards.get(0).getShape().get(0);
        for (int k = 0; k < shards; k++) {
            if (!z1Shards.get(k).getShape().equals(z1Shards.get(0).getShape())
                    || !z2Shards.get(k).getShape().equals(z1Shards.get(0).getShape())) {
                throw new BalconException("every shard of z1Shards and z2Shards must have shape "
                        + z1Shards.get(0).getShape() + ", shard " + k + " has " + z1Shards.get(k).getShape() + " and "
                        + z2Shards.get(k).getShape());
            }
        }
        int n = Math.toIntExact(shardSize);
        NDArray gathered1 = allGather(z1Shards);
        NDArray gathered2 = allGather(z2Shards);
        List<NDArray[]> received = new ArrayList<>(shards);
        List<NDArray> shardLosses = new ArrayList<>(shards);
        double lossSum = 0;
        for (int k = 0; k < shards; k++) {
            // Device k's copy of the gathered arrays: a leaf, so that its backward stops at the collective.
            NDArray local1 = gathered1.duplicate();
            NDArray local2 = gathered2.duplicate();
            local1.setRequiresGradient(true);
            local2.setRequiresGradient(true);
            NDArray shardLoss = loss.computeShard(local1, local2, k * n, n);
            received.add(new NDArray[] {local1, local2});
            shardLosses.add(shardLoss);
            lossSum += shardLoss.getFloat();
        }
        double meanLoss = lossSum / shards;
        if (!Double.isFinite(meanLoss)) {
            return new Result(meanLoss, List.of(), List.of());
        }
        NDArray summed1 = null;
        NDArray summed2 = null;
        for (int k = 0; k < shards; k++) {
            collector.backward(shardLosses.get(k));
            NDArray gradient1 = received.get(k)[0].getGradient();
            NDArray gradient2 = received.get(k)[1].getGradient();
            summed1 = summed1 == null ? gradient1.duplicate() : summed1.addi(gradient1);
            summed2 = summed2 == null ? gradient2.duplicate() : summed2.addi(gradient2);
        }
        List<NDArray> gradients1 = new ArrayList<>(shards);
        List<NDArray> gradients2 = new ArrayList<>(shards);
        for (int k = 0; k < shards; k++) {
            NDIndex rows = new NDIndex("{}:{}", k * n, (k + 1) * n);
            gradients1.add(summed1.get(rows));
            gradients2.add(summed2.get(rows));
        }
        return new Result(meanLoss, gradients1, gradients2);
    }

    /** The forward of the all-gather: the shards' values, concatenated in shard order, without autograd links. */
    private static NDArray allGather(List<NDArray> shards) {
        NDList values = new NDList(shards.size());
        for (NDArray shard : shards) {
            values.add(shard.stopGradient());
        }
        return NDArrays.concat(values);
    }
}
