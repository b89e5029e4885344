package dev.balcon.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import dev.balcon.BalconException;
import dev.balcon.loss.ContrastiveLoss;
import dev.balcon.loss.LossConfig;
import dev.balcon.loss.Scalars;
import dev.balcon.model.ArrayValues;
import dev.balcon.model.ContrastiveModel;
import dev.balcon.train.parallel.GatheredLoss;
import dev.balcon.train.parallel.ShardedLoss;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;

/**
 * MoCo v2 (Chen et al., 2020, "Improved Baselines with Momentum Contrastive Learning"; MoCo: He et al., 2020): the
 * query encoder is the model (backbone + projector), the key encoder a momentum copy of it, and the negatives a FIFO
 * queue of L2-normalised keys of earlier batches.
 *
 * <p>One step: both views go through the query encoder in one forward pass (training mode, batch-norm statistics
 * over all 2N views) and through the key encoder in one forward pass in inference mode (its batch norms use their
 * running statistics, so the keys carry no statistics of the batch: no shuffle is needed against batch-norm leakage,
 * docs/methods.md). The loss is symmetric: each view's query against the other view's key as positive and the queue
 * as negatives, with the contrastive loss family ({@link ContrastiveLoss#computeAgainstQueue}; NT-Xent is InfoNCE),
 * the mean over all 2N queries. After the optimiser's update ({@link #afterStep}): the key encoder becomes
 * {@code m key + (1 - m) query} over every parameter and batch-norm running statistic, with a constant m
 * ({@code momentumTau}), then the step's 2N keys (view-1 keys, then view-2 keys) are written into the queue from its
 * pointer on, modulo the queue size (a step may wrap around the end), and the pointer advances by 2N.
 *
 * <p>The queue starts as unit vectors of seeded Gaussian draws, as in the reference code
 * ({@code facebookresearch/moco}, {@code moco/builder.py}).
 */
public final class MoCo extends Method {
    private final ContrastiveModel keyEncoder;
    private final ContrastiveLoss loss;
    private final double momentumTau;
    private final NDArray queue;
    private long pointer;
    /** The keys of the last {@link #loss} call, [2N, d] unit vectors, enqueued by {@link #afterStep}. */
    private NDArray pendingKeys;

    /**
     * MoCo training {@code model} (the query encoder) with SGD; {@code keyEncoder} is set to a copy of {@code model}.
     * This method closes both.
     *
     * @param loss        the contrastive loss (cosine similarity only)
     * @param momentumTau the constant EMA rate m of the key encoder, in [0, 1]
     * @param queueSize   the number K of keys in the queue, &gt;= 1
     * @param queueSeed   seeds the queue's initial unit vectors
     * @throws BalconException if {@code keyEncoder} has another architecture than {@code model}, the similarity is
     *     not cosine, or queueSize &lt; 1
     */
    public MoCo(ContrastiveModel model, ContrastiveModel keyEncoder, LossConfig loss, double momentumTau,
                int queueSize, long queueSeed, double momentum, double weightDecay) {
        super(Methods.MOCO, model, List.of(), momentum, weightDecay);
        if (!keyEncoder.config().equals(model.config())) {
            keyEncoder.close();
            throw new BalconException("the key encoder is " + keyEncoder.config() + "; the model is " + model.config());
        }
        this.keyEncoder = keyEncoder;
        if (loss.similarity() != dev.balcon.loss.Similarity.COSINE) {
            keyEncoder.close();
            throw new BalconException("similarity must be cosine for moco (its keys and queue are unit vectors), got "
                    + loss.similarity().cliName());
        }
        if (queueSize < 1) {
            keyEncoder.close();
            throw new BalconException("queueSize must be >= 1, got " + queueSize);
        }
        this.loss = new ContrastiveLoss(loss);
        this.momentumTau = momentumTau;
        List<Pair<String, Parameter>> query = model.namedParameters();
        for (int i = 0; i < query.size(); i++) {
            ArrayValues.overwrite(keyEncoder.namedParameters().get(i).getValue().getArray(),
                    query.get(i).getValue().getArray().toFloatArray());
        }
        int dim = model.config().projectorOutDim();
        Random random = new Random(queueSeed);
        float[] values = new float[queueSize * dim];
        for (int row = 0; row < queueSize; row++) {
            double squares = 0;
            for (int j = 0; j < dim; j++) {
                double v = random.nextGaussian();
                values[row * dim + j] = (float) v;
                squares += v * v;
            }
            float norm = (float) Math.max(Math.sqrt(squares), 1e-12);
            for (int j = 0; j < dim; j++) {
                values[row * dim + j] /= norm;
            }
        }
        NDManager manager = model.namedParameters().get(0).getValue().getArray().getManager();
        this.queue = manager.create(values, new Shape(queueSize, dim));
    }

