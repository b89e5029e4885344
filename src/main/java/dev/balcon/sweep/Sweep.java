package dev.balcon.sweep;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.balcon.BalconException;
import dev.balcon.data.DataSelection;
import dev.balcon.data.DatasetSplits;
import dev.balcon.data.Datasets;
import dev.balcon.data.Subsets;
import dev.balcon.eval.FeatureCache;
import dev.balcon.model.Precision;
import dev.balcon.run.BiasMeasurement;
import dev.balcon.run.Evaluation;
import dev.balcon.run.PretrainRun;
import dev.balcon.train.PretrainConfig;
import dev.balcon.train.RunDirectory;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs an experiment: every cell with every seed, each run in its own directory (out/cell/seed-N): pretraining, then
 * the evaluations the file asks for (k-NN, linear probe, bias). A sweep can be stopped and started again: finished
 * runs are skipped, an interrupted one continues from its last checkpoint and its last completed evaluation. A run
 * that fails or diverges is recorded as such and the sweep goes on. After every run the summary (results.csv,
 * results.md, plots) is written again, so that it always shows what is done.
 *
 * <p>What the sweep did to a run is kept in the run's results.json under {@value RunRecord#RESULT_KEY}
 * ({@link RunRecord}).
 */
public final class Sweep {
    /** How a sweep went: runs in the experiment, runs skipped as already done, and how the others ended. */
    public record Outcome(int runs, int skipped, int finished, int diverged, int failed) {}

    private final ExperimentFile experiment;
    private final Path out;
    private final PrintWriter log;
    private final Map<String, DatasetSplits> evaluationData = new HashMap<>();
    private boolean showProgress = false;
    private Set<String> onlyCells = null;
    private boolean extendRuns = false;
    private boolean writeSummary = true;

    /**
     * A sweep of {@code experiment} into the directory {@code out}, reporting its progress on {@code log}.
     */
    public Sweep(ExperimentFile experiment, Path out, PrintWriter log) {
        this.experiment = experiment;
        this.out = out;
        this.log = log;
    }

    /** Whether each pretraining shows its own progress bar (on standard error). */
    public Sweep showProgress(boolean show) {
        this.showProgress = show;
        return this;
    }

    /**
     * Restricts the sweep to the runs of these cells (the others are neither run nor checked); null for all.
     *
     * @throws BalconException naming a cell the experiment does not have
     */
    public Sweep onlyCells(Set<String> cells) {
        if (cells != null) {
            Set<String> known = new LinkedHashSet<>();
            experiment.cells().forEach(cell -> known.add(cell.name()));
            for (String cell : cells) {
                if (!known.contains(cell)) {
                    throw new BalconException("the experiment has no cell '" + cell + "'; its cells are " + known);
                }
            }
            this.onlyCells = Set.copyOf(cells);
        }
        return this;
    }

    /**
     * Whether a run directory that holds the same run trained for fewer epochs is extended to the epochs asked for
     * now (pretraining resumed with the longer schedule, see {@code Pretrainer.run}, and every evaluation done
     * again) instead of refused; used by successive halving ({@link Tune}). Off for a plain sweep, whose runs must
     * be what their configuration says from the start.
     */
    public Sweep extendRuns(boolean extend) {
        this.extendRuns = extend;
        return this;
    }

    /** Whether results.csv, results.md and the plots are written after every run (the default). */
    public Sweep writeSummary(boolean write) {
        this.writeSummary = write;
        return this;
    }

    /** The runs this sweep covers: every run of the experiment, or those of {@link #onlyCells}. */
    private List<ExperimentFile.Run> runs() {
        return experiment.runs().stream()
                .filter(run -> onlyCells == null || onlyCells.contains(run.cell().name())).toList();
    }

