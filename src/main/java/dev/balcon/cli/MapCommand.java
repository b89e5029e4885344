package dev.balcon.cli;

import dev.balcon.inference.EmbeddingMap;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "map", mixinStandardHelpOptions = true,
        description = "A 2-D map of embed's output as a PNG: every vector projected on the first two principal "
                + "components of all of them, coloured by label, with a legend. Large files are drawn as a seeded "
                + "sample (--max-points); the projection is fitted on every vector. See docs/inference.md.")
final class MapCommand implements Callable<Integer> {
    @Option(names = "--embeddings", required = true, paramLabel = "FILE",
            description = "Output of 'balcon embed --out FILE': FILE.npy and FILE.csv (FILE or FILE.npy).")
    Path embeddings;

    @Option(names = "--out", required = true, paramLabel = "PNG", description = "PNG file to write.")
    Path out;

    @Option(names = "--method", defaultValue = "pca", description = "Projection: pca (default: ${DEFAULT-VALUE}).")
    String method;

    @Option(names = "--max-points", defaultValue = "" + EmbeddingMap.DEFAULT_MAX_POINTS,
            description = "Points drawn at most; more rows are sampled (default: ${DEFAULT-VALUE}).")
    int maxPoints;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the sample (default: ${DEFAULT-VALUE}).")
    long seed;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        if (!EmbeddingMap.METHODS.contains(method)) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--method must be one of " + String.join(", ", EmbeddingMap.METHODS) + ", got '" + method + "'");
        }
        if (maxPoints < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--max-points must be >= 1, got " + maxPoints);
        }
        EmbeddingMap.Summary summary = EmbeddingMap.write(embeddings, out, method, maxPoints, seed);
        spec.commandLine().getOut().printf("mapped %d vectors of %d features (%d drawn, %d labels; PC1 %.1f%%, PC2 %.1f%% "
                        + "of the variance) to %s%n", summary.rows(), summary.dim(), summary.drawn(), summary.labels(),
                100 * summary.explained()[0], 100 * summary.explained()[1], summary.png());
        return 0;
    }
}
