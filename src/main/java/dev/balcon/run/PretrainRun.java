package dev.balcon.run;

import dev.balcon.BalconException;
import dev.balcon.augment.Normalization;
import dev.balcon.data.Datasets;
import dev.balcon.train.PretrainConfig;
import dev.balcon.train.PretrainResult;
import dev.balcon.train.Pretrainer;
import dev.balcon.train.RunDirectory;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;

/** Pretraining of one run directory, from a configuration or from the run's stored one. */
public final class PretrainRun {
    private PretrainRun() {}

    /**
     * Trains the run in {@code runDir}. Without {@code resume}, {@code config} starts a new run. With {@code resume},
     * the run stored there continues (see {@link Pretrainer#run}): {@code config} is what to continue it with (it may
     * change only {@link PretrainConfig#RESUMABLE_FIELDS}, and more epochs extend the run), or null for the stored
     * configuration; where nothing is stored yet, {@code config} starts the run. A run that needs nothing more (see
     * {@link #completed}) is left untouched: its dataset is not even loaded. What was loaded (splits made, files
     * skipped, the class counts) is printed on {@code out} and stored under "data" in results.json.
     *
     * @throws Pretrainer.ResumeConflict if {@code config} changes a field a resumed run may not change
     * @throws BalconException           with {@code resume}, no stored run and no {@code config}
     */
    public static PretrainResult pretrain(Path runDir, PretrainConfig config, boolean resume, boolean showProgress,
                                          PrintWriter out) {
        RunDirectory run = new RunDirectory(runDir);
        boolean stored = resume && Files.isRegularFile(run.config());
        PretrainConfig effective = config != null ? config : run.readConfig();
        if (stored) {
            PretrainResult completed = completed(runDir, effective);
            if (completed != null) {
                return completed;
            }
        }
        Datasets.TrainingSet train = Datasets.trainingSet(effective.data());
        train.notes().forEach(out::println);
        out.println("training on " + train.images().size() + " images, per-class counts "
                + Datasets.counts(train.images().classCounts()));
        Normalization normalization = Normalization.of(train.images());
        Pretrainer pretrainer = new Pretrainer(effective, train.images(), normalization, run).showProgress(showProgress);
        boolean monitored = effective.monitor().bounds() && train.test() != null;
        if (effective.monitor().bounds() && train.test() == null) {
            out.println("bound monitor off: the dataset has no labelled test split");
        }
        if (monitored) {
            pretrainer.addMonitor(BoundMonitor.of(effective, train.test(), normalization, effective.monitor().probeSize(),
                    effective.monitor().probeViews()));
        }
        run.putResult("data", train.summary());
        PretrainResult result = pretrainer.run(resume);
        if (monitored) {
            BoundMonitor.writeGapsPlot(run);
        }
        return result;
    }

    /**
     * The stored result of the run in {@code runDir} if continuing it with {@code config} (null: the stored
     * configuration) has nothing to do: it finished {@code config.epochs()} epochs, or diverged. Null if there is
     * something to train, or no run.
     *
     * @throws Pretrainer.ResumeConflict if {@code config} changes a field a resumed run may not change
     */
    public static PretrainResult completed(Path runDir, PretrainConfig config) {
        RunDirectory run = new RunDirectory(runDir);
        if (!Files.isRegularFile(run.config())) {
            return null;
        }
        PretrainConfig stored = run.readConfig();
        PretrainConfig effective = config == null ? stored : config;
        Pretrainer.checkResumable(stored, effective, runDir);
        return Pretrainer.completed(run, effective);
    }

    /** The one line for a resumed run that had nothing to do. */
    public static String nothingToDo(PretrainResult result, Path runDir) {
        if (result.diverged()) {
            return String.format("nothing to do: the run in %s diverged at step %d; left as it is", runDir,
                    result.globalStep());
        }
        return String.format("nothing to do: the run in %s finished its %d epochs (final loss %.4f); left as it is",
                runDir, result.epochsDone(), result.finalLoss());
    }

    public static String summary(PretrainResult result, Path runDir) {
        if (result.diverged()) {
            return String.format("diverged: the loss or the parameters became NaN or infinite at step %d; recorded in %s",
                    result.globalStep(), runDir.resolve("results.json"));
        }
        return String.format("finished %d epochs, final loss %.4f, %.0f images/s, %.0f s; run in %s",
                result.epochsDone(), result.finalLoss(), result.imagesPerSecond(), result.trainSeconds(), runDir);
    }
}
