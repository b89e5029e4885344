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

class PrototypeBiasTest {

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
     * Worked by hand. Class 0: image means (1,1) and (3,3), prototype (2,2), distances sqrt 2 each.
     * Class 1: image means (-1,-1) and (-2,-1), prototype (-1.5,-1), distances 0.5 each.
     * The normalised values come from an independent numpy script of the same definitions.
     */
    @Test
    void handExampleMatchesTheDefinition() {
        float[][][] views = {
            {{2, 0}, {0, 2}}, {{4, 2}, {2, 4}},
            {{-1, 0}, {-1, -2}}, {{-3, -1}, {-1, -1}},
        };
        ViewEmbeddings e = TestViews.embeddings(manager, views, new int[] {0, 0, 1, 1}, 2);

        BiasResult raw = PrototypeBias.compute(e, false, "raw");
        BiasResult unit = PrototypeBias.compute(e, true, "unit");

        assertThat(raw.bias()).isCloseTo((2 * Math.sqrt(2) + 1) / 4, within(1e-12));
        assertThat(raw.perClassBias()).containsExactly(new double[] {Math.sqrt(2), 0.5}, within(1e-12));
        assertThat(raw.images()).isEqualTo(4);
        assertThat(raw.viewsPerImage()).isEqualTo(2);
        assertThat(raw.space()).isEqualTo("raw");
        assertThat(unit.bias()).isCloseTo(0.09104367449491413, within(1e-7));
        assertThat(unit.perClassBias())
                .containsExactly(new double[] {0.12078825843198315, 0.06129909055784511}, within(1e-7));
    }

    /**
     * Image offsets of norm r_y come in opposite pairs (class mean of offsets = 0, so mu_y is the class
     * centre) and views come in opposite pairs around the image (so mu~_x is exact): bias = mean of r_y.
     */
    @Test
    void symmetricConstructionGivesTheOffsetNormExactly() {
        Random random = new Random(7);
        double[] offsetNorm = {0.5, 1.0, 2.0};
        int d = 16;
        int k = 4;
        int imagesPerClass = 6;
        int[] labels = new int[offsetNorm.length * imagesPerClass];
        float[][][] views = new float[labels.length][k][d];
        for (int y = 0; y < offsetNorm.length; y++) {
            double[] centre = gaussian(random, d, 3.0);
            for (int pair = 0; pair < imagesPerClass / 2; pair++) {
                double[] offset = scaled(unit(gaussian(random, d, 1.0)), offsetNorm[y]);
                for (int sign = -1; sign <= 1; sign += 2) {
                    int i = y * imagesPerClass + 2 * pair + (sign + 1) / 2;
                    labels[i] = y;
                    for (int half = 0; half < k / 2; half++) {
                        double[] noise = gaussian(random, d, 0.4);
                        for (int j = 0; j < d; j++) {
                            double image = centre[j] + sign * offset[j];
                            views[i][2 * half][j] = (float) (image + noise[j]);
                            views[i][2 * half + 1][j] = (float) (image - noise[j]);
                        }
                    }
                }
            }
        }

        BiasResult result = PrototypeBias.compute(TestViews.embeddings(manager, views, labels, 3), false, "raw");

        assertThat(result.perClassBias()).containsExactly(offsetNorm, within(1e-5));
        assertThat(result.bias()).isCloseTo((0.5 + 1.0 + 2.0) / 3, within(1e-5));
    }

    /**
     * With i.i.d. view noise of variance s^2 per coordinate, mu~_x - mu_y = o_x + delta_x where delta_x has
     * variance s^2 (1 - 1/n_y) / K per coordinate, so bias ~ sqrt(r^2 + D s^2 (1 - 1/n_y) / K): its excess
     * over the noise-free r shrinks like 1/K while D s^2 / K << r^2.
     */
    @Test
    void excessOverTheNoiseFreeBiasShrinksLikeOneOverK() {
        double r = 1.0;
        int d = 64;
        double noiseScale = Math.sqrt(0.2 / d);
        int imagesPerClass = 100;
        double excessK1 = biasWithViewNoise(1, r, d, noiseScale, imagesPerClass) - r;
        double excessK8 = biasWithViewNoise(8, r, d, noiseScale, imagesPerClass) - r;

        double shrink = 1 - 1.0 / imagesPerClass;
        assertThat(excessK1).isCloseTo(Math.sqrt(r * r + d * noiseScale * noiseScale * shrink) - r,
                within(0.15 * excessK1));
        assertThat(excessK8).isCloseTo(Math.sqrt(r * r + d * noiseScale * noiseScale * shrink / 8) - r,
                within(0.15 * excessK8));
        assertThat(excessK1 / excessK8).isBetween(5.5, 11.0);
    }