    /**
     * Runs every run that is not done yet.
     *
     * @throws BalconException before anything runs if a run directory holds a run of another configuration
     */
    public Outcome run() {
        int toDo = pendingRuns().size();
        List<ExperimentFile.Run> runs = runs();
        log.printf("sweep %s: %d cells x %d seeds = %d runs, %d to do, into %s%n", experiment.name(),
                runs.size() / experiment.seeds().size(), experiment.seeds().size(), runs.size(), toDo, out);
        log.flush();
        int skipped = 0;
        int finished = 0;
        int diverged = 0;
        int failed = 0;
        int executed = 0;
        double executedSeconds = 0;
        for (int i = 0; i < runs.size(); i++) {
            ExperimentFile.Run run = runs.get(i);
            String position = String.format("[%d/%d] %s", i + 1, runs.size(), run.label());
            if (isDone(run)) {
                skipped++;
                log.printf("%s: already %s, skipped%n", position, RunRecord.of(new RunDirectory(run.directory(out)))
                        .status());
                log.flush();
                continue;
            }
            long start = System.nanoTime();
            RunRecord record = execute(run, position);
            double seconds = (System.nanoTime() - start) / 1e9;
            executed++;
            executedSeconds += seconds;
            switch (record.status()) {
                case RunRecord.FINISHED -> finished++;
                case RunRecord.DIVERGED -> diverged++;
                default -> failed++;
            }
            if (writeSummary) {
                SweepResults.write(experiment, out);
            }
            int left = toDo - executed;
            log.printf("%s: %s in %.0f s%s%s%n", position, record.status(), seconds,
                    record.error() == null ? "" : " (" + record.error() + ")",
                    left == 0 ? "" : String.format("; %d runs left, ETA %s", left,
                            duration(executedSeconds / executed * left)));
            log.flush();
        }
        if (writeSummary) {
            SweepResults.write(experiment, out);
            log.printf("sweep %s: %d finished, %d diverged, %d failed, %d skipped as done; results in %s and %s%n",
                    experiment.name(), finished, diverged, failed, skipped, out.resolve(SweepResults.CSV),
                    out.resolve(SweepResults.MARKDOWN));
        } else {
            log.printf("sweep %s: %d finished, %d diverged, %d failed, %d skipped as done%n", experiment.name(),
                    finished, diverged, failed, skipped);
        }
        log.flush();
        return new Outcome(runs.size(), skipped, finished, diverged, failed);
    }

    /**
     * Prepares the sweep directory and lists the runs that are not done yet, in the experiment's order, for a runner
     * that executes them elsewhere ({@link #execute}, then {@link SweepResults#write}); {@link #run} does the same
     * itself. Writes the copy of the experiment file ({@value SweepResults#EXPERIMENT_COPY}) into the sweep directory.
     *
     * @throws BalconException if a run directory holds a run of another configuration
     */
    public List<ExperimentFile.Run> pendingRuns() {
        checkStoredConfigs();
        RunDirectory.writeAtomically(out.resolve(SweepResults.EXPERIMENT_COPY),
                experiment.text().getBytes(StandardCharsets.UTF_8));
        return runs().stream().filter(run -> !isDone(run)).toList();
    }

