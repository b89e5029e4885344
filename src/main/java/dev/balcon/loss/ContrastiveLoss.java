package dev.balcon.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.balcon.BalconException;
import java.util.Objects;

/**
 * The contrastive loss family of {@link LossConfig}, computed for a whole batch at once on the 2N x 2N
 * similarity matrix of both views: candidate and positive selection are masks, the log-sum-exp subtracts
 * the row maximum, and memory is O(N^2 + N d). Gradients come from the engine's autograd, so call
 * {@link #compute} inside a {@code GradientCollector} to train through it.
 *
 * <p>Rows 0..N-1 of the matrix are the view-1 anchors and rows N..2N-1 the view-2 anchors, so the
 * positive of row r is column (r + N) mod 2N. {@link #computeShard} computes the rows of one shard's anchors
 * only, against all 2N columns, for data-parallel training with gathered negatives.
 */
public final class ContrastiveLoss {

    /** As torch's F.normalize: rows are divided by max(|z|, 1e-12), so a zero row stays finite. */
    private static final double NORM_EPSILON = 1e-12;
    /**
     * Floor of a squared distance before its square root: sqrt has an infinite slope at 0, so coinciding
     * points (the excluded diagonal, or two identical views) would turn the gradient into NaN. Below the
     * floor the distance gets a zero gradient, as torch.cdist does; 1e-30 is far below any distance that
     * matters and still a normal float32.
     */
    private static final double SQUARED_DISTANCE_FLOOR = 1e-30;

    private final LossConfig config;

