package dev.balcon.analysis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import dev.balcon.BalconException;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class BoundGapsTest {

    /** The repelling bound goes through a float32 similarity matrix. */
    private static final double FLOAT32_TOLERANCE = 1e-5;

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    /**
     * N = 4, K = 2, D = 2 (alpha = 2, lambda = 1.5, nu = 1), values from an independent numpy script of the
     * definitions. By hand: with K = 2, mu~_x is the other (unit) view, so attracting term = bound = minus
     * the mean view-pair cosine = -(0 + 0.8 + 1/sqrt 5 + 4/sqrt 20) / 4, and the attracting gap is 0.
     */
    @Test
    void handExampleMatchesTheDefinitions() {
        float[][][] views = {
            {{2, 0}, {0, 2}}, {{4, 2}, {2, 4}},
            {{-1, 0}, {-1, -2}}, {{-3, -1}, {-1, -1}},
        };

        BoundGapResult r = BoundGaps.compute(TestViews.embeddings(manager, views, new int[] {0, 0, 1, 1}, 2), 2, 1.5, 1);

        double pairCosines = (0 + 0.8 + 1 / Math.sqrt(5) + 4 / Math.sqrt(20)) / 4;
        assertThat(r.attractTerm()).isCloseTo(-pairCosines, within(1e-7));
        assertThat(r.attractBound()).isCloseTo(-pairCosines, within(1e-7));
        assertThat(r.attractGap()).isCloseTo(0, within(1e-12));
        assertThat(r.attractViolations()).isZero();
        assertThat(r.repelTerm()).isCloseTo(-0.846651164126663, within(1e-7));
        assertThat(r.repelBound()).isCloseTo(0.6490896595388291, within(1e-6));
        assertThat(r.repelGap()).isCloseTo(0.6490896595388291 + 0.846651164126663, within(1e-6));
        assertThat(r.repelViolations()).isZero();
        assertThat(r.supervisedObjective()).isCloseTo(-2.1398992154542023, within(1e-7));
        assertThat(r.selfSupervisedBound()).isCloseTo(0.4382242926832751, within(1e-6));
        assertThat(r.anchors()).isEqualTo(8);
    }

    @Test
    void randomEmbeddingsMatchAnIndependentPerAnchorLoop() {
        Random random = new Random(5);
        int[] labels = {0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 0, 0, 2, 1, 1, 2, 0, 0, 1, 2, 2, 1, 0, 1, 2, 0};
        float[][][] views = TestViews.clustered(random, labels, 3, 4, 6, 1.0, 0.7, 0.9);

        BoundGapResult actual = BoundGaps.compute(TestViews.embeddings(manager, views, labels, 3), 3, 2, 0.8);
        BoundGapResult expected = referenceLoop(views, labels, 3, 3, 2, 0.8);

        assertMatches(actual, expected);
        assertThat(actual.anchors()).isEqualTo(27 * 4);
    }

    @Test
    void smallSimilarityBlocksGiveTheSameResult() {
        Random random = new Random(9);
        int[] labels = TestViews.roundRobinLabels(25, 4);
        float[][][] views = TestViews.clustered(random, labels, 4, 3, 7, 1.0, 1.0, 1.0);
        ViewEmbeddings e = TestViews.embeddings(manager, views, labels, 4);

        BoundGapResult oneBlock = BoundGaps.compute(e, 1.5, 1, 1);
        BoundGapResult twoImagesPerBlock = BoundGaps.compute(e, 1.5, 1, 1, 2L * 3 * 3 * 25);

        assertMatches(twoImagesPerBlock, oneBlock);
    }

    @Test
    void identicalViewsLeaveNoAttractingGap() {
        Random random = new Random(1);
        int[] labels = TestViews.roundRobinLabels(12, 3);
        float[][][] views = TestViews.clustered(random, labels, 3, 5, 8, 1.0, 1.0, 0.0);

        BoundGapResult r = BoundGaps.compute(TestViews.embeddings(manager, views, labels, 3), 2, 1, 1);

        assertThat(r.attractGap()).isCloseTo(0, within(1e-12));
        assertThat(r.attractTerm()).isCloseTo(-1, within(1e-12));
        assertThat(r.attractBound()).isCloseTo(-1, within(1e-12));
        assertThat(r.attractViolations()).isZero();
    }

    /** Jensen for cosine: s(z, mu~) - z . mu~ = z . mu~ (1/|mu~| - 1) >= 0 whenever z . mu~ >= 0. */
    @Test
    void attractingBoundHoldsWhenEveryAnchorPointsTowardsItsSurrogate() {
        Random random = new Random(21);
        int[] labels = TestViews.roundRobinLabels(40, 4);
        float[][][] views = TestViews.clustered(random, labels, 4, 6, 10, 1.0, 1.0, 0.5);
        assertThat(minAnchorDotSurrogate(views)).isPositive();

        BoundGapResult r = BoundGaps.compute(TestViews.embeddings(manager, views, labels, 4), 2, 1, 1);

        assertThat(r.attractViolations()).isZero();
        assertThat(r.attractGap()).isPositive();
    }

    /**
     * Image 0 has views (1,0), (-0.6,0.8), (-0.6,-0.8): each anchor points away from the mean of the other
     * two, so all three break the attracting bound; by hand the gaps are z.m (1/|m| - 1) = -0.4 for the first
     * and -0.44 (1/sqrt 0.2 - 1) for the other two. Image 1 has identical views (gap 0).
     */
    @Test
    void anchorsPointingAwayFromTheirSurrogateAreCountedAsViolations() {
        float[][][] views = {{{1, 0}, {-0.6f, 0.8f}, {-0.6f, -0.8f}}, {{0, 1}, {0, 1}, {0, 1}}};

        BoundGapResult r = BoundGaps.compute(TestViews.embeddings(manager, views, new int[] {0, 1}, 2), 1, 1, 1);

        double perpendicularAnchorGap = -0.44 * (1 / Math.sqrt(0.2) - 1);
        assertThat(r.attractViolations()).isEqualTo(3);
        assertThat(r.attractGap()).isCloseTo((-0.4 + 2 * perpendicularAnchorGap) / 6, within(1e-6));
    }

    @Test
    void repellingBoundHoldsForBalancedWellSeparatedClassesAtModerateAlpha() {
        Random random = new Random(33);
        int[] labels = TestViews.roundRobinLabels(60, 5);
        float[][][] views = TestViews.clustered(random, labels, 5, 4, 32, 3.0, 0.5, 0.5);

        for (double alpha : new double[] {0.5, 2, 8}) {
            BoundGapResult r = BoundGaps.compute(TestViews.embeddings(manager, views, labels, 5), alpha, 1, 1);

            assertThat(r.repelViolations()).as("alpha %s", alpha).isZero();
            assertThat(r.repelGap()).as("alpha %s", alpha).isPositive();
        }
    }

    /**
     * Class 0: images at (1,0) and (0,1); class 1: images at +-60 degrees from (1,0) (two identical views
     * each). For the anchor (1,0), max_{y'} s = s((1,0), mu_1) = 1 while the bound is
     * 1 + (1/alpha) log((1 + e^-alpha + 2 e^-(alpha/2)) / 2), below 1 from alpha ~ 2 on; the +60 degree image
     * breaks it too at alpha = 4 (numpy reference: 4 of 8 anchors). A finding, not an error.
     */
    @Test
    void repellingBoundViolationsAtLargeAlphaAreCountedNotThrown() {
        float s = (float) (Math.sqrt(3) / 2);
        float[][][] views = {{{1, 0}, {1, 0}}, {{0, 1}, {0, 1}}, {{0.5f, s}, {0.5f, s}}, {{0.5f, -s}, {0.5f, -s}}};
        ViewEmbeddings e = TestViews.embeddings(manager, views, new int[] {0, 0, 1, 1}, 2);

        BoundGapResult moderate = BoundGaps.compute(e, 1, 1, 1);
        BoundGapResult sharp = BoundGaps.compute(e, 4, 1, 1);

        assertThat(moderate.repelViolations()).isZero();
        assertThat(moderate.repelBound()).isCloseTo(1.1825069242863198, within(1e-6));
        assertThat(sharp.repelViolations()).isEqualTo(4);
        assertThat(sharp.repelTerm()).isCloseTo(0.4267766952966369, within(1e-7));
        assertThat(sharp.repelBound()).isCloseTo(0.9142151769066038, within(1e-6));
    }

    @Test
    void invalidParametersAndTooFewViewsOrClassesAreRejected() {
        Random random = new Random(2);
        int[] labels = TestViews.roundRobinLabels(6, 2);
        ViewEmbeddings e = TestViews.embeddings(manager, TestViews.clustered(random, labels, 2, 2, 3, 1, 1, 1), labels, 2);
        ViewEmbeddings oneView =
                TestViews.embeddings(manager, TestViews.clustered(random, labels, 2, 1, 3, 1, 1, 1), labels, 2);
        ViewEmbeddings oneClass =
                TestViews.embeddings(manager, TestViews.clustered(random, new int[6], 1, 2, 3, 1, 1, 1), new int[6], 1);

        assertThatThrownBy(() -> BoundGaps.compute(e, 0, 1, 1))
                .isInstanceOf(BalconException.class).hasMessage("alpha must be a finite number > 0, got 0.0");
        assertThatThrownBy(() -> BoundGaps.compute(e, Double.NaN, 1, 1))
                .isInstanceOf(BalconException.class).hasMessageContaining("alpha");
        assertThatThrownBy(() -> BoundGaps.compute(e, Double.POSITIVE_INFINITY, 1, 1))
                .isInstanceOf(BalconException.class).hasMessageContaining("alpha");
        assertThatThrownBy(() -> BoundGaps.compute(e, 1, -2, 1))
                .isInstanceOf(BalconException.class).hasMessageContaining("lambda").hasMessageContaining("-2.0");
        assertThatThrownBy(() -> BoundGaps.compute(e, 1, 1, 0))
                .isInstanceOf(BalconException.class).hasMessageContaining("nu");
        assertThatThrownBy(() -> BoundGaps.compute(oneView, 1, 1, 1))
                .isInstanceOf(BalconException.class).hasMessageContaining("K >= 2").hasMessageContaining("K = 1");
        assertThatThrownBy(() -> BoundGaps.compute(oneClass, 1, 1, 1))
                .isInstanceOf(BalconException.class).hasMessageContaining("numClasses >= 2");
    }

    private static void assertMatches(BoundGapResult actual, BoundGapResult expected) {
        assertThat(actual.attractTerm()).isCloseTo(expected.attractTerm(), within(1e-9));
        assertThat(actual.attractBound()).isCloseTo(expected.attractBound(), within(1e-9));
        assertThat(actual.attractGap()).isCloseTo(expected.attractGap(), within(1e-9));
        assertThat(actual.attractViolations()).isEqualTo(expected.attractViolations());
        assertThat(actual.repelTerm()).isCloseTo(expected.repelTerm(), within(1e-9));
        assertThat(actual.repelBound()).isCloseTo(expected.repelBound(), within(FLOAT32_TOLERANCE));
        assertThat(actual.repelGap()).isCloseTo(expected.repelGap(), within(FLOAT32_TOLERANCE));
        assertThat(actual.repelViolations()).isEqualTo(expected.repelViolations());
        assertThat(actual.supervisedObjective()).isCloseTo(expected.supervisedObjective(), within(1e-9));
        assertThat(actual.selfSupervisedBound()).isCloseTo(expected.selfSupervisedBound(), within(FLOAT32_TOLERANCE));
        assertThat(actual.anchors()).isEqualTo(expected.anchors());
    }

    /** The definitions written out per anchor, in double, with no shared code. */
    private static BoundGapResult referenceLoop(float[][][] views, int[] labels, int classes, double alpha,
            double lambda, double nu) {
        int n = views.length;
        int k = views[0].length;
        int d = views[0][0].length;
        double[][][] f = new double[n][k][];
        for (int i = 0; i < n; i++) {
            for (int v = 0; v < k; v++) {
                f[i][v] = new double[d];
                for (int j = 0; j < d; j++) {
                    f[i][v][j] = views[i][v][j];
                }
                f[i][v] = unit(f[i][v]);
            }
        }
        double[][] prototypes = new double[classes][d];
        int[] counts = new int[classes];
        for (int i = 0; i < n; i++) {
            counts[labels[i]]++;
            for (int v = 0; v < k; v++) {
                for (int j = 0; j < d; j++) {
                    prototypes[labels[i]][j] += f[i][v][j] / k;
                }
            }
        }
        for (int c = 0; c < classes; c++) {
            for (int j = 0; j < d; j++) {
                prototypes[c][j] /= counts[c];
            }
        }
        double attractTerm = 0, attractBound = 0, attractGap = 0, repelTerm = 0, repelBound = 0, repelGap = 0;
        double supervised = 0, selfSupervised = 0;
        long attractViolations = 0, repelViolations = 0;
        for (int i = 0; i < n; i++) {
            for (int a = 0; a < k; a++) {
                double[] z = f[i][a];
                double[] surrogate = new double[d];
                double meanOtherCos = 0;
                for (int b = 0; b < k; b++) {
                    if (b != a) {
                        meanOtherCos += cos(z, f[i][b]) / (k - 1);
                        for (int j = 0; j < d; j++) {
                            surrogate[j] += f[i][b][j] / (k - 1);
                        }
                    }
                }
                double term = -cos(z, surrogate);
                double bound = -meanOtherCos;
                double ownCos = cos(z, prototypes[labels[i]]);
                double otherMax = Double.NEGATIVE_INFINITY;
                for (int c = 0; c < classes; c++) {
                    if (c != labels[i]) {
                        otherMax = Math.max(otherMax, cos(z, prototypes[c]));
                    }
                }
                double rBound = 0;
                for (int b = 0; b < k; b++) {
                    if (b != a) {
                        double meanExp = 0;
                        for (int other = 0; other < n; other++) {
                            meanExp += Math.exp(alpha * cos(z, f[other][b])) / n;
                        }
                        rBound += Math.log(meanExp) / (nu * alpha) / (k - 1);
                    }
                }
                rBound += Math.log(classes) / (nu * alpha);
                attractTerm += term;
                attractBound += bound;
                attractGap += bound - term;
                attractViolations += bound - term < -1e-6 ? 1 : 0;
                repelTerm += otherMax;
                repelBound += rBound;
                repelGap += rBound - otherMax;
                repelViolations += rBound - otherMax < -1e-6 ? 1 : 0;
                supervised += -ownCos + lambda * otherMax;
                selfSupervised += bound + lambda * rBound;
            }
        }
        long anchors = (long) n * k;
        return new BoundGapResult(attractTerm / anchors, attractBound / anchors, attractGap / anchors,
                attractViolations, repelTerm / anchors, repelBound / anchors, repelGap / anchors, repelViolations,
                supervised / anchors, selfSupervised / anchors, anchors);
    }

    /** min over anchors of z . mu~_x, mu~_x the mean of the other unit views of x. */
    private static double minAnchorDotSurrogate(float[][][] views) {
        double min = Double.POSITIVE_INFINITY;
        for (float[][] image : views) {
            for (int a = 0; a < image.length; a++) {
                double dot = 0;
                for (int b = 0; b < image.length; b++) {
                    if (b != a) {
                        dot += cos(toDouble(image[a]), toDouble(image[b])) / (image.length - 1);
                    }
                }
                min = Math.min(min, dot);
            }
        }
        return min;
    }

    private static double[] toDouble(float[] v) {
        double[] out = new double[v.length];
        for (int j = 0; j < v.length; j++) {
            out[j] = v[j];
        }
        return out;
    }

    private static double cos(double[] a, double[] b) {
        double dot = 0;
        for (int j = 0; j < a.length; j++) {
            dot += a[j] * b[j];
        }
        return dot / Math.max(norm(a), 1e-12) / Math.max(norm(b), 1e-12);
    }

    private static double[] unit(double[] v) {
        double norm = Math.max(norm(v), 1e-12);
        double[] out = new double[v.length];
        for (int j = 0; j < v.length; j++) {
            out[j] = v[j] / norm;
        }
        return out;
    }

    private static double norm(double[] v) {
        double squares = 0;
        for (double x : v) {
            squares += x * x;
        }
        return Math.sqrt(squares);
    }
}
