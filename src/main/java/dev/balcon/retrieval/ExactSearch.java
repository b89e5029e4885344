package dev.balcon.retrieval;

import dev.balcon.InvalidField;
import dev.balcon.inference.EmbeddingFile;
import dev.balcon.BalconException;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.stream.Collectors;
import java.util.stream.LongStream;

/**
 * Exact nearest neighbours by cosine similarity: every vector is compared with the query, {@code blockRows} rows
 * at a time from the memory-mapped file, blocks in parallel on the common fork-join pool, and a bounded heap per
 * block keeps its best {@code k}. Memory is a block's mapping, a chunk of {@value #CHUNK_ROWS} rows and k results
 * per thread, whatever the number of vectors. Ties in similarity are broken by the lower row first, so results
 * are deterministic.
 */
public final class ExactSearch {
    /** Rows compared per memory-mapped block by default. */
    public static final int DEFAULT_BLOCK_ROWS = 65_536;
    /** Rows copied from the mapping at once. */
    private static final int CHUNK_ROWS = 1024;

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
     * @throws InvalidField    naming the parameter {@code k} if it is out of range
     * @throws BalconException if the query has another length than the vectors
     */
    public static List<Neighbor> search(EmbeddingFile file, float[] query, int k, long excludeRow, int blockRows) {
        requireQuery(file, query, k, excludeRow);
        if (blockRows < 1) {
            throw new IllegalArgumentException("blockRows must be >= 1, got " + blockRows);
        }
        float[] unit = normalized(query);
        long blocks = (file.rows() + blockRows - 1) / blockRows;
        // blocks in parallel, each with its own heap; the merge orders by similarity, then row, so the result does
        // not depend on which thread saw what
        List<Neighbor> result = LongStream.range(0, blocks).parallel()
                .mapToObj(block -> searchBlock(file, unit, k, excludeRow, block * blockRows,
                        (int) Math.min(blockRows, file.rows() - block * blockRows)))
                .flatMap(List::stream)
                .sorted(BEST_FIRST)
                .limit(k)
                .collect(Collectors.toCollection(ArrayList::new));
        return result;
    }

    /** The best {@code k} of rows {@code [from, from + count)}, in no particular order. */
    private static List<Neighbor> searchBlock(EmbeddingFile file, float[] unit, int k, long excludeRow, long from,
                                              int count) {
        int dim = unit.length;
        PriorityQueue<Neighbor> worstFirst = new PriorityQueue<>(k + 1, BEST_FIRST.reversed());
        FloatBuffer mapped = file.block(from, count);
        // copied from the mapping a chunk at a time: array reads are faster than buffer reads
        float[] chunk = new float[Math.min(count, CHUNK_ROWS) * dim];
        for (int start = 0; start < count; start += CHUNK_ROWS) {
            int rows = Math.min(CHUNK_ROWS, count - start);
            mapped.get(start * dim, chunk, 0, rows * dim);
            for (int r = 0; r < rows; r++) {
                long row = from + start + r;
                if (row == excludeRow) {
                    continue;
                }
                float similarity = cosine(unit, chunk, r * dim);
                if (worstFirst.size() < k) {
                    worstFirst.add(new Neighbor(row, similarity));
                } else if (similarity > worstFirst.peek().similarity()) {
                    // rows come in increasing order: an equal similarity never displaces the earlier row
                    worstFirst.poll();
                    worstFirst.add(new Neighbor(row, similarity));
                }
            }
        }
        return new ArrayList<>(worstFirst);
    }

    /** Checks the query length and {@code k} against the file; see {@link #search}. */
    static void requireQuery(EmbeddingFile file, float[] query, int k, long excludeRow) {
        if (query.length != file.dim()) {
            throw new BalconException("the query has " + query.length + " features, the vectors of " + file.npyFile()
                    + " have " + file.dim());
        }
        long candidates = file.rows() - (excludeRow >= 0 && excludeRow < file.rows() ? 1 : 0);
        if (k < 1 || k > candidates) {
            throw new InvalidField("k", "must be in [1, " + candidates + "]: " + file.npyFile() + " holds "
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
