package dev.balcon.experiment;

import dev.balcon.augment.Normalization;
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
     * Trains the run in {@code runDir}. With {@code resume} and a stored config.json, the stored configuration
     * is used and training continues from the checkpoint; otherwise {@code config} starts a new run. What was
     * loaded (splits made, files skipped, the class counts) is printed on {@code out} and stored under "data"
     * in results.json.
     */
    public static PretrainResult pretrain(Path runDir, PretrainConfig config, boolean resume, boolean showProgress,
                                          PrintWriter out) {
        RunDirectory run = new RunDirectory(runDir);
        PretrainConfig effective = resume && Files.isRegularFile(run.config()) ? run.readConfig() : config;
        effective.validate();
        Datasets.TrainingSet train = Datasets.trainingSet(effective);
        train.notes().forEach(out::println);
        out.println("training on " + train.images().size() + " images, per-class counts "
                + Datasets.counts(train.images().classCounts()));
        Normalization normalization = Normalization.of(train.images());
        Pretrainer pretrainer = new Pretrainer(effective, train.images(), normalization, run).showProgress(showProgress);
        boolean monitored = effective.boundMonitor() && train.test() != null;
        if (effective.boundMonitor() && train.test() == null) {
            out.println("bound monitor off: the dataset has no labelled test split (pass --eval-data)");
        }
        if (monitored) {
            pretrainer.addMonitor(BoundMonitor.of(effective, train.test(), normalization, effective.probeSize(),
                    effective.probeViews()));
        }
        run.putResult("data", train.summary());
        PretrainResult result = pretrainer.run(resume);
        if (monitored) {
            BoundMonitor.writeGapsPlot(run);
        }
        return result;
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
