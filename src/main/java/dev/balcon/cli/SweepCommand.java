package dev.balcon.cli;

import dev.balcon.Progress;
import dev.balcon.sweep.ExperimentFile;
import dev.balcon.sweep.Sweep;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "sweep", mixinStandardHelpOptions = true,
        description = "Runs an experiment file (docs/experiments.md): every cell with every seed, each run in "
                + "OUT/cell/seed-N: pretraining, then the evaluations it lists (k-NN, linear probe, bias). Started "
                + "again, it skips finished runs and resumes interrupted ones; a failed or diverged run is recorded and "
                + "the sweep goes on. Writes OUT/results.csv, OUT/results.md and the plots after every run. Exit "
                + "status 1 if a run failed.")
final class SweepCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "FILE", description = "Experiment file (YAML).")
    Path file;

    @Option(names = "--out", paramLabel = "DIR", description = "Sweep directory (default: runs/NAME, NAME the file name without .yaml).")
    Path out;

    @Option(names = "--dry-run", description = "Check the file, list the cells and their cost, run nothing.")
    boolean dryRun;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "Change the file for this sweep: a setting shared by every cell (--set epochs=1), a protocol "
                    + "key (--set protocol.train_images=1000), or seeds, evaluate (--set seeds=[0]). Repeatable.")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--images-per-second", paramLabel = "N", defaultValue = "300",
            description = "Training throughput assumed by --dry-run when no run of the sweep has finished yet "
                    + "(default: ${DEFAULT-VALUE}).")
    double assumedImagesPerSecond;

    @Option(names = "--progress", negatable = true, description = "Show the progress of each long job (image decoding, "
            + "each pretraining) on standard error. Default --no-progress: the sweep's own one line per run only.")
    boolean progress;

    @picocli.CommandLine.Mixin
    DeviceOptions device;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        if (!(assumedImagesPerSecond > 0) || !Double.isFinite(assumedImagesPerSecond)) {
            throw new dev.balcon.BalconException("--images-per-second must be a finite number > 0, got "
                    + assumedImagesPerSecond);
        }
        ExperimentFile experiment = ExperimentFile.read(file, new TrainingOptionsConfigs(), overrides);
        Path directory = out != null ? out : Path.of("runs", experiment.name());
        PrintWriter writer = spec.commandLine().getOut();
        if (!progress) {
            Progress.setCurrent(Progress.none()); // Main restores it when the command ends
        }
        Sweep sweep = new Sweep(experiment, directory, writer).showProgress(progress);
        if (dryRun) {
            writer.print(sweep.plan(assumedImagesPerSecond));
            writer.flush();
            return 0;
        }
        Sweep.Outcome outcome = sweep.run();
        return outcome.failed() > 0 ? Main.EXIT_FAILURE : 0;
    }
}
