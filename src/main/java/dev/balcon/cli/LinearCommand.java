package dev.balcon.cli;

import dev.balcon.eval.LinearProbe;
import dev.balcon.eval.LinearProbeResult;
import dev.balcon.run.Evaluation;
import dev.balcon.train.RunDirectory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "linear", mixinStandardHelpOptions = true,
        description = "Linear probe of a run's frozen backbone features: multinomial logistic regression (full-batch "
                + "L-BFGS, L2 on the weights) on train-standardised features, top-1 and top-5 on the test split (top-5 n/a with "
                + "5 classes or fewer). "
                + "Features are cached in the run directory until the checkpoint changes. The result is stored "
                + "under \"linear\" in the run's results.json.")
final class LinearCommand implements Callable<Integer> {
    @Mixin
    ProgressOptions progress;

    @Mixin
    DeviceOptions device;

    @Option(names = "--run-dir", required = true, description = "Run directory written by 'balcon pretrain'.")
    Path runDir;

    @Option(names = "--iterations", defaultValue = "" + LinearProbe.DEFAULT_ITERATIONS,
            description = "L-BFGS iterations at most (default: ${DEFAULT-VALUE}).")
    int iterations;

    @Option(names = "--l2", defaultValue = "" + LinearProbe.DEFAULT_L2,
            description = "L2 weight on the classifier weights, per training image (default: ${DEFAULT-VALUE}).")
    double l2;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        LinearProbe probe = new LinearProbe(iterations, l2);
        RunDirectory run = new RunDirectory(runDir);
        LinearProbeResult result = Evaluation.linearOfRun(run, probe);
        run.putResult("linear", result);
        // With 5 classes or fewer every label is in the top 5: not applicable rather than 100%.
        String top5 = result.top5() == null ? "n/a" : String.format("%.2f%%", 100 * result.top5());
        spec.commandLine().getOut().printf("linear top-1 %.2f%% top-5 %s  (%s; %d train, %d test images, %d features; "
                        + "stopped after %d iterations at train loss %.4f)%n", 100 * result.top1(), top5,
                result.protocol(), result.trainSize(), result.testSize(), result.featureDim(), result.iterations(),
                result.trainLoss());
        return 0;
    }
}
