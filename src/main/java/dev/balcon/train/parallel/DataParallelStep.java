package dev.balcon.train.parallel;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import dev.balcon.BalconException;
import dev.balcon.augment.TwoViewBatch;
import dev.balcon.loss.Scalars;
import dev.balcon.model.ContrastiveModel;
import dev.balcon.train.Method;
import java.util.ArrayList;
import java.util.List;

/**
 * One optimisation step of a {@link Method} in data-parallel training, emulating K devices on the model's one
 * device, one after the other. Each device (shard) does what DistributedDataParallel does with lightly's
 * {@code gather_distributed} (simclr) or MoCo v2's {@code concat_all_gather} (moco):
 *
 * <ol>
 *   <li>its own forward pass over its B/K images (both views together), so batch norm normalises with the
 *       shard's statistics, as DDP does without SyncBatchNorm;</li>
 *   <li>the collective step of the method's {@link ShardedLoss}: its own loss, with what the other shards send
 *       (simclr: all 2B projections, {@link GatheredLoss}; moco: nothing, its negatives are the queue), and the
 *       gradient of its outputs;</li>
 *   <li>its own backward pass from that gradient through its forward pass;</li>
 *   <li>the all-reduce of the parameter gradients, which DDP averages over the K devices;</li>
 * </ol>
 *
 * then one optimiser update and the method's after-step work (moco: the key encoder's EMA, the gathered keys
 * enqueued). Each shard loss is a mean over its 2B/K anchors, so the average over devices of their gradients is
 * the gradient of the mean over all 2B anchors: with batch norm out of the picture (inference-mode statistics) the
 * update equals the single-device update of the whole batch. With batch statistics it does not, because each
 * shard is normalised by its own mean and variance; as with DDP's default (broadcast_buffers), the running
 * statistics kept afterwards are the first shard's.
 */
public final class DataParallelStep {
    private final Method method;
    private final ShardedLoss loss;
    private final ContrastiveModel model;
    private final int shards;
    private final NDManager modelManager;
    private final ParameterStore parameterStore;

    /**
     * @param method the method trained; it must have a {@link Method#shardedLoss()}
     * @param shards K, the number of devices emulated, &gt;= 1; it must divide every batch
     * @throws BalconException if {@code shards} is below 1, or the method has no data-parallel form (byol, simsiam)
     */
    public DataParallelStep(Method method, int shards) {
        if (shards < 1) {
            throw new BalconException("shards must be >= 1, got " + shards);
        }
        this.method = method;
        this.loss = method.shardedLoss().orElseThrow(() -> new BalconException("shards = " + shards
                + " splits the negatives of a batch; method " + method.name() + " compares no negatives"));
        this.model = method.model();
        this.shards = shards;
        this.modelManager = model.trainableParameters().get(0).getArray().getManager();
        this.parameterStore = new ParameterStore(modelManager, false);
    }

    /** K, the number of shards each batch is split into. */
    public int shards() {
        return shards;
    }

    /**
     * Runs the step (batch statistics in batch norm) and returns the loss of the whole batch, as {@code TrainStep}
     * does: forward and loss, backward, the optimiser's update, the method's {@link Method#afterStep}. A non-finite
     * loss is returned without a backward pass, an update or the after-step work.
     *
     * @param step       0-based index of this optimiser step in the run
     * @param totalSteps the run's planned number of steps
     * @throws BalconException if K does not divide the batch size
     */
    public double run(TwoViewBatch batch, double learningRate, long step, long totalSteps) {
        double value;
        try (NDManager scope = modelManager.newSubManager()) {
            Shape viewShape = new Shape(batch.batchSize(), batch.channels(), batch.height(), batch.width());
            value = accumulateGradients(scope.create(batch.view1(), viewShape), scope.create(batch.view2(), viewShape),
                    true);
        }
        if (Double.isFinite(value)) {
            method.optimizer().step(learningRate);
            method.afterStep(step, totalSteps);
        }
        return value;
    }

    /**
     * Adds to the gradients of the method's trainable parameters the all-reduced (averaged) gradient of the K
     * devices for one batch, without updating the parameters (moco: the batch's keys then wait for
     * {@link Method#afterStep}, as after {@link Method#loss}).
     *
     * @param view1 the first views [B, C, H, W] on the model's device, image i in row i; K must divide B
     * @param view2 the second views, same shape
     * @param training true for batch statistics in batch norm (per shard; the first shard's running statistics
     *     are kept), false for the running statistics (no shard then changes the result)
     * @return the mean of the K shard losses (the whole batch's loss); if it is not finite, nothing is added
     * @throws BalconException if K does not divide B, B / K &lt; 1, or the views differ in shape
     */
    public double accumulateGradients(NDArray view1, NDArray view2, boolean training) {
        long batchSize = view1.getShape().get(0);
        if (!view1.getShape().equals(view2.getShape())) {
            throw new BalconException("view1 and view2 must have the same shape, got " + view1.getShape() + " and "
                    + view2.getShape());
        }
        if (batchSize % shards != 0) {
            throw new BalconException("shards = " + shards + " does not divide the batch size " + batchSize
                    + ": every device must get the same number of images");
        }
        long n = batchSize / shards;
        List<Pair<Parameter, NDArray>> firstShardStatistics = new ArrayList<>();
        try (NDManager scope = view1.getManager().newSubManager();
             GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            // With the views in the scope for the call, every array derived from them is freed with it.
            if (view1 == view2) {
                scope.tempAttachAll(view1);
            } else {
                scope.tempAttachAll(view1, view2);
            }
            List<NDList> outputs = new ArrayList<>(shards);
            for (int k = 0; k < shards; k++) {
                NDIndex rows = new NDIndex("{}:{}", k * n, (k + 1) * n);
                outputs.add(loss.forwardShard(parameterStore, view1.get(rows), view2.get(rows), training));
                if (k == 0 && training) {
                    for (Pair<String, Parameter> named : model.namedParameters()) {
                        if (!named.getValue().requiresGradient()) {
                            firstShardStatistics.add(new Pair<>(named.getValue(),
                                    named.getValue().getArray().duplicate()));
                        }
                    }
                }
            }
            GatheredLoss.Result gathered = loss.lossAndGradients(outputs, collector);
            if (!Double.isFinite(gathered.loss())) {
                return gathered.loss();
            }
            for (int k = 0; k < shards; k++) {
                // Seeding shard k's backward with its summed gradient / K accumulates, over the K passes, DDP's
                // average of the devices' parameter gradients.
                NDArray surrogate = outputs.get(k).get(0).mul(Scalars.div(gathered.gradientsZ1().get(k), shards)).sum()
                        .add(outputs.get(k).get(1).mul(Scalars.div(gathered.gradientsZ2().get(k), shards)).sum());
                collector.backward(surrogate);
            }
            return gathered.loss();
        } finally {
            for (Pair<Parameter, NDArray> saved : firstShardStatistics) {
                // intern hands the saved copy's storage to the parameter's array and frees the copy
                saved.getKey().getArray().intern(saved.getValue());
            }
        }
    }
}