    /** The key encoder (a momentum copy of the model). */
    public ContrastiveModel keyEncoder() {
        return keyEncoder;
    }

    /** The queue of negatives, float32 [K, d], rows unit vectors; live: written by {@link #afterStep}. */
    public NDArray queue() {
        return queue;
    }

    /** Where the next key goes, in [0, K). */
    public long queuePointer() {
        return pointer;
    }

    /** The constant EMA rate m of the key encoder. */
    public double momentumTau() {
        return momentumTau;
    }

    @Override
    public NDArray loss(ParameterStore parameters, NDArray view1, NDArray view2) {
        long n = view1.getShape().get(0);
        NDArray views = NDArrays.concat(new NDList(view1, view2));
        NDArray q = model().forward(parameters, views, true).get(1);
        NDArray unitKeys = unitKeys(parameters, views);
        NDArray result = loss.computeAgainstQueue(q, otherViews(unitKeys, n), queue);
        enqueueAfterStep(unitKeys);
        return result;
    }

    /**
     * Data parallel as MoCo v2's DistributedDataParallel code ({@code facebookresearch/moco}, {@code moco/builder.py},
     * {@code concat_all_gather}): each shard's queries come from its own forward pass through the query encoder and
     * its keys from the key encoder in inference mode (so the reference's shuffle-BN, which keeps a shard's keys from
     * sharing batch statistics with its queries, is not needed); each query's positive is its own image's key from
     * the other view, and its negatives are the shared queue. No gradient crosses shards (keys and queue are
     * constants). After the collective step the keys of all shards, gathered in the order of the unsplit batch (the
     * view-1 keys of every shard, then the view-2 keys), wait for {@link #afterStep}, so that the queue after a
     * sharded step is the queue after the unsplit step. The mean of the shard losses is the unsplit loss.
     */
    @Override
    public Optional<ShardedLoss> shardedLoss() {
        return Optional.of(new ShardedLoss() {
            /** NDList(view-1 queries [n, d], view-2 queries [n, d], unit keys [2n, d]: view 1's, then view 2's). */
            @Override
            public NDList forwardShard(ParameterStore parameters, NDArray view1, NDArray view2, boolean training) {
                long n = view1.getShape().get(0);
                NDArray views = view1.concat(view2);
                NDArray q = model().forward(parameters, views, training).get(1);
                return new NDList(q.get(new NDIndex("0:{}", n)), q.get(new NDIndex("{}:", n)),
                        unitKeys(parameters, views));
            }

            @Override
            public GatheredLoss.Result lossAndGradients(List<NDList> shards, GradientCollector collector) {
                NDList keys1 = new NDList(shards.size());
                NDList keys2 = new NDList(shards.size());
                List<NDArray[]> received = new ArrayList<>(shards.size());
                List<NDArray> shardLosses = new ArrayList<>(shards.size());
                double lossSum = 0;
                for (NDList shard : shards) {
                    long n = shard.get(0).getShape().get(0);
                    // leaves, so that each shard's backward stops at its queries, as on its own device
                    NDArray q1 = shard.get(0).stopGradient().duplicate();
                    NDArray q2 = shard.get(1).stopGradient().duplicate();
                    q1.setRequiresGradient(true);
                    q2.setRequiresGradient(true);
                    NDArray unitKeys = shard.get(2);
                    keys1.add(unitKeys.get(new NDIndex("0:{}", n)));
                    keys2.add(unitKeys.get(new NDIndex("{}:", n)));
                    NDArray shardLoss = loss.computeAgainstQueue(q1.concat(q2), otherViews(unitKeys, n), queue);
                    received.add(new NDArray[] {q1, q2});
                    shardLosses.add(shardLoss);
                    lossSum += shardLoss.getFloat();
                }
                enqueueAfterStep(NDArrays.concat(keys1.addAll(keys2)));
                double meanLoss = lossSum / shards.size();
                if (!Double.isFinite(meanLoss)) {
                    return new GatheredLoss.Result(meanLoss, List.of(), List.of());
                }
                List<NDArray> gradients1 = new ArrayList<>(shards.size());
                List<NDArray> gradients2 = new ArrayList<>(shards.size());
                for (int k = 0; k < shards.size(); k++) {
                    // only shard k's own loss depends on its queries: the summed gradient is its own
                    collector.backward(shardLosses.get(k));
                    gradients1.add(received.get(k)[0].getGradient().duplicate());
                    gradients2.add(received.get(k)[1].getGradient().duplicate());
                }
                return new GatheredLoss.Result(meanLoss, gradients1, gradients2);
            }
        });
    }

