package dev.balcon.analysis;

/**
 * The two upper bounds of the paper and how tight they are, averaged over all anchors (every view of
 * every image). A gap is bound minus term, so it is >= 0 where the bound holds; a violation is an
 * anchor whose gap is below -1e-6. See {@link BoundGaps} for the estimator.
 *
 * <p>Identity (per anchor, hence also for the means):
 * {@code selfSupervisedBound - supervisedObjective
 *        = attractGap + lambda * repelGap + (s(z, mu_y) - s(z, mu~_x))},
 * the last bracket being the price of replacing the class prototype by the image's surrogate prototype.
 *
 * @param attractTerm         mean of -s(z, mu~_x), mu~_x the mean of the other K-1 views of x
 * @param attractBound        mean of -E_T' s(z, f(T'(x))) over those K-1 views
 * @param attractGap          mean of (attractBound - attractTerm) per anchor
 * @param attractViolations   anchors whose attracting gap is < -1e-6
 * @param repelTerm           mean of max_{y' != y} s(z, mu_y') with the true class prototypes
 * @param repelBound          mean of E_T'[1/(nu alpha) log E_X' exp(alpha s(z, f(T'(X'))))] + 1/(nu alpha) log n
 * @param repelGap            mean of (repelBound - repelTerm) per anchor
 * @param repelViolations     anchors whose repelling gap is < -1e-6
 * @param supervisedObjective mean of -s(z, mu_y) + lambda * max_{y' != y} s(z, mu_y')
 * @param selfSupervisedBound mean of attractBound + lambda * repelBound (per anchor)
 * @param anchors             number of anchors, N * K
 */
public record BoundGapResult(
        double attractTerm,
        double attractBound,
        double attractGap,
        long attractViolations,
        double repelTerm,
        double repelBound,
        double repelGap,
        long repelViolations,
        double supervisedObjective,
        double selfSupervisedBound,
        long anchors) {}
