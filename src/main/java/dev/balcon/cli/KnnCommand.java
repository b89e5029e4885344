package dev.balcon.cli;

import dev.balcon.eval.KnnClassifier;
import dev.balcon.eval.KnnResult;
import dev.balcon.experiment.Evaluation;
import dev.balcon.train.RunDirectory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "knn", mixinStandardHelpOptions = true,
        description = "Weighted k-NN top-1 of a run's backbone features: train split as memory bank, test split as "
                + "queries. Features are cached in the run directory, shared with 'balcon linear', until the checkpoint "
                + "changes. The result is stored under \"knn\" in the run's results.json.")
final class KnnCommand implements Callable<Integer> {
    @Mixin
    ProgressOptions progress;

    @Option(names = "--run-dir", required = true, description = "Run directory written by 'balcon pretrain'.")
    Path runDir;

    @Option(names = "--knn-k", defaultValue = "200", description = "Neighbours (default: ${DEFAULT-VALUE}); every "
            + "memory image when the memory bank is smaller, and the k used is printed and stored.")
    int k;

    @Option(names = "--knn-temperature", defaultValue = "0.1", description = "Vote temperature (default: ${DEFAULT-VALUE}).")
    double temperature;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        KnnClassifier knn = new KnnClassifier(k, temperature);
        RunDirectory run = new RunDirectory(runDir);
        KnnResult result = Evaluation.knnOfRun(run, knn);
        run.putResult("knn", result);
        spec.commandLine().getOut().printf("k-NN top-1 %.2f%%  (%s)%n", 100 * result.top1(), result.protocol());
        return 0;
    }
}
