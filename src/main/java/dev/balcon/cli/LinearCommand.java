package dev.balcon.cli;

import dev.balcon.data.DatasetSplits;
import dev.balcon.data.Datasets;
import dev.balcon.eval.LinearProbe;
import dev.balcon.eval.LinearProbeResult;
import dev.balcon.model.Precision;
import dev.balcon.run.Evaluation;
import dev.balcon.train.PretrainConfig;
import dev.balcon.train.RunDirectory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "linear", mixinStandardHelpOptions = true,
        description = "Linear probe of a run's frozen backbone features: multinomial logistic regression (full-batch "
                + "L-BFGS, L2 on the weights) on train-standardised features, top-1 and top-5 on the test split (top-5 n/a with "
                + "5 classes or fewer). "
                + "Features are cached in the run directory, shared with 'balcon knn', until the checkpoint or "
                + "--precision changes. The result is stored under \"linear\" in the run's results.json (with "
                + "\"precision\": \"bf16\" when computed so).")
final class LinearCommand implements Callable<Integer> {
    @Mixin
    ProgressOptions progress;

    @Mixin
    DeviceOptions device;

    @Mixin
    PrecisionOptions precision;

    @Option(names = "--run-dir", required = true, description = "Run directory written by 'balcon pretrain'.")
    Path runDir;

    @Option(names = "--iterations", defaultValue = "" + LinearProbe.DEFAULT_ITERATIONS,
            description = "L-BFGS iterations at most (default: ${DEFAULT-VALUE}).")
    int iterations;

    @Option(names = "--l2", defaultValue = "" + LinearProbe.DEFAULT_L2,
            description = "L2 weight on the classifier weights, per training image (default: ${DEFAULT-VALUE}).")
    double l2;

    @Option(names = "--floors", description = "Also probe the two floors a learned representation must beat, on the "
            + "same images and protocol: raw pixels and the run's encoder untrained (stored as linear_pixels, "
            + "linear_random_init).")
    boolean floors;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        LinearProbe probe = FieldOptions.inOptions(Map.of("maxIterations", "--iterations", "l2", "--l2"),
                () -> new LinearProbe(iterations, l2));
        RunDirectory run = new RunDirectory(runDir);
        PretrainConfig config = run.readConfig();
        DatasetSplits splits = Datasets.evaluationSplits(config.data());
        Precision computeIn = precision.precision;
        LinearProbeResult result = Evaluation.linearOfRun(run, splits, probe, computeIn);
        Evaluation.putResult(run, "linear", result, computeIn);
        // With 5 classes or fewer every label is in the top 5: not applicable rather than 100%.
        String top5 = result.top5() == null ? "n/a" : String.format("%.2f%%", 100 * result.top5());
        spec.commandLine().getOut().printf("linear top-1 %.2f%% top-5 %s  (%s; %d train, %d test images, %d features; "
                        + "stopped after %d iterations at train loss %.4f%s)%n", 100 * result.top1(), top5,
                result.protocol(), result.trainSize(), result.testSize(), result.featureDim(), result.iterations(),
                result.trainLoss(), PrecisionOptions.note(computeIn));
        if (floors) {
            LinearProbeResult pixels = Evaluation.linearOfPixels(splits, probe);
            LinearProbeResult randomInit = Evaluation.linearOfRandomInit(config, splits, probe, computeIn);
            run.putResult("linear_pixels", pixels);
            Evaluation.putResult(run, "linear_random_init", randomInit, computeIn);
            spec.commandLine().getOut().printf("floor: raw pixels %.2f%%, %s w%d random init %.2f%%; run minus the higher "
                            + "floor: %+.2f points%n", 100 * pixels.top1(), config.model().arch(),
                    config.model().width(), 100 * randomInit.top1(),
                    100 * (result.top1() - Math.max(pixels.top1(), randomInit.top1())));
        }
        return 0;
    }
}
