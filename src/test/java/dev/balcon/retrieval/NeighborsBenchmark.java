package dev.balcon.retrieval;

import dev.balcon.inference.EmbeddingFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Exact search against the HNSW index on synthetic clustered vectors: index build time, queries per second of
 * both, and recall@k of the index against exact search (the fraction of the exact k nearest that the index
 * returns, averaged over the queries). Queries are rows of the set (their own row left out). Run with
 * {@code java -cp target/classes:target/test-classes:<deps> dev.balcon.retrieval.NeighborsBenchmark
 * [vectors | FILE.npy] [dim] [queries] [work dir]} (defaults 100000, 128, 200, a temporary directory); given a
 * {@code .npy} written by {@code balcon embed}, it measures that file instead of synthetic vectors.
 */
public final class NeighborsBenchmark {
    private static final int K = 10;

    private NeighborsBenchmark() {}

    public static void main(String[] args) throws Exception {
        boolean given = args.length > 0 && args[0].endsWith(".npy");
        int queries = args.length > 2 ? Integer.parseInt(args[2]) : 200;
        Path dir = args.length > 3 ? Path.of(args[3]) : Files.createTempDirectory("balcon-neighbors-bench");
        int threads = Runtime.getRuntime().availableProcessors();
        Path base = given ? Path.of(args[0]) : dir.resolve("vectors");
        long start = System.nanoTime();
        if (!given) {
            int n = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
            int dim = args.length > 1 ? Integer.parseInt(args[1]) : 128;
            ClusteredVectors.write(base, n, dim, Math.max(10, n / 1000), 0.35f, 42);
            System.out.printf("%d clustered vectors of %d float32 written in %.1f s (%s)%n", n, dim, seconds(start), dir);
        }
        try (EmbeddingFile file = EmbeddingFile.open(base)) {
            int n = (int) file.rows();
            long[] queryRows = new long[queries];
            for (int q = 0; q < queries; q++) {
                queryRows[q] = (long) q * (n / queries);
            }
            start = System.nanoTime();
            List<List<Neighbor>> exact = new java.util.ArrayList<>();
            for (long row : queryRows) {
                exact.add(ExactSearch.search(file, file.vector(row), K, row, ExactSearch.DEFAULT_BLOCK_ROWS));
            }
            double exactSeconds = seconds(start);
            System.out.printf("exact: %.2f queries/s (blocks of %d rows in parallel on %d cores)%n", queries / exactSeconds,
                    ExactSearch.DEFAULT_BLOCK_ROWS, threads);
            Path indexDir = dir.resolve("index");
            start = System.nanoTime();
            HnswIndex.build(file, indexDir, HnswIndex.DEFAULT_MAX_CONNECTIONS, HnswIndex.DEFAULT_BEAM_WIDTH, threads);
            double buildSeconds = seconds(start);
            System.out.printf("hnsw build (M=%d, beam %d, %d threads): %.1f s, %.0f vectors/s, %d MB on disk%n",
                    HnswIndex.DEFAULT_MAX_CONNECTIONS, HnswIndex.DEFAULT_BEAM_WIDTH, threads, buildSeconds,
                    n / buildSeconds, directorySize(indexDir) >> 20);
            try (HnswIndex index = HnswIndex.open(indexDir, file)) {
                for (int candidates : new int[] {10, 50, 100, 200}) {
                    for (long row : queryRows) { // warm-up
                        index.search(file.vector(row), K, row, candidates);
                    }
                    double recall = 0;
                    start = System.nanoTime();
                    for (int q = 0; q < queries; q++) {
                        List<Neighbor> found = index.search(file.vector(queryRows[q]), K, queryRows[q], candidates);
                        recall += overlap(exact.get(q), found) / (double) K;
                    }
                    double s = seconds(start);
                    System.out.printf("hnsw candidates %3d: recall@%d %.4f, %.0f queries/s (one thread)%n", candidates,
                            K, recall / queries, queries / s);
                }
            }
        }
    }

    static int overlap(List<Neighbor> exact, List<Neighbor> found) {
        Set<Long> rows = new HashSet<>();
        exact.forEach(neighbor -> rows.add(neighbor.row()));
        return (int) found.stream().filter(neighbor -> rows.contains(neighbor.row())).count();
    }

    private static double seconds(long start) {
        return (System.nanoTime() - start) / 1e9;
    }

    private static long directorySize(Path dir) throws java.io.IOException {
        try (var files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }
}
