package dev.balcon.cli;

import dev.balcon.data.DatasetSplits;
import dev.balcon.data.Datasets;
import dev.balcon.eval.KnnClassifier;
import dev.balcon.eval.KnnResult;
import dev.balcon.inference.EmbeddingFile;
import dev.balcon.inference.Embeddings;
import dev.balcon.model.Precision;
import dev.balcon.run.Evaluation;
import dev.balcon.train.PretrainConfig;
import dev.balcon.train.RunDirectory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "knn", mixinStandardHelpOptions = true,
        description = "Weighted k-NN top-1 of a run's backbone features: train split as memory bank, test split as "
                + "queries. Features are cached in the run directory, shared with 'balcon linear', until the checkpoint "
                + "or --precision changes. The result is stored under \"knn\" in the run's results.json (with "
                + "\"precision\": \"bf16\" when computed so). With --embeddings, the same "
                + "protocol on the output of 'balcon embed --split all' (train rows as memory bank, test rows as "
                + "queries); nothing is stored.")
final class KnnCommand implements Callable<Integer> {
    /** The option of each parameter of {@link KnnClassifier}, for its errors. */
    static final Map<String, String> CLASSIFIER_OPTIONS = Map.of("k", "--knn-k", "temperature", "--knn-temperature");

    @Mixin
    ProgressOptions progress;

    @Mixin
    DeviceOptions device;

    @Mixin
    PrecisionOptions precision;

    @Option(names = "--run-dir", description = "Run directory written by 'balcon pretrain'.")
    Path runDir;

    @Option(names = "--embeddings", description = "FILE.npy + FILE.csv written by 'balcon embed --split all', "
            + "instead of --run-dir.")
    Path embeddings;

    @Option(names = "--knn-k", defaultValue = "200", description = "Neighbours (default: ${DEFAULT-VALUE}); every "
            + "memory image when the memory bank is smaller, and the k used is printed and stored.")
    int k;

    @Option(names = "--knn-temperature", defaultValue = "0.1", description = "Vote temperature (default: ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--floors", description = "Also score the two floors a learned representation must beat, on the "
            + "same images and protocol: raw pixels and the run's encoder untrained (stored as knn_pixels, "
            + "knn_random_init).")
    boolean floors;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        if ((runDir == null) == (embeddings == null)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "give exactly one of --run-dir DIR and --embeddings FILE");
        }
        KnnClassifier knn = FieldOptions.inOptions(CLASSIFIER_OPTIONS, () -> new KnnClassifier(k, temperature));
        Precision computeIn = precision.precision;
        if (embeddings != null && computeIn != Precision.FP32) {
            throw new CommandLine.ParameterException(spec.commandLine(), PrecisionOptions.PRECISION + " "
                    + computeIn.id() + " computes the features of --run-dir; the features of --embeddings are "
                    + "already computed (give " + PrecisionOptions.PRECISION + " to 'balcon embed')");
        }
        if (embeddings != null) {
            try (EmbeddingFile file = EmbeddingFile.open(embeddings)) {
                KnnResult result = Embeddings.knn(file, knn);
                spec.commandLine().getOut().printf("k-NN top-1 %.2f%%  (%s; %s)%n", 100 * result.top1(),
                        result.protocol(), file.npyFile());
            }
            return 0;
        }
        RunDirectory run = new RunDirectory(runDir);
        PretrainConfig config = run.readConfig();
        DatasetSplits splits = Datasets.evaluationSplits(config.data());
        KnnResult result = Evaluation.knnOfRun(run, splits, knn, computeIn);
        Evaluation.putResult(run, "knn", result, computeIn);
        PrintWriter out = spec.commandLine().getOut();
        out.printf("k-NN top-1 %.2f%%  (%s%s)%n", 100 * result.top1(), result.protocol(),
                PrecisionOptions.note(computeIn));
        if (floors) {
            KnnResult pixels = Evaluation.knnOfPixels(splits, knn);
            KnnResult randomInit = Evaluation.knnOfRandomInit(config, splits, knn, computeIn);
            run.putResult("knn_pixels", pixels);
            Evaluation.putResult(run, "knn_random_init", randomInit, computeIn);
            out.printf("floor: raw pixels %.2f%%, %s w%d random init %.2f%%; run minus the higher floor: %+.2f points"
                            + "%n", 100 * pixels.top1(), config.model().arch(), config.model().width(),
                    100 * randomInit.top1(), 100 * (result.top1() - Math.max(pixels.top1(), randomInit.top1())));
        }
        return 0;
    }
}