    /**
     * The plan without running it: every cell, its runs and what they cost, and the runs already done in the sweep
     * directory. The time is estimated from the training throughput of the runs already done there, or else from
     * {@code assumedImagesPerSecond}; an evaluated image counts as a sixth of a trained one (one forward pass, against
     * two views forward and backward).
     */
    public String plan(double assumedImagesPerSecond) {
        StringBuilder text = new StringBuilder();
        text.append(String.format("experiment %s (%s): %d cells x %d seeds = %d runs; evaluate %s%n", experiment.name(),
                experiment.file(), experiment.cells().size(), experiment.seeds().size(), experiment.runs().size(),
                experiment.evaluate()));
        if (!experiment.budget().isEmpty()) {
            text.append("budget: ").append(experiment.budget().replaceAll("\\s+", " ")).append('\n');
        }
        double measured = measuredImagesPerSecond();
        double rate = Double.isNaN(measured) ? assumedImagesPerSecond : measured;
        text.append(String.format("| %-36s | %-40s | runs | done | train images x epochs | evaluated images | est. time |%n",
                "cell", "settings"));
        double totalSeconds = 0;
        long totalTrained = 0;
        int totalDone = 0;
        for (ExperimentFile.Cell cell : experiment.cells()) {
            List<ExperimentFile.Run> runs = experiment.runs().stream().filter(run -> run.cell() == cell).toList();
            PretrainConfig config = runs.get(0).config();
            long trained = (long) trainImages(config) * config.epochs();
            long evaluated = evaluatedImages(config);
            int done = (int) runs.stream().filter(this::isDone).count();
            double seconds = (runs.size() - done) * (trained + evaluated / 6.0) / rate;
            totalSeconds += seconds;
            totalTrained += trained * runs.size();
            totalDone += done;
            text.append(String.format("| %-36s | %-40s | %4d | %4d | %21d | %16d | %9s |%n", cell.name(),
                    SweepResults.settingsText(cell), runs.size(), done, trained, evaluated, duration(seconds)));
        }
        text.append(String.format("total: %d runs (%d done), %d training images x epochs; about %s left at %.0f "
                        + "training images/s (%s)%n", experiment.runs().size(), totalDone, totalTrained,
                duration(totalSeconds), rate, Double.isNaN(measured) ? "assumed; set with --images-per-second"
                        : "measured on the runs done"));
        return text.toString();
    }

    /** Training images of a run: its train limit or its dataset's whole training split, cut to its class profile. */
    private int trainImages(PretrainConfig config) {
        return Datasets.trainingImages(config.data(), fullData(config).train());
    }

    /** Images one run's evaluations and bound monitor push through the encoder (each view counts as one). */
    private long evaluatedImages(PretrainConfig config) {
        ExperimentFile.Protocol protocol = experiment.protocol();
        DatasetSplits splits = evaluationSplits(config);
        long images = 0;
        if (experiment.evaluates(ExperimentFile.KNN) || experiment.evaluates(ExperimentFile.LINEAR)) {
            images += splits.train().size() + splits.test().size();
        }
        if (config.monitor().bounds()) {
            images += (long) config.epochs() * config.monitor().probeSize() * config.monitor().probeViews();
        }
        if (experiment.evaluates(ExperimentFile.BIAS)) {
            int perClass = protocol.biasPerClass();
            long biasImages = perClass > 0 ? (long) perClass * splits.test().numClasses() : splits.test().size();
            images += protocol.biasViews() * biasImages;
        }
        return images;
    }

    /** Mean training throughput (images/s) of the runs already trained in the sweep directory, or NaN if none. */
    private double measuredImagesPerSecond() {
        double sum = 0;
        int count = 0;
        for (ExperimentFile.Run run : experiment.runs()) {
            RunDirectory directory = new RunDirectory(run.directory(out));
            if (Files.isRegularFile(directory.results())) {
                JsonNode rate = directory.readResults().path(RunRecord.PRETRAIN).path("imagesPerSecond");
                if (rate.isNumber() && rate.asDouble() > 0) {
                    sum += rate.asDouble();
                    count++;
                }
            }
        }
        return count == 0 ? Double.NaN : sum / count;
    }

    /**
     * Whether the run needs nothing more: diverged, or finished with every evaluation of this protocol (and, when runs
     * are extended, trained for the epochs asked for now).
     */
    private boolean isDone(ExperimentFile.Run run) {
        RunDirectory directory = new RunDirectory(run.directory(out));
        RunRecord record = RunRecord.of(directory);
        if (record == null) {
            return false;
        }
        if (record.status().equals(RunRecord.DIVERGED)) {
            return true;
        }
        return record.status().equals(RunRecord.FINISHED) && stagesStillValid(record, directory, run.config())
                .containsAll(stages());
    }

    /** The stages to run: pretraining and the evaluations of the file. */
    private List<String> stages() {
        List<String> stages = new ArrayList<>();
        stages.add(RunRecord.PRETRAIN);
        stages.addAll(experiment.evaluate());
        return stages;
    }

