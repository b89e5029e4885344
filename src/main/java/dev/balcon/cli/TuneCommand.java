package dev.balcon.cli;

import dev.balcon.Progress;
import dev.balcon.sweep.ExperimentFile;
import dev.balcon.sweep.Tune;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "tune", mixinStandardHelpOptions = true,
        description = "Picks the best cell of an experiment file (e.g. an alpha x lambda grid of the balanced loss) by "
                + "successive halving instead of running the whole grid (docs/experiments.md#tuning): every cell trains "
                + "briefly on the training split less a held-out validation part, the best 1/eta by k-NN top-1 on it go "
                + "on to eta times the epochs, until the cells' own epochs; the chosen cell is then trained again and "
                + "evaluated on the test split. The file's 'search' section sets eta, min_epochs and "
                + "validation_fraction. Writes OUT/tune.json and OUT/tune.md after every rung; started again, it "
                + "continues. Exit status 1 if a run failed.")
final class TuneCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "FILE", description = "Experiment file (YAML).")
    Path file;

    @Option(names = "--out", paramLabel = "DIR", description = "Tune directory (default: runs/NAME-tune, NAME the file name without .yaml).")
    Path out;

    @Option(names = "--dry-run", description = "Check the file, list the rungs and their cost, run nothing.")
    boolean dryRun;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "Change the file for this tune, as for sweep: a shared setting (--set train_limit=2000), a "
                    + "protocol or search key (--set search.eta=2), or seeds (--set seeds=[0]). Repeatable.")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--no-confirm", description = "Stop after choosing: do not train the chosen cell again to evaluate "
            + "it on the test split.")
    boolean noConfirm;

    @Option(names = "--progress", negatable = true, description = "Show the progress of each pretraining on standard "
            + "error. Default --no-progress: the tune's own one line per run only.")
    boolean progress;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        TrainingOptionsConfigs configs = new TrainingOptionsConfigs();
        ExperimentFile experiment = ExperimentFile.read(file, configs, overrides);
        Path directory = out != null ? out : Path.of("runs", experiment.name() + "-tune");
        PrintWriter writer = spec.commandLine().getOut();
        if (!progress) {
            Progress.setCurrent(Progress.none()); // Main restores it when the command ends
        }
        Tune tune = new Tune(more -> {
            List<String> all = new ArrayList<>(overrides);
            all.addAll(more);
            return ExperimentFile.read(file, configs, all);
        }, directory, writer).showProgress(progress).confirm(!noConfirm);
        if (dryRun) {
            writer.print(tune.plan());
            writer.flush();
            return 0;
        }
        return tune.run().failedRuns() > 0 ? Main.EXIT_FAILURE : 0;
    }
}
