package dev.balcon.spark.cli;

import dev.balcon.Progress;
import dev.balcon.cli.TrainingOptionsConfigs;
import dev.balcon.sweep.ExperimentFile;
import dev.balcon.sweep.Sweep;
import dev.balcon.spark.SparkSweep;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "sweep", mixinStandardHelpOptions = true,
        description = "Runs an experiment file as 'balcon sweep' does (docs/experiments.md), each run that is not "
                + "done yet as one Spark task: the same run directories OUT/cell/seed-N, skipping, resuming and "
                + "failure records, and the same results.csv, results.md and plots, written at the end. OUT and the "
                + "datasets must be at the same path on every executor. Exit status 1 if a run failed. "
                + "See docs/spark.md.")
final class SweepCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "FILE", description = "Experiment file (YAML).")
    Path file;

    @Option(names = {"--out", "--runs-dir"}, paramLabel = "DIR",
            description = "Sweep directory, on a file system every executor sees at this path "
                    + "(default: runs/NAME, NAME the file name without .yaml).")
    Path out;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "Change the file for this sweep, as 'balcon sweep --set' (repeatable).")
    List<String> overrides = new ArrayList<>();

    @Mixin
    SparkOptions sparkOptions;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        ExperimentFile experiment = ExperimentFile.read(file, new TrainingOptionsConfigs(), overrides);
        Path directory = out != null ? out : Path.of("runs", experiment.name());
        Progress previous = Progress.current();
        Progress.setCurrent(Progress.none()); // one line per run; Spark shows the tasks
        SparkSession spark = sparkOptions.session("balcon-spark sweep " + experiment.name(),
                spec.commandLine().getErr());
        try {
            Sweep.Outcome outcome = SparkSweep.run(spark, experiment, directory, sparkOptions.torchThreads,
                    spec.commandLine().getOut());
            return outcome.failed() > 0 ? SparkMain.EXIT_FAILURE : 0;
        } finally {
            spark.stop();
            Progress.setCurrent(previous);
        }
    }
}
