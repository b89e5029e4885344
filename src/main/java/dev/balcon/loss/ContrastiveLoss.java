package dev.balcon.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
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
 * positive of row r is column (r + N) mod 2N.
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
        NDManager callerManager = z1.getManager();
        try (NDManager scope = callerManager.newSubManager()) {
            // Moving the inputs into the scope for the duration of the call makes every derived array land
            // in the scope too; the inputs go back to their managers when the scope closes.
            if (z1 == z2) {
                scope.tempAttachAll(z1);
            } else {
                scope.tempAttachAll(z1, z2);
            }
            NDArray views = z1.concat(z2, 0);
            NDArray similarity = similarityMatrix(views);

            NDArray positiveColumn = partnerIndex(scope, batchSize).reshape(2L * batchSize, 1);
            NDArray positiveSimilarity = similarity.gather(positiveColumn, 1).reshape(2L * batchSize);

            NDArray logits = similarity.mul(config.alpha());
            // Excluded entries become -infinity, which exp maps to exactly 0. (Measured on the CPU: this where
            // plus exp beats multiplying by a 0/1 mask, whose extra [2N, 2N] temporaries cost more; a large
            // finite value instead of -infinity would hit PyTorch's much slower exp path for underflow.)
            NDArray minusInfinity = scope.full(new Shape(), Float.NEGATIVE_INFINITY, z1.getDataType());
            NDArray candidateLogits = NDArrays.where(candidateMask(scope, batchSize), logits, minusInfinity);
            NDArray logSumExp = logSumExpOverRows(candidateLogits);

            // Scale the per-anchor terms, not the mean: a 0-d array times a Java double would come out
            // float64 (both operands are 0-d, so PyTorch promotes to the wider type).
            double scale = config.scaleByInvAlpha() ? 1 / config.alpha() : 1;
            NDArray perAnchor = positiveSimilarity.mul(-config.alpha() * scale)
                    .add(logSumExp.mul(config.repellingWeight() * scale));
            NDArray loss = perAnchor.mean();
            loss.attach(callerManager);
            return loss;
        }
    }

    private NDArray similarityMatrix(NDArray views) {
        switch (config.similarity()) {
            case COSINE: {
                NDArray norms = views.norm(new int[] {1}, true).maximum(NORM_EPSILON);
                NDArray unit = views.div(norms);
                return unit.matMul(unit.transpose());
            }
            case DOT:
                return views.matMul(views.transpose());
            case NEG_EUCLIDEAN: {
                // |a - b|^2 = |a|^2 + |b|^2 - 2 a.b keeps memory at O(N^2) instead of O(N^2 d).
                NDArray squaredNorms = views.square().sum(new int[] {1}, true);
                NDArray squaredDistances = squaredNorms.add(squaredNorms.transpose())
                        .sub(views.matMul(views.transpose()).mul(2));
                return squaredDistances.maximum(SQUARED_DISTANCE_FLOOR).sqrt().neg();
            }
            default:
                throw new IllegalStateException("unhandled similarity " + config.similarity());
        }
    }

    /** Boolean [2N, 2N]: true where column c is a candidate of anchor row r. */
    private NDArray candidateMask(NDManager scope, int batchSize) {
        int views = 2 * batchSize;
        NDArray rows = scope.arange(0, views, 1, DataType.INT64).reshape(views, 1);
        NDArray columns = rows.reshape(1, views);
        NDArray candidates = config.candidates() == Candidates.CROSS_VIEW
                ? rows.gte(batchSize).neq(columns.gte(batchSize)) // the other view only; excludes the anchor too
                : rows.neq(columns);
        if (!config.includePositive()) {
            candidates = candidates.logicalAnd(partnerIndex(scope, batchSize).reshape(views, 1).neq(columns));
        }
        return candidates;
    }

    /** Int64 [2N]: the row of each view's positive, (r + N) mod 2N. */
    private static NDArray partnerIndex(NDManager scope, int batchSize) {
        return scope.arange(0, 2 * batchSize, 1, DataType.INT64).add(batchSize).mod(2L * batchSize);
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
