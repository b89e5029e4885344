package dev.balcon.cli;

import dev.balcon.inference.EmbeddingFile;
import dev.balcon.retrieval.HnswIndex;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "index", mixinStandardHelpOptions = true,
        description = "Build an approximate nearest-neighbour index (Lucene's HNSW graph, cosine similarity) over the "
                + "vectors of 'balcon embed', for 'balcon neighbors --index'. See docs/inference.md.")
final class IndexCommand implements Callable<Integer> {
    @Option(names = "--embeddings", required = true, description = "FILE.npy (or FILE) written by 'balcon embed'.")
    Path embeddings;

    @Option(names = "--out", required = true, description = "Index directory to write (replaced if it holds an index).")
    Path out;

    @Option(names = "--max-connections", defaultValue = "" + HnswIndex.DEFAULT_MAX_CONNECTIONS,
            description = "Graph neighbours per vector, HNSW's M (default: ${DEFAULT-VALUE}).")
    int maxConnections;

    @Option(names = "--beam-width", defaultValue = "" + HnswIndex.DEFAULT_BEAM_WIDTH,
            description = "Candidates considered while inserting, HNSW's efConstruction (default: ${DEFAULT-VALUE}).")
    int beamWidth;

    @Option(names = "--threads", description = "Threads that build the graph (default: the number of cores).")
    Integer threads;

    @Mixin
    ProgressOptions progress;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        if (maxConnections < 1 || maxConnections > 512 || beamWidth < 1 || beamWidth > 3200) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--max-connections must be in [1, 512] and "
                    + "--beam-width in [1, 3200], got " + maxConnections + " and " + beamWidth);
        }
        int workers = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        if (workers < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--threads must be >= 1, got " + workers);
        }
        PrintWriter log = spec.commandLine().getOut();
        long start = System.nanoTime();
        try (EmbeddingFile file = EmbeddingFile.open(embeddings)) {
            HnswIndex.build(file, out, maxConnections, beamWidth, workers);
            double seconds = (System.nanoTime() - start) / 1e9;
            log.printf("indexed %d vectors of %d features in %.1f s (%.0f vectors/s): %s%n", file.rows(), file.dim(),
                    seconds, file.rows() / seconds, out);
        }
        return 0;
    }
}
