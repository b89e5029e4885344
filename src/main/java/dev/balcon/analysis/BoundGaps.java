package dev.balcon.analysis;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.balcon.BalconException;

/**
 * The attracting and repelling upper bounds of the paper, and their gaps, estimated from K augmented
 * views of N labelled images.
 *
 * <p>Estimator (the decisions of this project; docs/instruments.md explains each):
 * <ul>
 *   <li>s is cosine similarity and f is L2-normalised: every view embedding is divided by its norm
 *       (zero vectors stay zero and have similarity 0 with everything).</li>
 *   <li>Anchors: every view of every image in turn, z = f(view k of x); all N K anchors are averaged.</li>
 *   <li>E_T' (both bounds): the mean over the other K-1 view indices k' != k, hence K >= 2.</li>
 *   <li>mu~_x in the attracting term: the mean of f over the other K-1 views of x (leave the anchor out),
 *       so that term and bound see the same draws and the gap is Jensen's gap alone. With K = 2 it is a
 *       single unit vector and the attracting gap is exactly 0; use K >= 3 to see it.</li>
 *   <li>mu_y: the mean over the images of class y of their K-view means of f (all views), the same
 *       prototype as {@link PrototypeBias} with normalisation.</li>
 *   <li>E_X': the mean over all N images (every class, the anchor's own image included), each seen through
 *       the same view index k', as the cross-view loss pairs t'(x') for all x' in the batch; n is
 *       {@code numClasses}.</li>
 * </ul>
 *
 * <p>Per anchor: attracting gap = s(z, mu~_x) - z . mu~_x = z . mu~_x (1/|mu~_x| - 1), which is >= 0
 * exactly when z . mu~_x >= 0 (or |mu~_x| = 1). The repelling bound is guaranteed (for expectations) when
 * the classes are balanced and the closest other-class prototype mu* has s(z, mu*) <= z . mu* / nu
 * (z . mu* >= 0 with |mu*| >= nu, or z . mu* <= 0 with |mu*| <= nu); otherwise, and through the finite
 * samples here (unequal class counts, prototypes that include the anchor's view index), it can fail.
 * Anchors where a bound fails are counted as violations; they are a finding, not an error.
 *
 * <p>Cost: the repelling bound needs the similarity of every anchor with every view, (N K)^2 D
 * multiply-adds, computed as float32 matrix products in blocks of at most 16M similarities (64 MB);
 * everything else is O(N K (D + n D)) in float64.
 */
public final class BoundGaps {

    /** An anchor whose gap is below minus this counts as a violation. */
    public static final double VIOLATION_TOLERANCE = 1e-6;

    /** Upper bound on the elements of one anchors-by-partner-views similarity block (float32, 64 MB). */
    private static final long GRAM_CHUNK_ELEMENTS = 1L << 24;

    private BoundGaps() {}

    /**
     * @param e      view embeddings with K >= 2 views and at least 2 classes
     * @param alpha  inverse temperature of the repelling bound, finite and > 0
     * @param lambda weight of the repelling term, finite and > 0
     * @param nu     the paper's nu in 1/(nu alpha), finite and > 0 (default 1)
     */
    public static BoundGapResult compute(ViewEmbeddings e, double alpha, double lambda, double nu) {
        return compute(e, alpha, lambda, nu, GRAM_CHUNK_ELEMENTS);
    }

