package dev.balcon.spark;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.balcon.BalconException;
import scala.Tuple2;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * The (up to) k most similar memory-bank vectors seen so far for each query of one query block: their cosine
 * similarities in descending order and their class indices. Built for all query blocks of a query partition against
 * all bank blocks of a bank partition ({@link #ofPartitions}): the similarities with the same libtorch operations as
 * the core's {@code KnnClassifier} (float32 rows L2-normalised, one matrix product), the top k kept in a bounded heap
 * per query; then merged across bank partitions: the top k of a union is the top k of the parts' top k, so the result
 * does not depend on how the bank is cut.
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
     * The top {@code min(k, bank rows)} bank rows by cosine similarity of every query of every query block, against
     * every bank block. Each bank block becomes one normalised libtorch tensor, used against each query block in turn
     * (a {@code [query rows, bank rows]} similarity matrix at a time), so a bank block is converted once per task
     * however many query blocks there are.
     *
     * @param queries the query blocks of one partition
     * @param bank    the bank blocks of one partition (none: every query keeps no neighbour)
     * @return the key of each query block and its neighbours, in the order of {@code queries}
     * @throws BalconException if a query block and a bank block hold vectors of different lengths
     */
    static List<Tuple2<Long, Neighbours>> ofPartitions(List<VectorBlock> queries, List<VectorBlock> bank, int k,
                                                      int torchThreads) {
        TorchThreads.ensure(torchThreads);
        List<TopK> tops = new ArrayList<>();
        for (VectorBlock block : queries) {
            tops.add(new TopK(block.rows(), k));
        }
        for (VectorBlock bankBlock : bank) {
            try (NDManager manager = NDManager.newBaseManager()) {
                // as KnnClassifier.evaluate: memory.toType(FLOAT32).normalize(2, 1).transpose(), query likewise, matMul
                NDArray memoryT = manager.create(bankBlock.vectors(), new Shape(bankBlock.rows(), bankBlock.dim()))
                        .normalize(2, 1).transpose();
                for (int b = 0; b < queries.size(); b++) {
                    VectorBlock queryBlock = queries.get(b);
                    if (queryBlock.dim() != bankBlock.dim()) {
                        throw new BalconException("the queries are " + queryBlock.dim() + "-d vectors and the memory "
                                + "bank " + bankBlock.dim() + "-d; k-NN needs vectors of one length");
                    }
                    try (NDManager pair = manager.newSubManager()) {
                        NDArray query = pair.create(queryBlock.vectors(), new Shape(queryBlock.rows(), queryBlock.dim()));
                        float[] similarity = query.normalize(2, 1).matMul(memoryT).toFloatArray();
                        tops.get(b).add(similarity, bankBlock.rows(), bankBlock.labels());
                    }
                }
            }
        }
        List<Tuple2<Long, Neighbours>> result = new ArrayList<>();
        for (int b = 0; b < queries.size(); b++) {
            result.add(new Tuple2<>(queries.get(b).key(), tops.get(b).neighbours(queries.get(b).labels())));
        }
        return result;
    }

    /**
     * The k largest similarities of each query and their classes, as one min-heap of capacity k per query in flat
     * primitive arrays: a similarity below the query's k-th largest so far costs one comparison.
     */
    private static final class TopK {
        private final int k;
        private final int[] sizes;
        private final float[] values;
        private final int[] labels;

        TopK(int queries, int k) {
            this.k = k;
            this.sizes = new int[queries];
            this.values = new float[Math.multiplyExact(queries, k)];
            this.labels = new int[queries * k];
        }

        /** Offers every similarity of {@code similarity [queries, bankRows]}; bank row j is of class bankLabels[j]. */
        void add(float[] similarity, int bankRows, int[] bankLabels) {
            for (int q = 0; q < sizes.length; q++) {
                int base = q * k;
                int row = q * bankRows;
                int size = sizes[q];
                int j = 0;
                for (; j < bankRows && size < k; j++) {
                    siftUp(base, size++, similarity[row + j], bankLabels[j]);
                }
                sizes[q] = size;
                // the heap is full from here on: most similarities fall below its smallest and cost one comparison
                float smallest = size == k ? values[base] : Float.NEGATIVE_INFINITY;
                for (; j < bankRows; j++) {
                    float value = similarity[row + j];
                    if (value > smallest) {
                        siftDown(base, k, value, bankLabels[j]);
                        smallest = values[base];
                    }
                }
            }
        }

        /** Puts (value, label) at heap position {@code at} (the new last one) and moves it up into place. */
        private void siftUp(int base, int at, float value, int label) {
            while (at > 0) {
                int parent = (at - 1) >>> 1;
                if (values[base + parent] <= value) {
                    break;
                }
                values[base + at] = values[base + parent];
                labels[base + at] = labels[base + parent];
                at = parent;
            }
            values[base + at] = value;
            labels[base + at] = label;
        }

        /** Replaces the smallest of a heap of {@code size} by (value, label) and moves it down into place. */
        private void siftDown(int base, int size, float value, int label) {
            int at = 0;
            while (true) {
                int child = 2 * at + 1;
                if (child >= size) {
                    break;
                }
                if (child + 1 < size && values[base + child + 1] < values[base + child]) {
                    child++;
                }
                if (values[base + child] >= value) {
                    break;
                }
                values[base + at] = values[base + child];
                labels[base + at] = labels[base + child];
                at = child;
            }
            values[base + at] = value;
            labels[base + at] = label;
        }

        /** The heaps emptied smallest first into descending lists. */
        Neighbours neighbours(int[] queryLabels) {
            int[] counts = sizes.clone();
            float[] sorted = new float[values.length];
            int[] sortedLabels = new int[labels.length];
            for (int q = 0; q < sizes.length; q++) {
                int base = q * k;
                for (int size = sizes[q]; size > 0; size--) {
                    sorted[base + size - 1] = values[base];
                    sortedLabels[base + size - 1] = labels[base];
                    siftDown(base, size - 1, values[base + size - 1], labels[base + size - 1]);
                }
            }
            return new Neighbours(queryLabels, k, counts, sorted, sortedLabels);
        }
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
