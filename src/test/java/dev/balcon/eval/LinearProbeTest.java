package dev.balcon.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.balcon.BalconException;
import dev.balcon.InvalidField;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class LinearProbeTest {
    private static final LinearProbe PROBE = new LinearProbe(LinearProbe.DEFAULT_ITERATIONS, LinearProbe.DEFAULT_L2);

    /** Rows of a labelled sample: features [n * dim] and labels [n]. */
    private record Sample(float[] features, int[] labels, int dim) {
        NDArray array(NDManager manager) {
            return manager.create(features, new Shape(labels.length, dim));
        }
    }

    @Test
    void separatedClustersAreClassifiedPerfectly() {
        int classes = 10;
        Random random = new Random(2);
        float[][] centres = new float[classes][16];
        for (int c = 0; c < classes; c++) {
            centres[c][c] = 6;
        }
        Sample train = clusters(500, centres, 0.5, random);
        Sample test = clusters(500, centres, 0.5, random);
        try (NDManager manager = NDManager.newBaseManager()) {
            LinearProbeResult result = PROBE.evaluate(train.array(manager), train.labels(), test.array(manager),
                    test.labels(), classes);
            assertThat(result.top1()).isEqualTo(1.0);
            assertThat(result.top5()).isEqualTo(1.0);
            assertThat(result.trainSize()).isEqualTo(500);
            assertThat(result.testSize()).isEqualTo(500);
            assertThat(result.featureDim()).isEqualTo(16);
            assertThat(result.protocol()).contains("L-BFGS", "L2 0.001", "300 iterations");
        }
    }

    @Test
    void twoGaussiansReachTheBayesRate() {
        // Class 0 ~ N(-1, 1.5^2), class 1 ~ N(2, 1.5^2), equal priors: the Bayes rule thresholds at 0.5 and is
        // right with probability Phi(1.5 / 1.5) = Phi(1). Logistic regression is well specified here, so it
        // must find that threshold up to sampling noise, offset included.
        Random random = new Random(11);
        Sample train = gaussians(4000, random);
        Sample test = gaussians(20000, random);
        int bayesCorrect = 0;
        for (int i = 0; i < test.labels().length; i++) {
            bayesCorrect += (test.features()[i] > 0.5) == (test.labels()[i] == 1) ? 1 : 0;
        }
        double bayesOnTest = bayesCorrect / (double) test.labels().length;
        assertThat(bayesOnTest).isCloseTo(standardNormalCdf(1), within(0.01));
        try (NDManager manager = NDManager.newBaseManager()) {
            LinearProbeResult result = PROBE.evaluate(train.array(manager), train.labels(), test.array(manager),
                    test.labels(), 2);
            assertThat(result.top1()).isCloseTo(bayesOnTest, within(0.004));
            // Two classes: every label is in the top five, so top-5 is not applicable rather than 100%.
            assertThat((Object) result.top5()).isNull();
            // The optimum's cross-entropy: about E[log(1 + exp(-|margin|))] > 0, far from both 0 and log 2.
            assertThat(result.trainLoss()).isBetween(0.3, 0.45);
        }
    }

    @Test
    void topFiveCountsTheLabelAmongTheFiveBestScores() {
        Random random = new Random(3);
        float[][] centres = randomCentres(10, 8, 1.0, random);
        Sample train = clusters(2000, centres, 1.0, random);
        Sample test = clusters(1000, centres, 1.0, random);
        try (NDManager manager = NDManager.newBaseManager()) {
            LinearProbeResult ten = PROBE.evaluate(train.array(manager), train.labels(), test.array(manager),
                    test.labels(), 10);
            assertThat(ten.top1()).isBetween(0.2, 0.9);
            assertThat(ten.top5()).isGreaterThan(ten.top1()).isLessThan(1.0);

            // With five classes (labels 0..4 used, numClasses = 5) every label is in the top five: not applicable.
            Sample fewTrain = keepClassesBelow(train, 5);
            Sample fewTest = keepClassesBelow(test, 5);
            LinearProbeResult five = PROBE.evaluate(fewTrain.array(manager), fewTrain.labels(), fewTest.array(manager),
                    fewTest.labels(), 5);
            assertThat((Object) five.top5()).isNull();
            assertThat(five.top1()).isLessThan(1.0);
        }
    }

    @Test
    void nonFiniteFeaturesAreRefusedWithTheCountOfBadRows() {
        Random random = new Random(5);
        float[][] centres = randomCentres(3, 4, 1.0, random);
        Sample train = clusters(60, centres, 1.0, random);
        Sample test = clusters(30, centres, 1.0, random);
        float[] diverged = test.features().clone();
        diverged[0] = Float.NaN;
        diverged[4 * 7 + 2] = Float.POSITIVE_INFINITY;
        diverged[4 * 7 + 3] = Float.NaN;
        try (NDManager manager = NDManager.newBaseManager()) {
            assertThatThrownBy(() -> PROBE.evaluate(train.array(manager), train.labels(),
                    manager.create(diverged, new Shape(30, 4)), test.labels(), 3))
                    .isInstanceOf(BalconException.class)
                    .hasMessage("the test features: 2 of 30 rows hold NaN or infinite values, as a diverged model's do;"
                            + " refusing to score them");
        }
    }

    @Test
    void aNaNScoreRanksLastNotFirst() {
        // Scores of classes 0, 1, 2. Before NaN was ranked, a NaN label score counted as rank 0: top-1 for free.
        float nan = Float.NaN;
        assertThat(LinearProbe.rankOfLabel(new float[] {nan, 1, 2}, 0, 3, 0)).isEqualTo(2);
        assertThat(LinearProbe.rankOfLabel(new float[] {nan, 1, 2}, 0, 3, 1)).isEqualTo(1);
        assertThat(LinearProbe.rankOfLabel(new float[] {3, nan, nan}, 0, 3, 2)).isEqualTo(2);
        assertThat(LinearProbe.rankOfLabel(new float[] {1, 2, 2}, 0, 3, 2)).isEqualTo(1);
    }

    @Test
    void rescalingOrShiftingAFeatureLeavesTheResultUnchanged() {
        Random random = new Random(4);
        float[][] centres = randomCentres(6, 5, 1.0, random);
        Sample train = clusters(1200, centres, 1.0, random);
        Sample test = clusters(600, centres, 1.0, random);
        try (NDManager manager = NDManager.newBaseManager()) {
            LinearProbeResult original = PROBE.evaluate(train.array(manager), train.labels(), test.array(manager),
                    test.labels(), 6);
            LinearProbeResult transformed = PROBE.evaluate(transform(train, manager), train.labels(),
                    transform(test, manager), test.labels(), 6);
            // The L2 penalty is not scale invariant, so without standardisation these would differ.
            assertThat(transformed.top1()).isCloseTo(original.top1(), within(2.0 / 600));
            assertThat(transformed.top5()).isCloseTo(original.top5(), within(2.0 / 600));
            assertThat(transformed.trainLoss()).isCloseTo(original.trainLoss(), within(1e-4));
        }
    }

    @Test
    void objectiveAndGradientMatchADoublePrecisionReference() {
        int rows = 30;
        int dim = 4;
        int classes = 3;
        double l2 = 0.05;
        Random random = new Random(9);
        float[] features = new float[rows * dim];
        int[] labels = new int[rows];
        for (int i = 0; i < rows; i++) {
            labels[i] = random.nextInt(classes);
            for (int d = 0; d < dim; d++) {
                features[i * dim + d] = (float) random.nextGaussian();
            }
        }
        double[] parameters = new double[(dim + 1) * classes];
        for (int i = 0; i < parameters.length; i++) {
            parameters[i] = random.nextGaussian();
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            SoftmaxObjective objective = new SoftmaxObjective(manager.create(features, new Shape(rows, dim)), labels,
                    classes, l2);
            double[] gradient = new double[parameters.length];
            double value = objective.evaluate(parameters, gradient);

            assertThat(value).isCloseTo(referenceLoss(features, labels, dim, classes, l2, parameters), within(1e-5));
            double step = 1e-6;
            for (int i = 0; i < parameters.length; i++) {
                double[] plus = parameters.clone();
                double[] minus = parameters.clone();
                plus[i] += step;
                minus[i] -= step;
                double numeric = (referenceLoss(features, labels, dim, classes, l2, plus)
                        - referenceLoss(features, labels, dim, classes, l2, minus)) / (2 * step);
                assertThat(gradient[i]).as("d/dparameter %d", i).isCloseTo(numeric, within(1e-5));
            }
        }
    }

    @Test
    void rejectsInvalidSettingsNamingTheOption() {
        assertThatThrownBy(() -> new LinearProbe(0, 1e-3)).isInstanceOf(BalconException.class)
                .isInstanceOfSatisfying(InvalidField.class, e -> assertThat(e.field()).isEqualTo("maxIterations"))
                .hasMessage("maxIterations must be >= 1, got 0");
        assertThatThrownBy(() -> new LinearProbe(10, -1)).isInstanceOf(InvalidField.class)
                .hasMessage("l2 must be a finite number >= 0, got -1.0");
        assertThatThrownBy(() -> new LinearProbe(10, Double.NaN)).isInstanceOf(InvalidField.class).hasMessageStartingWith("l2 ");
        assertThatThrownBy(() -> new LinearProbe(10, Double.POSITIVE_INFINITY)).isInstanceOf(BalconException.class);
    }

    @Test
    void rejectsMismatchedInputs() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray train = manager.zeros(new Shape(4, 3));
            NDArray test = manager.zeros(new Shape(2, 3));
            assertThatThrownBy(() -> PROBE.evaluate(train, new int[3], test, new int[2], 2))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("length");
            assertThatThrownBy(() -> PROBE.evaluate(train, new int[4], manager.zeros(new Shape(2, 5)), new int[2], 2))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("same D");
            assertThatThrownBy(() -> PROBE.evaluate(train, new int[] {0, 1, 2, 0}, test, new int[2], 2))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("label 2");
        }
    }

    private static double referenceLoss(float[] features, int[] labels, int dim, int classes, double l2,
                                        double[] parameters) {
        double total = 0;
        for (int i = 0; i < labels.length; i++) {
            double[] logits = new double[classes];
            for (int c = 0; c < classes; c++) {
                logits[c] = parameters[dim * classes + c];
                for (int d = 0; d < dim; d++) {
                    logits[c] += features[i * dim + d] * parameters[d * classes + c];
                }
            }
            double sumExp = 0;
            for (double logit : logits) {
                sumExp += Math.exp(logit);
            }
            total += Math.log(sumExp) - logits[labels[i]];
        }
        double squaredWeights = 0;
        for (int i = 0; i < dim * classes; i++) {
            squaredWeights += parameters[i] * parameters[i];
        }
        return total / labels.length + l2 / 2 * squaredWeights;
    }

    /** Phi(z) = 1/2 + integral of the standard normal density over [0, z], by Simpson's rule. */
    private static double standardNormalCdf(double z) {
        int intervals = 1000;
        double h = z / intervals;
        double sum = 0;
        for (int i = 0; i <= intervals; i++) {
            double x = i * h;
            double weight = i == 0 || i == intervals ? 1 : (i % 2 == 1 ? 4 : 2);
            sum += weight * Math.exp(-x * x / 2) / Math.sqrt(2 * Math.PI);
        }
        return 0.5 + sum * h / 3;
    }

    private static Sample gaussians(int count, Random random) {
        float[] features = new float[count];
        int[] labels = new int[count];
        for (int i = 0; i < count; i++) {
            labels[i] = i % 2;
            features[i] = (float) ((labels[i] == 0 ? -1 : 2) + 1.5 * random.nextGaussian());
        }
        return new Sample(features, labels, 1);
    }

    private static float[][] randomCentres(int classes, int dim, double spread, Random random) {
        float[][] centres = new float[classes][dim];
        for (float[] centre : centres) {
            for (int d = 0; d < dim; d++) {
                centre[d] = (float) (spread * random.nextGaussian());
            }
        }
        return centres;
    }

    private static Sample clusters(int count, float[][] centres, double noise, Random random) {
        int dim = centres[0].length;
        float[] features = new float[count * dim];
        int[] labels = new int[count];
        for (int i = 0; i < count; i++) {
            labels[i] = i % centres.length;
            for (int d = 0; d < dim; d++) {
                features[i * dim + d] = centres[labels[i]][d] + (float) (noise * random.nextGaussian());
            }
        }
        return new Sample(features, labels, dim);
    }

    private static Sample keepClassesBelow(Sample sample, int classes) {
        int dim = sample.dim();
        int kept = 0;
        for (int label : sample.labels()) {
            kept += label < classes ? 1 : 0;
        }
        float[] features = new float[kept * dim];
        int[] labels = new int[kept];
        for (int i = 0, j = 0; i < sample.labels().length; i++) {
            if (sample.labels()[i] < classes) {
                System.arraycopy(sample.features(), i * dim, features, j * dim, dim);
                labels[j++] = sample.labels()[i];
            }
        }
        return new Sample(features, labels, dim);
    }

    /** Column 0 times 1000, column 1 times 0.001, column 2 shifted by 500. */
    private static NDArray transform(Sample sample, NDManager manager) {
        float[] features = sample.features().clone();
        for (int i = 0; i < sample.labels().length; i++) {
            features[i * sample.dim()] *= 1000;
            features[i * sample.dim() + 1] *= 0.001f;
            features[i * sample.dim() + 2] += 500;
        }
        return manager.create(features, new Shape(sample.labels().length, sample.dim()));
    }
}