    /**
     * The stages of a record that still count: all of them, only the pretraining if the protocol changed, none if the
     * run is to be extended to more epochs.
     */
    private Set<String> stagesStillValid(RunRecord record, RunDirectory directory, PretrainConfig wanted) {
        Set<String> done = new LinkedHashSet<>(record.done());
        if (extendRuns && Files.isRegularFile(directory.config())
                && directory.readConfig().epochs() < wanted.epochs()) {
            done.clear();
        } else if (!experiment.protocol().equals(record.protocol())) {
            done.retainAll(List.of(RunRecord.PRETRAIN));
        }
        return done;
    }

    /** Refuses to mix runs: a run directory that holds a run of another configuration stops the sweep at once. */
    private void checkStoredConfigs() {
        for (ExperimentFile.Run run : runs()) {
            RunDirectory directory = new RunDirectory(run.directory(out));
            if (!Files.isRegularFile(directory.config())) {
                continue;
            }
            PretrainConfig stored = directory.readConfig();
            boolean extension = extendRuns && stored.epochs() < run.config().epochs()
                    && stored.differingFields(run.config()).equals(List.of("epochs"));
            if (!stored.equals(run.config()) && !extension) {
                throw new BalconException("run directory " + directory.root() + " holds a run of another configuration"
                        + " than cell '" + run.cell().name() + "' asks for now (" + differences(stored, run.config())
                        + "): move it away, or sweep into another --out");
            }
        }
    }

    /** "field: stored -> wanted" for each field that differs. */
    private static String differences(PretrainConfig stored, PretrainConfig wanted) {
        return stored.differingFields(wanted).stream()
                .map(field -> field + ": " + stored.fieldText(field) + " -> " + wanted.fieldText(field))
                .collect(java.util.stream.Collectors.joining(", "));
    }

    /**
     * Pretrains and evaluates one run of this sweep in its directory, resuming what an earlier attempt left, and
     * records how it ended in its results.json (also returned). Never throws for the run's own failure: that is
     * recorded as {@link RunRecord#FAILED}. Runs of one sweep may execute concurrently in separate JVMs, each by its
     * own {@code Sweep} of the same experiment and directory, as long as no run executes twice at a time; within one
     * JVM, one at a time (DJL collects gradients for one training at a time per process).
     *
     * @param run      a run of this sweep's experiment
     * @param position how the run is named in the lines logged, e.g. {@code [3/8] cell, seed 1}
     */
    public RunRecord execute(ExperimentFile.Run run, String position) {
        RunDirectory directory = new RunDirectory(run.directory(out));
        RunRecord previous = RunRecord.of(directory);
        Set<String> done = previous == null ? new LinkedHashSet<>()
                : stagesStillValid(previous, directory, run.config());
        // Extending a finished run to more epochs (tune's next rung) gives it a new goal, not a retry of the old one.
        boolean extension = extendRuns && previous != null && RunRecord.FINISHED.equals(previous.status())
                && !done.contains(RunRecord.PRETRAIN);
        int attempts = previous == null || extension ? 1 : previous.attempts() + 1;
        double seconds = previous == null ? 0 : previous.seconds();
        RunRecord record = null;
        try {
            for (String stage : stages()) {
                if (done.contains(stage)) {
                    continue;
                }
                log.printf("%s: %s%s%n", position, describeStage(stage, run.config()),
                        extension ? " (extending the finished run)" : attempts > 1 ? " (attempt " + attempts + ")" : "");
                log.flush();
                long start = System.nanoTime();
                boolean diverged = runStage(stage, run, directory);
                seconds += (System.nanoTime() - start) / 1e9;
                if (diverged) {
                    record = record(directory, run, RunRecord.DIVERGED, done, seconds, attempts, null);
                    return record;
                }
                done.add(stage);
                record = record(directory, run, RunRecord.INCOMPLETE, done, seconds, attempts, null);
            }
            FeatureCache cache = new FeatureCache(directory.root(), directory.checkpoint());
            // The feature caches are only needed while the run is being evaluated; they would fill the disk.
            for (String split : List.of("train", "test")) {
                Files.deleteIfExists(cache.file(split));
            }
            return record(directory, run, RunRecord.FINISHED, done, seconds, attempts, null);
        } catch (Exception e) {
            String error = e instanceof BalconException ? e.getMessage() : e.toString();
            return record(directory, run, RunRecord.FAILED, done, seconds, attempts,
                    error.lines().findFirst().orElse(error));
        }
    }

