package dev.balcon.retrieval;

import dev.balcon.inference.EmbeddingFile;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Build time of the HNSW index by number of threads, and the recall@10 against exact search of each index built
 * (queries are rows of the set, their own row left out, 100 candidates). Run with {@code java -cp
 * target/classes:target/test-classes:<deps> dev.balcon.retrieval.HnswBuildBenchmark [vectors | FILE.npy] [dim]
 * [threads,threads,...] [queries] [work dir]} (defaults 200000, 128, 1,2, 200, a temporary directory); the
 * synthetic vectors are {@link ClusteredVectors} with 1 cluster per 1,000 vectors and noise 0.35, as in
 * {@link NeighborsBenchmark}.
 */
public final class HnswBuildBenchmark {
    private static final int K = 10;
    private static final int CANDIDATES = 100;

    private HnswBuildBenchmark() {}

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    public static void main(String[] args) throws Exception {
        boolean given = args.length > 0 && args[0].endsWith(".npy");
        String[] threadCounts = (args.length > 2 ? args[2] : "1,2").split(",");
        int queries = args.length > 3 ? Integer.parseInt(args[3]) : 200;
        Path dir = args.length > 4 ? Path.of(args[4]) : Files.createTempDirectory("balcon-hnsw-build-bench");
        Path base = given ? Path.of(args[0]) : dir.resolve("vectors");
        if (!given) {
            int n = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
            int dim = args.length > 1 ? Integer.parseInt(args[1]) : 128;
            ClusteredVectors.write(base, n, dim, Math.max(10, n / 1000), 0.35f, 42);
        }
        try (EmbeddingFile file = EmbeddingFile.open(base)) {
            long n = file.rows();
            List<List<Neighbor>> exact = new ArrayList<>();
            long[] queryRows = new long[queries];
            for (int q = 0; q < queries; q++) {
                queryRows[q] = q * (n / queries);
                exact.add(ExactSearch.search(file, file.vector(queryRows[q]), K, queryRows[q],
                        ExactSearch.DEFAULT_BLOCK_ROWS));
            }
            System.out.printf("%d vectors of %d float32, %d queries; %d cores%n", n, file.dim(), queries,
                    Runtime.getRuntime().availableProcessors());
            for (String count : threadCounts) {
                int threads = Integer.parseInt(count.trim());
                Path indexDir = dir.resolve("index-" + threads);
                long start = System.nanoTime();
                long cpuStart = processCpuNanos();
                HnswIndex.build(file, indexDir, HnswIndex.DEFAULT_MAX_CONNECTIONS, HnswIndex.DEFAULT_BEAM_WIDTH, threads);
                double seconds = (System.nanoTime() - start) / 1e9;
                double cpuSeconds = (processCpuNanos() - cpuStart) / 1e9;
                double recall = 0;
                try (HnswIndex index = HnswIndex.open(indexDir, file)) {
                    for (int q = 0; q < queries; q++) {
                        recall += NeighborsBenchmark.overlap(exact.get(q),
                                index.search(file.vector(queryRows[q]), K, queryRows[q], CANDIDATES)) / (double) K;
                    }
                }
                // on a shared machine the wall time also depends on the share of the cores the JVM gets; the CPU
                // time is the work done, so CPU time / wall time is how many cores the build kept busy
                System.out.printf("%d threads: built in %.1f s (%.0f vectors/s), %.1f s of CPU (%.2f cores busy); "
                        + "recall@%d %.4f at %d candidates%n", threads, seconds, n / seconds, cpuSeconds,
                        cpuSeconds / seconds, K, recall / queries, CANDIDATES);
            }
        }
    }
}
