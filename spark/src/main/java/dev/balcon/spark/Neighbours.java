package dev.balcon.spark;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.balcon.BalconException;

import java.io.Serializable;

/**
 * The (up to) k most similar memory-bank vectors seen so far for each query of one query block: their cosine
 * similarities in descending order and their class indices. Built per (query block, bank block) pair with the same
 * libtorch operations as the core's {@code KnnClassifier} (float32 rows L2-normalised, one matrix product, top-k), then
 * merged: the top k of a union is the top k of the parts' top k, so the result does not depend on how the bank is cut.
 *
 * @param queryLabels class index of each query
 * @param k           capacity per query
 * @param counts      neighbours held per query, at most k
 * @param similarities {@code [queries * k]}, the first counts[q] of row q in descending order
 * @param labels      {@code [queries * k]}, the class index of each neighbour
 */
record Neighbours(int[] queryLabels, int k, int[] counts, float[] similarities, int[] labels) implements Serializable {
    private static final long serialVersionUID = 1L;

    /**
     * The top {@code min(k, bank.rows())} bank rows of every query of {@code queries} by cosine similarity.
     *
     * @throws BalconException if the two blocks hold vectors of different lengths
     */
    static Neighbours of(VectorBlock queries, VectorBlock bank, int k, int torchThreads) {
        if (queries.dim() != bank.dim()) {
            throw new BalconException("the queries are " + queries.dim() + "-d vectors and the memory bank "
                    + bank.dim() + "-d; k-NN needs vectors of one length");
        }
        TorchThreads.ensure(torchThreads);
        int kept = Math.min(k, bank.rows());
        int[] counts = new int[queries.rows()];
        java.util.Arrays.fill(counts, kept);
        float[] similarities = new float[queries.rows() * k];
        int[] labels = new int[queries.rows() * k];
        try (NDManager manager = NDManager.newBaseManager()) {
            // as KnnClassifier.evaluate: memory.toType(FLOAT32).normalize(2, 1).transpose(), query likewise, matMul
            NDArray memoryT = manager.create(bank.vectors(), new Shape(bank.rows(), bank.dim()))
                    .toType(DataType.FLOAT32, false).normalize(2, 1).transpose();
            NDArray similarity = manager.create(queries.vectors(), new Shape(queries.rows(), queries.dim()))
                    .toType(DataType.FLOAT32, false).normalize(2, 1).matMul(memoryT);
            NDList top = similarity.topK(kept, 1, true, true); // sorted: merge() needs descending lists
            float[] values = top.get(0).toFloatArray();
            long[] indices = top.get(1).toType(DataType.INT64, false).toLongArray();
            for (int q = 0; q < queries.rows(); q++) {
                for (int j = 0; j < kept; j++) {
                    similarities[q * k + j] = values[q * kept + j];
                    labels[q * k + j] = bank.labels()[(int) indices[q * kept + j]];
                }
            }
        }
        return new Neighbours(queries.labels(), k, counts, similarities, labels);
    }

    /** The top k of both, per query (the two hold the same queries, against different bank rows). */
    static Neighbours merge(Neighbours a, Neighbours b) {
        int queries = a.counts.length;
        int k = a.k;
        int[] counts = new int[queries];
        float[] similarities = new float[queries * k];
        int[] labels = new int[queries * k];
        for (int q = 0; q < queries; q++) {
            int i = 0;
            int j = 0;
            int n = 0;
            int base = q * k;
            while (n < k && (i < a.counts[q] || j < b.counts[q])) {
                boolean fromA = j >= b.counts[q]
                        || (i < a.counts[q] && a.similarities[base + i] >= b.similarities[base + j]);
                similarities[base + n] = fromA ? a.similarities[base + i] : b.similarities[base + j];
                labels[base + n] = fromA ? a.labels[base + i++] : b.labels[base + j++];
                n++;
            }
            counts[q] = n;
        }
        return new Neighbours(a.queryLabels, k, counts, similarities, labels);
    }

    /**
     * Queries whose weighted vote is their own class: each neighbour votes for its class with weight
     * {@code exp((s - s_max) / T)} (the same vote as exp(s / T)), summed in descending order of similarity, the
     * class with the highest score wins, ties to the lower class index: KnnClassifier's vote, operation for operation,
     * except that KnnClassifier adds the weights in libtorch's unsorted top-k order: the class scores can differ in the
     * last bits, which changes a prediction only if two classes' scores tie to about 1e-16 relative.
     */
    long correct(double temperature, int numClasses) {
        long correct = 0;
        double[] scores = new double[numClasses];
        for (int q = 0; q < counts.length; q++) {
            java.util.Arrays.fill(scores, 0);
            int base = q * k;
            float nearest = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < counts[q]; j++) {
                nearest = Math.max(nearest, similarities[base + j]);
            }
            for (int j = 0; j < counts[q]; j++) {
                scores[labels[base + j]] += Math.exp((similarities[base + j] - nearest) / temperature);
            }
            if (predictedClass(scores) == queryLabels[q]) {
                correct++;
            }
        }
        return correct;
    }

    /** The class with the highest score; a NaN score ranks below every number, ties go to the lower index. */
    private static int predictedClass(double[] scores) {
        int predicted = 0;
        for (int c = 1; c < scores.length; c++) {
            if (scores[c] > scores[predicted] || (Double.isNaN(scores[predicted]) && !Double.isNaN(scores[c]))) {
                predicted = c;
            }
        }
        return predicted;
    }
}