    private RunRecord record(RunDirectory directory, ExperimentFile.Run run, String status, Set<String> done,
                             double seconds, int attempts, String error) {
        RunRecord record = new RunRecord(run.cell().name(), run.seed(), status, List.copyOf(done),
                experiment.protocol(), seconds, attempts, error);
        directory.create();
        directory.putResult(RunRecord.RESULT_KEY, record);
        return record;
    }

    /** Runs one stage; returns whether the pretraining diverged. */
    private boolean runStage(String stage, ExperimentFile.Run run, RunDirectory directory) {
        ExperimentFile.Protocol protocol = experiment.protocol();
        switch (stage) {
            case RunRecord.PRETRAIN -> {
                // a pretraining that ran to its end (killed before the sweep recorded it) is left as it is
                return PretrainRun.pretrain(directory.root(), run.config(), true, showProgress, log).diverged();
            }
            case ExperimentFile.KNN -> directory.putResult(ExperimentFile.KNN,
                    Evaluation.knnOfRun(directory, evaluationSplits(run.config()), protocol.knn(), Precision.FP32));
            case ExperimentFile.LINEAR -> directory.putResult(ExperimentFile.LINEAR,
                    Evaluation.linearOfRun(directory, evaluationSplits(run.config()), protocol.linear(), Precision.FP32));
            case ExperimentFile.BIAS -> BiasMeasurement.store(directory, BiasMeasurement.ofRun(directory, protocol.bias()));
            default -> throw new IllegalStateException("unknown stage " + stage);
        }
        return false;
    }

    private String describeStage(String stage, PretrainConfig config) {
        ExperimentFile.Protocol protocol = experiment.protocol();
        return switch (stage) {
            case RunRecord.PRETRAIN -> String.format("pretraining, %d epochs of %s images", config.epochs(),
                    config.data().trainLimit() > 0 ? String.valueOf(config.data().trainLimit()) : "all");
            case ExperimentFile.KNN -> "k-NN (k=" + protocol.knnK() + ", T=" + protocol.knnTemperature() + ")";
            case ExperimentFile.LINEAR -> "linear probe (" + protocol.linearIterations() + " L-BFGS iterations at most)";
            default -> "prototype bias (K=" + protocol.biasViews() + " views, "
                    + (protocol.biasPerClass() > 0 ? protocol.biasPerClass() + " test images per class"
                    : "every test image") + ")";
        };
    }

    /**
     * The splits of a run's dataset that the k-NN and the linear probe use: train cut to the protocol's size by a
     * stratified draw with the run's data seed, so every run of a data seed is evaluated on the same images.
     */
    private DatasetSplits evaluationSplits(PretrainConfig config) {
        int trainImages = experiment.protocol().trainImages();
        DatasetSplits all = fullData(config);
        return evaluationData.computeIfAbsent("eval|" + config.data().selection() + "|" + config.data().evalData(),
                key -> new DatasetSplits(Subsets.limit(all.train(), trainImages, config.data().dataSeed()), all.test()));
    }

    /** The whole evaluation splits of a run's dataset. */
    private DatasetSplits fullData(PretrainConfig config) {
        String key = "all|" + config.data().selection() + "|" + config.data().evalData();
        DatasetSplits cached = evaluationData.get(key);
        if (cached == null) {
            cached = Datasets.evaluationSplits(config.data());
            evaluationData.put(key, cached);
        }
        return cached;
    }

    /** "42 s", "12 min", "3.5 h". */
    static String duration(double seconds) {
        if (seconds < 90) {
            return String.format("%.0f s", seconds);
        }
        if (seconds < 90 * 60) {
            return String.format("%.0f min", seconds / 60);
        }
        return String.format("%.1f h", seconds / 3600);
    }
}