    /** A loss computing the member of the family that {@code config} describes. */
    public ContrastiveLoss(LossConfig config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    /** The configuration this loss computes. */
    public LossConfig config() {
        return config;
    }

    /**
     * The mean per-anchor loss over the 2N views of a batch.
     *
     * <p>The result is a scalar of the inputs' data type, on their device, attached to {@code z1}'s manager;
     * every intermediate array is closed before returning (autograd keeps what backward needs), so calling
     * this in a training loop leaks nothing beyond the returned scalar.
     *
     * @param z1 the projections of view 1, shape [N, d]
     * @param z2 the projections of view 2, same shape, row i the same image as row i of z1
     * @return the loss, differentiable with respect to z1 and z2
     * @throws BalconException if the shapes are not [N, d] with N &gt;= 2 and equal, or the data types differ
     */
    public NDArray compute(NDArray z1, NDArray z2) {
        int batchSize = validateBatch(z1, z2);
        return meanOverAnchors(z1, z2, batchSize, 0, batchSize);
    }

    /**
     * The mean loss over the anchors of one shard of a batch gathered from K devices, as each device computes
     * it in data-parallel training with gathered negatives (lightly's {@code gather_distributed}, solo-learn's
     * {@code full_gather}): the anchors are both views of images {@code firstImage .. firstImage + imageCount - 1},
     * and each is contrasted with its candidates among all 2N gathered views. Every anchor's term is the one
     * {@link #compute} gives it, so for K equal shards the mean of the K shard losses is {@code compute(z1, z2)}.
     *
     * <p>Same result contract as {@link #compute}: a scalar on the inputs' device, attached to {@code z1}'s manager.
     *
     * @param z1 the gathered projections of view 1, shape [N, d], shards in order
     * @param z2 the gathered projections of view 2, same shape
     * @param firstImage the shard's first image (row of z1), in [0, N)
     * @param imageCount the shard's number of images, &gt;= 1, with firstImage + imageCount &lt;= N
     * @return the mean over the shard's 2 * imageCount anchors, differentiable with respect to z1 and z2
     * @throws BalconException if the shapes or types are invalid as for {@link #compute}, or the shard does not lie
     *     in the batch
     */
    public NDArray computeShard(NDArray z1, NDArray z2, int firstImage, int imageCount) {
        int batchSize = validateBatch(z1, z2);
        if (firstImage < 0 || imageCount < 1 || firstImage > batchSize - imageCount) {
            throw new BalconException("a shard of imageCount = " + imageCount + " images from firstImage = "
                    + firstImage + " must lie within the batch of N = " + batchSize + " images");
        }
        return meanOverAnchors(z1, z2, batchSize, firstImage, imageCount);
    }

    /**
     * The loss family with a queue of keys as the candidates, as MoCo's InfoNCE (He et al. 2020, eq. 1; Chen et al.
     * 2020, "Improved Baselines with Momentum Contrastive Learning"): per query q with positive key k+,
     * {@code l(q) = -alpha s(q, k+) + (lambda/nu) log(exp(alpha s(q, k+)) + sum_j exp(alpha s(q, queue_j)))}, divided
     * by alpha if {@code scaleByInvAlpha}; without the positive's term if the positive is excluded (dcl). The mean over
     * the queries. The candidate set of the configuration (all_views, cross_view) does not apply: the queue is the
     * candidates. NT-Xent at tau is InfoNCE at temperature tau; the balanced loss weighs the repelling term over the
     * queue by lambda and scales by 1/alpha.
     *
     * <p>Only the cosine similarity: keys and queue are unit vectors, s is {@code q/|q| . k} (q divided by
     * max(|q|, 1e-12)). Gradients flow into {@code queries} only if the keys are detached. The result is a scalar
     * attached to {@code queries}' manager; intermediates are closed.
     *
     * @param queries      [M, d], M &gt;= 1
     * @param positiveKeys [M, d] unit vectors, row i the positive of query i
     * @param queue        [K, d] unit vectors, K &gt;= 1, the negatives of every query
     * @throws BalconException if the similarity is not cosine, or the shapes do not fit
     */
    public NDArray computeAgainstQueue(NDArray queries, NDArray positiveKeys, NDArray queue) {
        if (config.similarity() != Similarity.COSINE) {
            throw new BalconException("similarity must be cosine for a loss against a queue of unit keys (moco), got "
                    + config.similarity().cliName());
        }
        Shape shape = queries.getShape();
        if (shape.dimension() != 2 || shape.get(0) < 1 || !shape.equals(positiveKeys.getShape())
                || queue.getShape().dimension() != 2 || queue.getShape().get(0) < 1
                || queue.getShape().get(1) != shape.get(1)) {
            throw new BalconException("queries and positiveKeys must have shape [M, d] and queue [K, d], got "
                    + shape + ", " + positiveKeys.getShape() + " and " + queue.getShape());
        }
        NDManager callerManager = queries.getManager();
        try (NDManager scope = callerManager.newSubManager()) {
            NDArray q = queries.getDataType() == queue.getDataType() ? queries
                    : queries.toType(queue.getDataType(), false);
            scope.tempAttachAll(q);
            NDArray unit = q.div(Scalars.maximum(q.norm(new int[] {1}, true), NORM_EPSILON));
            NDArray positive = unit.mul(positiveKeys).sum(new int[] {1});
            NDArray negatives = unit.matMul(queue.transpose());
            NDArray candidates = config.includePositive() ? positive.reshape(-1, 1).concat(negatives, 1) : negatives;
            NDArray logSumExp = logSumExpOverRows(Scalars.mul(candidates, config.alpha()));
            double scale = config.scaleByInvAlpha() ? 1 / config.alpha() : 1;
            NDArray loss = Scalars.mul(positive, -config.alpha() * scale)
                    .add(Scalars.mul(logSumExp, config.repellingWeight() * scale))
                    .mean();
            loss.attach(callerManager);
            return loss;
        }
    }

    private NDArray meanOverAnchors(NDArray z1, NDArray z2, int batchSize, int firstImage, int imageCount) {
        NDManager callerManager = z1.getManager();
        try (NDManager scope = callerManager.newSubManager()) {
            // Moving the inputs into the scope for the duration of the call makes every derived array land
            // in the scope too; the inputs go back to their managers when the scope closes.
            if (z1 == z2) {
                scope.tempAttachAll(z1);
            } else {
                scope.tempAttachAll(z1, z2);
            }
            int anchors = 2 * imageCount;
            NDArray views = z1.concat(z2, 0);
            NDArray anchorRows = imageCount == batchSize
                    ? scope.arange(0, anchors, 1, DataType.INT64)
                    : scope.arange(firstImage, firstImage + imageCount, 1, DataType.INT64)
                            .concat(scope.arange(batchSize + firstImage, batchSize + firstImage + imageCount, 1,
                                    DataType.INT64));
            NDArray similarity = similarityMatrix(views, batchSize, firstImage, imageCount);

            NDArray positiveColumn = partnerIndex(anchorRows, batchSize).reshape(anchors, 1);
            NDArray positiveSimilarity = similarity.gather(positiveColumn, 1).reshape(anchors);

            NDArray logits = Scalars.mul(similarity, config.alpha());
            // Excluded entries become -infinity, which exp maps to exactly 0. (Measured on the CPU: this where
            // plus exp beats multiplying by a 0/1 mask, whose extra [2N, 2N] temporaries cost more; a large
            // finite value instead of -infinity would hit PyTorch's much slower exp path for underflow.)
            NDArray minusInfinity = scope.full(new Shape(), Float.NEGATIVE_INFINITY, z1.getDataType());
            NDArray candidateLogits = NDArrays.where(candidateMask(scope, batchSize, anchorRows), logits,
                    minusInfinity);
            NDArray logSumExp = logSumExpOverRows(candidateLogits);

            // Scale the per-anchor terms, not the mean: a 0-d array times a Java double would come out
            // float64 (both operands are 0-d, so PyTorch promotes to the wider type).
            double scale = config.scaleByInvAlpha() ? 1 / config.alpha() : 1;
            NDArray perAnchor = Scalars.mul(positiveSimilarity, -config.alpha() * scale)
                    .add(Scalars.mul(logSumExp, config.repellingWeight() * scale));
            NDArray loss = perAnchor.mean();
            loss.attach(callerManager);
            return loss;
        }
    }

    /**
     * [2n, 2N]: the similarity of each anchor (both views of the shard's n images, view 1 first) to every view.
     * For the whole batch the anchors are the views themselves.
     */
    private NDArray similarityMatrix(NDArray views, int batchSize, int firstImage, int imageCount) {
        switch (config.similarity()) {
            case COSINE: {
                NDArray norms = Scalars.maximum(views.norm(new int[] {1}, true), NORM_EPSILON);
                NDArray unit = views.div(norms);
                return anchorRows(unit, batchSize, firstImage, imageCount).matMul(unit.transpose());
            }
            case DOT:
                return anchorRows(views, batchSize, firstImage, imageCount).matMul(views.transpose());
            case NEG_EUCLIDEAN: {
                // |a - b|^2 = |a|^2 + |b|^2 - 2 a.b keeps memory at O(N^2) instead of O(N^2 d).
                NDArray anchors = anchorRows(views, batchSize, firstImage, imageCount);
                NDArray squaredNorms = views.square().sum(new int[] {1}, true);
                NDArray anchorSquaredNorms = anchorRows(squaredNorms, batchSize, firstImage, imageCount);
                NDArray squaredDistances = anchorSquaredNorms.add(squaredNorms.transpose())
                        .sub(Scalars.mul(anchors.matMul(views.transpose()), 2));
                return Scalars.maximum(squaredDistances, SQUARED_DISTANCE_FLOOR).sqrt().neg();
            }
            default:
                throw new IllegalStateException("unhandled similarity " + config.similarity());
        }
    }

    /** The rows of {@code perView} [2N, ...] of the shard's anchors: its view-1 rows, then its view-2 rows. */
    private static NDArray anchorRows(NDArray perView, int batchSize, int firstImage, int imageCount) {
        if (imageCount == batchSize) {
            return perView;
        }
        return perView.get(new NDIndex("{}:{}", firstImage, firstImage + imageCount))
                .concat(perView.get(new NDIndex("{}:{}", batchSize + firstImage, batchSize + firstImage + imageCount)));
    }

    /** Boolean [2n, 2N]: true where column c is a candidate of the anchor in row r (view {@code anchorRows[r]}). */
    private NDArray candidateMask(NDManager scope, int batchSize, NDArray anchorRows) {
        NDArray rows = anchorRows.reshape(-1, 1);
        NDArray columns = scope.arange(0, 2 * batchSize, 1, DataType.INT64).reshape(1, 2L * batchSize);
        NDArray candidates = config.candidates() == Candidates.CROSS_VIEW
                ? rows.gte(batchSize).neq(columns.gte(batchSize)) // the other view only; excludes the anchor too
                : rows.neq(columns);
        if (!config.includePositive()) {
            candidates = candidates.logicalAnd(partnerIndex(rows, batchSize).neq(columns));
        }
        return candidates;
    }

    /** The view index of each view's positive, (r + N) mod 2N, in the shape of {@code viewIndex}. */
    private static NDArray partnerIndex(NDArray viewIndex, int batchSize) {
        return viewIndex.add(batchSize).mod(2L * batchSize);
    }

    /** log sum_c exp(x[r, c]) per row, shifted by the row maximum so that no exp overflows. */
    private static NDArray logSumExpOverRows(NDArray logits) {
        // The shift is a constant for autograd: its contributions to the gradient cancel exactly.
        NDArray rowMax = logits.max(new int[] {1}, true).stopGradient();
        return logits.sub(rowMax).exp().sum(new int[] {1}).log().add(rowMax.reshape(-1));
    }

    private static int validateBatch(NDArray z1, NDArray z2) {
        Shape shape1 = z1.getShape();
        Shape shape2 = z2.getShape();
        if (shape1.dimension() != 2) {
            throw new BalconException("z1 must have shape [N, d], got " + shape1);
        }
        if (!shape1.equals(shape2)) {
            throw new BalconException("z1 and z2 must have the same shape, got " + shape1 + " and " + shape2);
        }
        if (shape1.get(0) < 2) {
            throw new BalconException("the loss needs a batch of N >= 2 images, got N = " + shape1.get(0));
        }
        if (z1.getDataType() != z2.getDataType()) {
            throw new BalconException("z1 and z2 must have the same data type, got " + z1.getDataType()
                    + " and " + z2.getDataType());
        }
        return Math.toIntExact(shape1.get(0));
    }
}
