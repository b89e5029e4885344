package dev.balcon.retrieval;

import dev.balcon.BalconException;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * Exact nearest neighbours by cosine similarity: every vector is compared with the query, {@code blockRows} rows
 * at a time from the memory-mapped file, and a bounded heap keeps the best {@code k}. Memory is one block's mapping
 * and k results, whatever the number of vectors. Ties in similarity are broken by the lower row first, so results
 * are deterministic.
 */
public final class ExactSearch {
    /** Rows compared per memory-mapped block by default. */
    public static final int DEFAULT_BLOCK_ROWS = 65_536;

    /** Best first: higher similarity, then lower row. */
    static final Comparator<Neighbor> BEST_FIRST = Comparator.comparingDouble((Neighbor n) -> -n.similarity())
            .thenComparingLong(Neighbor::row);

    private ExactSearch() {}

    /**
     * The {@code k} vectors most similar to {@code query}, best first.
     *
     * @param query      a vector of {@code file.dim()} floats, any norm
     * @param k          number of neighbours, in {@code [1, candidates]} where candidates is {@code file.rows()},
     *                   less one when {@code excludeRow} is a row of the file
     * @param excludeRow a row left out of the results (the query's own row), or -1
     * @param blockRows  rows per block, >= 1
     * @throws BalconException if the query has another length than the vectors or {@code k} is out of range
     */
    public static List<Neighbor> search(EmbeddingFile file, float[] query, int k, long excludeRow, int blockRows) {
        requireQuery(file, query, k, excludeRow);
        if (blockRows < 1) {
            throw new IllegalArgumentException("blockRows must be >= 1, got " + blockRows);
        }
        float[] unit = normalized(query);
        int dim = file.dim();
        PriorityQueue<Neighbor> worstFirst = new PriorityQueue<>(k + 1, BEST_FIRST.reversed());
        float[] block = new float[(int) Math.min(file.rows(), blockRows) * dim];
        for (long from = 0; from < file.rows(); from += blockRows) {
            int count = (int) Math.min(blockRows, file.rows() - from);
            FloatBuffer mapped = file.block(from, count);
            mapped.get(block, 0, count * dim);
            for (int r = 0; r < count; r++) {
                long row = from + r;
                if (row == excludeRow) {
                    continue;
                }
                float similarity = cosine(unit, block, r * dim);
                if (worstFirst.size() < k) {
                    worstFirst.add(new Neighbor(row, similarity));
                } else if (similarity > worstFirst.peek().similarity()) {
                    // rows come in increasing order: an equal similarity never displaces the earlier row
                    worstFirst.poll();
                    worstFirst.add(new Neighbor(row, similarity));
                }
            }
        }
        List<Neighbor> result = new ArrayList<>(worstFirst);
        result.sort(BEST_FIRST);
        return result;
    }

    /** Checks the query length and {@code k} against the file; see {@link #search}. */
    static void requireQuery(EmbeddingFile file, float[] query, int k, long excludeRow) {
        if (query.length != file.dim()) {
            throw new BalconException("the query has " + query.length + " features, the vectors of " + file.npyFile()
                    + " have " + file.dim());
        }
        long candidates = file.rows() - (excludeRow >= 0 && excludeRow < file.rows() ? 1 : 0);
        if (k < 1 || k > candidates) {
            throw new BalconException("--k must be in [1, " + candidates + "]: " + file.npyFile() + " holds "
                    + file.rows() + " vectors" + (candidates < file.rows() ? " (" + candidates
                    + " besides the query's own row)" : "") + ", got " + k);
        }
    }

    /** Cosine similarity of a unit vector and {@code block[offset, offset + unit.length)}; 0 for a zero vector. */
    static float cosine(float[] unit, float[] block, int offset) {
        // two independent accumulator pairs: the sums do not wait on each other
        float dot0 = 0;
        float dot1 = 0;
        float norm0 = 0;
        float norm1 = 0;
        int n = unit.length;
        int i = 0;
        for (; i + 1 < n; i += 2) {
            float v0 = block[offset + i];
            float v1 = block[offset + i + 1];
            dot0 += unit[i] * v0;
            dot1 += unit[i + 1] * v1;
            norm0 += v0 * v0;
            norm1 += v1 * v1;
        }
        if (i < n) {
            float v = block[offset + i];
            dot0 += unit[i] * v;
            norm0 += v * v;
        }
        float norm = norm0 + norm1;
        return norm == 0 ? 0f : (float) ((dot0 + dot1) / Math.sqrt(norm));
    }

    /** {@code vector} divided by its Euclidean norm (all zeros stays all zeros). */
    static float[] normalized(float[] vector) {
        double norm = 0;
        for (float v : vector) {
            norm += (double) v * v;
        }
        float[] unit = vector.clone();
        if (norm > 0) {
            double scale = 1 / Math.sqrt(norm);
            for (int i = 0; i < unit.length; i++) {
                unit[i] = (float) (unit[i] * scale);
            }
        }
        return unit;
    }
}
