package dev.balcon.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import dev.balcon.BalconException;
import dev.balcon.InvalidField;

/**
 * Weighted k-nearest-neighbour classifier on cosine similarity (InstDisc, Wu et al. 2018; as in lightly and
 * solo-learn): each of the k most similar memory images votes for its class with weight exp(s / T).
 */
public final class KnnClassifier {
    public static final int DEFAULT_K = 200;
    public static final double DEFAULT_TEMPERATURE = 0.1;
    private static final int QUERY_CHUNK = 256;

    private final int k;
    private final double temperature;

    /**
     * @param k           neighbours that vote, &gt;= 1
     * @param temperature the vote temperature T, a finite number &gt; 0
     * @throws InvalidField naming the parameter ({@code k}, {@code temperature}) out of range
     */
    public KnnClassifier(int k, double temperature) {
        if (k < 1) {
            throw new InvalidField("k", "must be >= 1, got " + k);
        }
        if (!(temperature > 0) || !Double.isFinite(temperature)) {
            throw new InvalidField("temperature", "must be a finite number > 0, got " + temperature);
        }
        this.k = k;
        this.temperature = temperature;
    }

    /** The protocol in words, as printed next to results. */
    public String protocolDescription() {
        return "weighted k-NN, cosine similarity, k=" + k + ", T=" + temperature + ", train split as memory bank";
    }

    /**
     * Classifies every query row against the memory bank and returns the top-1 accuracy. With fewer memory
     * images than k, every memory image votes, and the result records that k.
     *
     * @param memory  memory-bank features [M, D]
     * @param queries query features [Q, D]
     * @throws BalconException if a feature is NaN or infinite
     */
    public KnnResult evaluate(NDArray memory, int[] memoryLabels, NDArray queries, int[] queryLabels, int numClasses) {
        long memorySize = memory.getShape().get(0);
        if (memorySize != memoryLabels.length || queries.getShape().get(0) != queryLabels.length) {
            throw new IllegalArgumentException("features and labels differ in length");
        }
        NonFinite.requireFiniteRows(memory, "the memory-bank features");
        NonFinite.requireFiniteRows(queries, "the query features");
        int neighbours = (int) Math.min(k, memorySize);
        int correct = 0;
        try (NDManager scope = memory.getManager().newSubManager()) {
            NDArray memoryUnit = memory.toType(DataType.FLOAT32, false).normalize(2, 1);
            memoryUnit.attach(scope);
            NDArray memoryT = memoryUnit.transpose();
            for (int start = 0; start < queryLabels.length; start += QUERY_CHUNK) {
                int end = Math.min(start + QUERY_CHUNK, queryLabels.length);
                try (NDManager chunk = scope.newSubManager()) {
                    NDArray query = queries.get(new NDIndex("{}:{}", start, end));
                    query.attach(chunk);
                    NDArray similarity = query.toType(DataType.FLOAT32, false).normalize(2, 1).matMul(memoryT);
                    NDList top = similarity.topK(neighbours, 1, true, false);
                    float[] values = top.get(0).toFloatArray();
                    long[] indices = top.get(1).toType(DataType.INT64, false).toLongArray();
                    correct += vote(values, indices, memoryLabels, queryLabels, start, end - start, neighbours, numClasses);
                }
            }
        }
        return new KnnResult(correct / (double) queryLabels.length, neighbours, k, temperature, queryLabels.length,
                (int) memorySize);
    }

    private int vote(float[] similarities, long[] indices, int[] memoryLabels, int[] queryLabels,
                     int offset, int count, int neighbours, int numClasses) {
        int correct = 0;
        double[] scores = new double[numClasses];
        for (int q = 0; q < count; q++) {
            java.util.Arrays.fill(scores, 0);
            // Weights relative to the nearest neighbour's, exp((s - s_max) / T): the same vote as exp(s / T),
            // without overflowing to infinity (and ties) at small T.
            float nearest = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < neighbours; j++) {
                nearest = Math.max(nearest, similarities[q * neighbours + j]);
            }
            for (int j = 0; j < neighbours; j++) {
                int at = q * neighbours + j;
                scores[memoryLabels[(int) indices[at]]] += Math.exp((similarities[at] - nearest) / temperature);
            }
            if (predictedClass(scores) == queryLabels[offset + q]) {
                correct++;
            }
        }
        return correct;
    }

    /** The class with the highest score; a NaN score ranks below every number, ties go to the lower index. */
    static int predictedClass(double[] scores) {
        int predicted = 0;
        for (int c = 1; c < scores.length; c++) {
            if (scores[c] > scores[predicted] || (Double.isNaN(scores[predicted]) && !Double.isNaN(scores[c]))) {
                predicted = c;
            }
        }
        return predicted;
    }
}
