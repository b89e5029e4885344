package dev.balcon.cli;

import dev.balcon.eval.KnnClassifier;
import dev.balcon.run.Demo;
import dev.balcon.train.PretrainConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "The main job: a short pretraining on Fashion-MNIST, then k-NN top-1 of the learned encoder next "
                + "to the raw-pixel and random-init floors. Accepts every pretrain option; the default is a short run.")
final class DemoCommand implements Callable<Integer> {
    @Mixin
    ProgressOptions progress;

    @Mixin
    DeviceOptions device;

    @Mixin
    TrainingOptions training;

    @Option(names = "--run-dir", defaultValue = "runs/demo", description = "Run directory (default: ${DEFAULT-VALUE}).")
    Path runDir;

    @Option(names = "--resume", description = "Continue an interrupted demo run.")
    boolean resume;

    @Option(names = "--knn-k", defaultValue = "200", description = "k-NN neighbours (default: ${DEFAULT-VALUE}).")
    int k;

    @Option(names = "--knn-temperature", defaultValue = "0.1", description = "k-NN vote temperature (default: ${DEFAULT-VALUE}).")
    double temperature;

    /** The demo's own default length: short enough for a first look (about five minutes on 2 cores). */
    static final int DEMO_EPOCHS = 2;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        if (!spec.commandLine().getParseResult().hasMatchedOption("--epochs")) {
            training.epochs = DEMO_EPOCHS;
        }
        KnnClassifier knn = FieldOptions.inOptions(KnnCommand.CLASSIFIER_OPTIONS, () -> new KnnClassifier(k, temperature));
        PretrainConfig config = training.toConfig(runDir, resume, spec.commandLine().getParseResult());
        Demo.Outcome outcome = TrainingOptions.training(runDir, () -> Demo.run(runDir, config, resume, knn,
                spec.commandLine().getOut()));
        return outcome.pretrain().diverged() ? Main.EXIT_DIVERGED : 0;
    }
}