    /** The key encoder's projections of {@code views} [M, ...] in inference mode, as unit float32 rows [M, d]. */
    private NDArray unitKeys(ParameterStore parameters, NDArray views) {
        NDArray k = keyEncoder.forward(parameters, views, false).get(1).stopGradient();
        if (k.getDataType() != DataType.FLOAT32) {
            k = k.toType(DataType.FLOAT32, false);
        }
        return k.div(Scalars.maximum(k.norm(new int[] {1}, true), 1e-12)).stopGradient();
    }

    /** Rows [2n, d] of both views' keys of n images, swapped: the positive of view 1's query i is view 2's key i. */
    private static NDArray otherViews(NDArray keys, long n) {
        return keys.get(new NDIndex("{}:", n)).concat(keys.get(new NDIndex("0:{}", n)), 0);
    }

    /** Keeps a copy of the step's unit keys [2N, d] (view-1 keys, then view-2 keys) for {@link #afterStep}. */
    private void enqueueAfterStep(NDArray unitKeys) {
        if (pendingKeys != null) {
            pendingKeys.close();
        }
        pendingKeys = unitKeys.duplicate();
        pendingKeys.attach(queue.getManager());
    }

    /** key encoder = m key + (1 - m) query over every parameter and running statistic, then the step's keys enqueued. */
    @Override
    public void afterStep(long step, long totalSteps) {
        List<Pair<String, Parameter>> query = model().namedParameters();
        List<Pair<String, Parameter>> key = keyEncoder.namedParameters();
        for (int i = 0; i < query.size(); i++) {
            NDArray keyArray = key.get(i).getValue().getArray();
            try (NDManager scratch = keyArray.getManager().newSubManager()) {
                NDArray update = query.get(i).getValue().getArray().mul(1 - momentumTau);
                update.attach(scratch);
                keyArray.muli(momentumTau).addi(update);
            }
        }
        if (pendingKeys == null) {
            return;
        }
        long size = queue.getShape().get(0);
        long count = pendingKeys.getShape().get(0);
        if (count > size) {
            throw new BalconException("queueSize must be >= 2 x batchSize (a step enqueues the keys of both views), got "
                    + size + " for " + count + " keys");
        }
        long first = Math.min(count, size - pointer);
        queue.set(new NDIndex("{}:{}", pointer, pointer + first), pendingKeys.get(new NDIndex("0:{}", first)));
        if (first < count) {
            queue.set(new NDIndex("0:{}", count - first), pendingKeys.get(new NDIndex("{}:", first)));
        }
        pointer = (pointer + count) % size;
        pendingKeys.close();
        pendingKeys = null;
    }

    /** The key encoder's parameters (running statistics included), then K, d, the queue's values and the pointer. */
    @Override
    public void saveState(DataOutputStream out) throws IOException {
        keyEncoder.saveParameters(out);
        Shape shape = queue.getShape();
        out.writeLong(shape.get(0));
        out.writeLong(shape.get(1));
        for (float v : queue.toFloatArray()) {
            out.writeFloat(v);
        }
        out.writeLong(pointer);
    }

    @Override
    public void loadState(DataInputStream in) throws IOException {
        keyEncoder.loadParameters(in);
        long size = in.readLong();
        long dim = in.readLong();
        Shape shape = queue.getShape();
        if (size != shape.get(0) || dim != shape.get(1)) {
            throw new BalconException("the stored queue is [" + size + ", " + dim + "]; this run's queueSize and "
                    + "projectorOut make it [" + shape.get(0) + ", " + shape.get(1) + "]");
        }
        float[] values = new float[Math.toIntExact(size * dim)];
        for (int i = 0; i < values.length; i++) {
            values[i] = in.readFloat();
        }
        long storedPointer = in.readLong();
        if (storedPointer < 0 || storedPointer >= size) {
            throw new BalconException("the stored queue pointer " + storedPointer + " is outside [0, " + size + ")");
        }
        ArrayValues.overwrite(queue, values);
        pointer = storedPointer;
    }

    @Override
    public long nonFiniteStateValues() {
        long count = keyEncoder.nonFiniteParameterValues();
        for (float v : queue.toFloatArray()) {
            if (!Float.isFinite(v)) {
                count++;
            }
        }
        return count;
    }

    @Override
    public void close() {
        if (pendingKeys != null) {
            pendingKeys.close();
        }
        queue.close();
        keyEncoder.close();
        super.close();
    }
}
