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

class KnnClassifierTest {

    @Test
    void separatedClustersAreClassifiedPerfectlyAndShuffledLabelsAreNot() {
        int classes = 4;
        int dim = 8;
        Random random = new Random(1);
        int memorySize = 400;
        int querySize = 100;
        float[] memory = new float[memorySize * dim];
        int[] memoryLabels = new int[memorySize];
        float[] queries = new float[querySize * dim];
        int[] queryLabels = new int[querySize];
        fillClusters(memory, memoryLabels, classes, dim, random);
        fillClusters(queries, queryLabels, classes, dim, random);
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray memoryArray = manager.create(memory, new Shape(memorySize, dim));
            NDArray queryArray = manager.create(queries, new Shape(querySize, dim));
            KnnClassifier knn = new KnnClassifier(20, 0.1);
            KnnResult result = knn.evaluate(memoryArray, memoryLabels, queryArray, queryLabels, classes);
            assertThat(result.top1()).isEqualTo(1.0);
            assertThat(result.queries()).isEqualTo(querySize);
            assertThat(result.memory()).isEqualTo(memorySize);

            int[] shuffled = memoryLabels.clone();
            for (int i = shuffled.length - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                int t = shuffled[i];
                shuffled[i] = shuffled[j];
                shuffled[j] = t;
            }
            assertThat(knn.evaluate(memoryArray, shuffled, queryArray, queryLabels, classes).top1()).isLessThan(0.6);
        }
    }

    @Test
    void votesAreWeightedByExponentiatedSimilarity() {
        // Query (1, 0). Memory: one class-1 point at cosine 1, two class-0 points at cosine 0.6.
        // T = 0.1: class 1 scores e^10 = 22026 > class 0's 2 e^6 = 807, so the weighted vote picks class 1;
        // T = 10: class 0 scores 2 e^0.06 = 2.12 > e^0.1 = 1.11, so the majority wins.
        float[] memory = {1, 0, 0.6f, 0.8f, 0.6f, -0.8f};
        int[] memoryLabels = {1, 0, 0};
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray memoryArray = manager.create(memory, new Shape(3, 2));
            NDArray query = manager.create(new float[] {1, 0}, new Shape(1, 2));
            assertThat(new KnnClassifier(3, 0.1).evaluate(memoryArray, memoryLabels, query, new int[] {1}, 2).top1()).isEqualTo(1.0);
            assertThat(new KnnClassifier(3, 10).evaluate(memoryArray, memoryLabels, query, new int[] {1}, 2).top1()).isEqualTo(0.0);
            // k = 1 only ever sees the nearest point.
            assertThat(new KnnClassifier(1, 10).evaluate(memoryArray, memoryLabels, query, new int[] {1}, 2).top1()).isEqualTo(1.0);
        }
    }

    @Test
    void aTinyTemperatureStillGivesTheNearestNeighbourTheVote() {
        // As above with T = 1e-4: e^(1 / T) overflows to infinity for both classes, and the tie went to class 0.
        float[] memory = {1, 0, 0.6f, 0.8f, 0.6f, -0.8f};
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray memoryArray = manager.create(memory, new Shape(3, 2));
            NDArray query = manager.create(new float[] {1, 0}, new Shape(1, 2));
            assertThat(new KnnClassifier(3, 1e-4).evaluate(memoryArray, new int[] {1, 0, 0}, query, new int[] {1}, 2)
                    .top1()).isEqualTo(1.0);
        }
    }

    @Test
    void aKLargerThanTheMemoryBankIsReportedAsTheKUsed() {
        float[] memory = {1, 0, 0.6f, 0.8f, 0.6f, -0.8f};
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray memoryArray = manager.create(memory, new Shape(3, 2));
            NDArray query = manager.create(new float[] {1, 0}, new Shape(1, 2));
            KnnResult result = new KnnClassifier(200, 0.1).evaluate(memoryArray, new int[] {1, 0, 0}, query,
                    new int[] {1}, 2);
            assertThat(result.k()).isEqualTo(3);
            assertThat(result.protocol()).startsWith("weighted k-NN (cosine, k=3, every memory image, as k=200 exceeds"
                    + " the memory bank, T=0.1), 3 memory images, 1 queries");
            assertThat(new KnnClassifier(2, 0.1).evaluate(memoryArray, new int[] {1, 0, 0}, query, new int[] {1}, 2)
                    .protocol()).contains("k=2, T=0.1");
        }
    }

    @Test
    void nonFiniteFeaturesAreRefusedWithTheCountOfBadRows() {
        float[] memory = {1, 0, Float.NaN, 0.8f, 0.6f, -0.8f};
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray query = manager.create(new float[] {1, 0}, new Shape(1, 2));
            assertThatThrownBy(() -> new KnnClassifier(3, 0.1).evaluate(manager.create(memory, new Shape(3, 2)),
                    new int[] {1, 0, 0}, query, new int[] {1}, 2))
                    .isInstanceOf(BalconException.class)
                    .hasMessage("the memory-bank features: 1 of 3 rows hold NaN or infinite values, as a diverged"
                            + " model's do; refusing to score them");
            NDArray infiniteQuery = manager.create(new float[] {Float.POSITIVE_INFINITY, 0}, new Shape(1, 2));
            assertThatThrownBy(() -> new KnnClassifier(3, 0.1).evaluate(manager.create(new float[] {1, 0, 0, 1},
                    new Shape(2, 2)), new int[] {1, 0}, infiniteQuery, new int[] {1}, 2))
                    .isInstanceOf(BalconException.class).hasMessageStartingWith("the query features: 1 of 1 rows");
        }
    }

    @Test
    void aNaNScoreNeverWinsTheVote() {
        assertThat(KnnClassifier.predictedClass(new double[] {Double.NaN, 1, 2})).isEqualTo(2);
        assertThat(KnnClassifier.predictedClass(new double[] {Double.NaN, Double.NaN, 0.5})).isEqualTo(2);
        assertThat(KnnClassifier.predictedClass(new double[] {3, Double.NaN, 3})).isEqualTo(0);
    }

    @Test
    void rejectsInvalidSettings() {
        assertThatThrownBy(() -> new KnnClassifier(0, 0.1)).isInstanceOf(InvalidField.class).hasMessage("k must be >= 1, got 0");
        assertThatThrownBy(() -> new KnnClassifier(10, 0)).isInstanceOf(InvalidField.class)
                .hasMessage("temperature must be a finite number > 0, got 0.0");
        assertThatThrownBy(() -> new KnnClassifier(10, Double.NaN)).isInstanceOf(BalconException.class);
    }

    private static void fillClusters(float[] values, int[] labels, int classes, int dim, Random random) {
        for (int i = 0; i < labels.length; i++) {
            labels[i] = i % classes;
            for (int d = 0; d < dim; d++) {
                float centre = d == labels[i] ? 5f : 0f;
                values[i * dim + d] = centre + (float) random.nextGaussian() * 0.5f;
            }
        }
    }
}