    @Test
    void normalisedBiasIsScaleFreeAndWithinTheUnitBallDiameter() {
        Random random = new Random(11);
        int[] labels = TestViews.roundRobinLabels(30, 3);
        float[][][] views = TestViews.clustered(random, labels, 3, 3, 8, 0.0, 1.0, 1.0);
        float[][][] rescaled = new float[views.length][views[0].length][];
        for (int i = 0; i < views.length; i++) {
            for (int v = 0; v < views[i].length; v++) {
                float factor = (float) Math.exp(3 * random.nextGaussian());
                rescaled[i][v] = new float[views[i][v].length];
                for (int j = 0; j < views[i][v].length; j++) {
                    rescaled[i][v][j] = views[i][v][j] * factor;
                }
            }
        }

        BiasResult unit = PrototypeBias.compute(TestViews.embeddings(manager, views, labels, 3), true, "u");
        BiasResult unitRescaled = PrototypeBias.compute(TestViews.embeddings(manager, rescaled, labels, 3), true, "u");
        BiasResult raw = PrototypeBias.compute(TestViews.embeddings(manager, views, labels, 3), false, "r");
        BiasResult rawRescaled = PrototypeBias.compute(TestViews.embeddings(manager, rescaled, labels, 3), false, "r");

        assertThat(unit.bias()).isBetween(0.0, 2.0).isCloseTo(unitRescaled.bias(), within(1e-6));
        assertThat(java.util.Arrays.stream(unit.perClassBias())).allSatisfy(b -> assertThat(b).isBetween(0.0, 2.0));
        assertThat(rawRescaled.bias()).isNotCloseTo(raw.bias(), within(0.1));
    }

    @Test
    void antipodalImagesOfOneClassHaveUnitNormalisedBias() {
        float[][][] views = {{{0, 3}}, {{0, -0.5f}}, {{2, 0}}};

        BiasResult result = PrototypeBias.compute(
                TestViews.embeddings(manager, views, new int[] {0, 0, 1}, 2), true, "unit");

        // Class 0: unit means (0,1) and (0,-1) average to 0, each at distance 1; class 1 is its own prototype.
        assertThat(result.perClassBias()).containsExactly(new double[] {1.0, 0.0}, within(1e-12));
        assertThat(result.bias()).isCloseTo(2.0 / 3, within(1e-12));
    }

    @Test
    void chunkedImageMeansEqualOneBlock() {
        Random random = new Random(3);
        int[] labels = TestViews.roundRobinLabels(23, 2);
        float[][][] views = TestViews.clustered(random, labels, 2, 3, 5, 1.0, 1.0, 1.0);
        ViewEmbeddings e = TestViews.embeddings(manager, views, labels, 2);

        double[] oneBlock = Prototypes.imageMeans(e.views(), true);
        double[] fourImagesPerBlock = Prototypes.imageMeans(e.views(), true, 4 * 3 * 5);

        assertThat(fourImagesPerBlock).containsExactly(oneBlock, within(0.0));
    }

    @Test
    void aBlankSpaceLabelIsRejected() {
        ViewEmbeddings e = TestViews.embeddings(manager, new float[][][] {{{1, 0}}}, new int[] {0}, 1);

        assertThatThrownBy(() -> PrototypeBias.compute(e, false, " "))
                .isInstanceOf(BalconException.class).hasMessageContaining("spaceLabel");
    }

    /** Offsets +-r u in pairs (exact class centre), plus i.i.d. Gaussian view noise; 4 classes. */
    private double biasWithViewNoise(int k, double r, int d, double noiseScale, int imagesPerClass) {
        Random random = new Random(100 + k);
        int classes = 4;
        int[] labels = new int[classes * imagesPerClass];
        float[][][] views = new float[labels.length][k][d];
        for (int y = 0; y < classes; y++) {
            double[] centre = gaussian(random, d, 2.0);
            for (int pair = 0; pair < imagesPerClass / 2; pair++) {
                double[] offset = scaled(unit(gaussian(random, d, 1.0)), r);
                for (int sign = -1; sign <= 1; sign += 2) {
                    int i = y * imagesPerClass + 2 * pair + (sign + 1) / 2;
                    labels[i] = y;
                    for (int v = 0; v < k; v++) {
                        for (int j = 0; j < d; j++) {
                            views[i][v][j] = (float) (centre[j] + sign * offset[j] + noiseScale * random.nextGaussian());
                        }
                    }
                }
            }
        }
        try (NDManager scratch = manager.newSubManager()) {
            return PrototypeBias.compute(TestViews.embeddings(scratch, views, labels, classes), false, "raw").bias();
        }
    }

    private static double[] gaussian(Random random, int d, double scale) {
        double[] v = new double[d];
        for (int j = 0; j < d; j++) {
            v[j] = scale * random.nextGaussian();
        }
        return v;
    }

    private static double[] unit(double[] v) {
        double norm = Math.sqrt(java.util.Arrays.stream(v).map(x -> x * x).sum());
        return scaled(v, 1 / norm);
    }

    private static double[] scaled(double[] v, double factor) {
        double[] out = v.clone();
        for (int j = 0; j < out.length; j++) {
            out[j] *= factor;
        }
        return out;
    }
}