    /** {@link #compute(ViewEmbeddings, double, double, double)} with similarity blocks of at most the given size. */
    static BoundGapResult compute(ViewEmbeddings e, double alpha, double lambda, double nu, long gramChunkElements) {
        requirePositive("alpha", alpha);
        requirePositive("lambda", lambda);
        requirePositive("nu", nu);
        int n = e.images();
        int k = e.viewsPerImage();
        int d = e.dimension();
        int classes = e.numClasses();
        if (k < 2) {
            throw new BalconException("the bound gaps need K >= 2 views per image (an anchor and another view of the"
                    + " same image), got K = " + k);
        }
        if (classes < 2) {
            throw new BalconException("the bound gaps need numClasses >= 2 (the repelling term is a max over the"
                    + " other classes), got " + classes);
        }
        int[] labels = e.labels();
        double[] prototypes = Prototypes.classMeans(Prototypes.imageMeans(e.views(), true), labels, classes, d);
        Prototypes.normalizeRows(prototypes, d);

        NDArray views = e.views();
        Accumulator total = new Accumulator(lambda);
        try (NDManager work = views.getManager().newSubManager()) {
            NDArray unitPrototypesT = work.create(prototypes, new Shape(classes, d)).transpose();
            NDArray partnersT = unitViewsByViewIndex(views, work).transpose();
            NDArray otherViewIndex =
                    work.ones(new Shape(k, k), DataType.FLOAT64).sub(work.eye(k, k, 0, DataType.FLOAT64));
            double logImages = Math.log(n);
            double logClasses = Math.log(classes);
            int imagesPerChunk = (int) Math.max(1, Math.min(n, gramChunkElements / ((long) k * k * n)));
            for (int start = 0; start < n; start += imagesPerChunk) {
                int end = Math.min(n, start + imagesPerChunk);
                int b = end - start;
                try (NDManager chunk = work.newSubManager()) {
                    NDArray unit = views.get(chunk, new NDIndex("{}:{}", start, end))
                            .toType(DataType.FLOAT64, false)
                            .normalize(2, 2, Prototypes.NORM_FLOOR);

                    // Attracting: mu~_x over the other K-1 views; E_T' s(z, f(T'x)) = z . mu~_x for unit f.
                    NDArray otherViewsMean = unit.sum(new int[] {1}, true).sub(unit).div(k - 1);
                    NDArray meanOtherSim = unit.mul(otherViewsMean).sum(new int[] {2});
                    NDArray surrogateSim = meanOtherSim.div(
                            otherViewsMean.norm(new int[] {2}).maximum(Prototypes.NORM_FLOOR));

                    // Supervised terms with the true class prototypes.
                    NDArray anchors = unit.reshape(b * k, d);
                    NDArray prototypeSim = anchors.matMul(unitPrototypesT);
                    double[] ownClassIndicator = new double[b * k * classes];
                    for (int row = 0; row < b * k; row++) {
                        ownClassIndicator[row * classes + labels[start + row / k]] = 1;
                    }
                    NDArray ownClass = chunk.create(ownClassIndicator, new Shape(b * k, classes));
                    NDArray ownSim = prototypeSim.mul(ownClass).sum(new int[] {1});
                    // Cosines lie in [-1, 1]: lowering the own class by 3 takes it out of the max.
                    NDArray otherMaxSim = prototypeSim.sub(ownClass.mul(3)).max(new int[] {1});

                    // Repelling bound: for anchor (x, k) and view index k', log sum_x' exp(alpha s(z, f(view k' of x'))),
                    // then the mean over k' != k.
                    NDArray scaledSim = anchors.toType(DataType.FLOAT32, false).mul(alpha).matMul(partnersT);
                    NDArray logSums = logSumExpLastAxis(scaledSim.reshape(b * k, k, n));
                    NDArray partnerMean = logSums.toType(DataType.FLOAT64, false)
                            .reshape(b, k, k)
                            .mul(otherViewIndex)
                            .sum(new int[] {2})
                            .div(k - 1);
                    NDArray repelBound = partnerMean.sub(logImages).add(logClasses).div(nu * alpha);

                    total.add(meanOtherSim.toDoubleArray(), surrogateSim.toDoubleArray(), ownSim.toDoubleArray(),
                            otherMaxSim.toDoubleArray(), repelBound.toDoubleArray());
                }
            }
        }
        return total.result();
    }

    /** f of every view, float32, as rows ordered by (view index k', image x'): shape [K N, D]. */
    private static NDArray unitViewsByViewIndex(NDArray views, NDManager target) {
        try (NDManager scratch = views.getManager().newSubManager()) {
            NDArray byViewIndex = views.get(scratch, new NDIndex(":"))
                    .normalize(2, 2, Prototypes.NORM_FLOOR)
                    .transpose(1, 0, 2)
                    .reshape(-1, views.getShape().get(2));
            byViewIndex.attach(target);
            return byViewIndex;
        }
    }

    /**
     * log sum_j exp(x_j) over the last axis of a 3-D array. x_0 - logSoftmax(x)_0 equals it exactly, and
     * torch's fused log-softmax shifts by the maximum, so this is stable for large alpha and needs one
     * output array instead of the several of a hand-written max-shifted sum.
     */
    private static NDArray logSumExpLastAxis(NDArray x) {
        NDIndex firstOfLastAxis = new NDIndex(":, :, 0");
        return x.get(firstOfLastAxis).sub(x.logSoftmax(2).get(firstOfLastAxis));
    }

    private static void requirePositive(String name, double value) {
        if (!Double.isFinite(value) || value <= 0) {
            throw new BalconException(name + " must be a finite number > 0, got " + value);
        }
    }

    /** Per-anchor terms summed in double; the means are taken once at the end. */
    private static final class Accumulator {
        private final double lambda;
        private double attractTerm;
        private double attractBound;
        private double attractGap;
        private long attractViolations;
        private double repelTerm;
        private double repelBound;
        private double repelGap;
        private long repelViolations;
        private double supervisedObjective;
        private double selfSupervisedBound;
        private long anchors;

        Accumulator(double lambda) {
            this.lambda = lambda;
        }

        void add(double[] meanOtherSim, double[] surrogateSim, double[] ownSim, double[] otherMaxSim,
                double[] repelBoundPerAnchor) {
            for (int i = 0; i < meanOtherSim.length; i++) {
                double attractGapHere = surrogateSim[i] - meanOtherSim[i];
                double repelGapHere = repelBoundPerAnchor[i] - otherMaxSim[i];
                attractTerm -= surrogateSim[i];
                attractBound -= meanOtherSim[i];
                attractGap += attractGapHere;
                repelTerm += otherMaxSim[i];
                repelBound += repelBoundPerAnchor[i];
                repelGap += repelGapHere;
                supervisedObjective += -ownSim[i] + lambda * otherMaxSim[i];
                selfSupervisedBound += -meanOtherSim[i] + lambda * repelBoundPerAnchor[i];
                if (attractGapHere < -VIOLATION_TOLERANCE) {
                    attractViolations++;
                }
                if (repelGapHere < -VIOLATION_TOLERANCE) {
                    repelViolations++;
                }
            }
            anchors += meanOtherSim.length;
        }

        BoundGapResult result() {
            return new BoundGapResult(attractTerm / anchors, attractBound / anchors, attractGap / anchors,
                    attractViolations, repelTerm / anchors, repelBound / anchors, repelGap / anchors,
                    repelViolations, supervisedObjective / anchors, selfSupervisedBound / anchors, anchors);
        }
    }
}
