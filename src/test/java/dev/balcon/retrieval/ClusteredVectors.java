package dev.balcon.retrieval;

import dev.balcon.inference.EmbeddingWriter;

import java.nio.file.Path;
import java.util.SplittableRandom;

/** Synthetic embeddings for tests and the benchmark: Gaussian clusters around random Gaussian centres. */
final class ClusteredVectors {
    private ClusteredVectors() {}

    /**
     * Writes {@code base.npy}/{@code base.csv} with {@code n} vectors of {@code dim} floats: row i belongs to cluster
     * {@code i % clusters} (its label {@code c<cluster>}, its id {@code v<i>}) and is the cluster's centre (unit
     * Gaussian per coordinate) plus Gaussian noise of standard deviation {@code noise}.
     */
    static void write(Path base, int n, int dim, int clusters, float noise, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[][] centres = new float[clusters][dim];
        for (float[] centre : centres) {
            for (int j = 0; j < dim; j++) {
                centre[j] = (float) gaussian(random);
            }
        }
        float[] vector = new float[dim];
        try (EmbeddingWriter writer = new EmbeddingWriter(base, n, dim)) {
            for (int i = 0; i < n; i++) {
                int cluster = i % clusters;
                for (int j = 0; j < dim; j++) {
                    vector[j] = centres[cluster][j] + noise * (float) gaussian(random);
                }
                writer.append(vector, "v" + i, "train", "c" + cluster);
            }
            writer.commit();
        }
    }

    private static double gaussian(SplittableRandom random) {
        double u = 1 - random.nextDouble();
        double v = random.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }
}
