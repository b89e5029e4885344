package dev.balcon.sweep;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.balcon.BalconException;
import dev.balcon.data.Datasets;
import dev.balcon.train.PretrainConfig;
import dev.balcon.train.RunDirectory;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Successive halving over the cells of an experiment file (Jamieson and Talwalkar, "Non-stochastic Best Arm
 * Identification and Hyperparameter Optimization", AISTATS 2016; the inner loop of Hyperband, Li et al., JMLR 2018):
 * the cheap way to tune the balanced loss's alpha and lambda, whose best values differ between datasets (the paper's
 * stated limitation). Every cell trains {@link ExperimentFile.Search#minEpochs()} epochs on the training split less a
 * held-out validation part; the best 1/eta by mean k-NN top-1 over the seeds on the validation images continue
 * (their runs extended, see {@link Sweep#extendRuns}) to eta times the epochs, and so on up to the cells' own epochs,
 * where the best cell is chosen. The test split is not looked at until the chosen cell is confirmed on it: a fresh
 * run of it, per seed, with nothing held out, evaluated as the file says.
 *
 * <p>Layout of the output directory: {@code runs/CELL/seed-N} (the selection runs), {@code confirm/CELL/seed-N}
 * (the confirmation, with its results.csv and results.md), {@value #HISTORY} and {@value #MARKDOWN}, written after
 * every rung. Stopped and started again, a tune continues where it stopped: finished rungs are read from
 * {@value #HISTORY}, an interrupted rung resumes as a sweep does.
 *
 * <p>An extended run is not the run its final epochs would have given from the start: its learning-rate schedule was
 * planned for the rung's epochs and is planned again for the next rung's (warm restart at the join). Each rung ranks
 * its cells under the same budget and schedule, which is what the halving needs.
 */
public final class Tune {
    /** The elimination history and the choice, as JSON. */
    public static final String HISTORY = "tune.json";
    /** The same for people. */
    public static final String MARKDOWN = "tune.md";
    /** The selection runs' directory, below the output directory. */
    public static final String RUNS = "runs";
    /** The confirmation runs' directory, below the output directory. */
    public static final String CONFIRM = "confirm";

    /** Reads the experiment file again with settings changed as {@code --set} does ({@link ExperimentFile#read}). */
    @FunctionalInterface
    public interface ExperimentReader {
        ExperimentFile read(List<String> overrides);
    }

    /**
     * One cell's score in a rung.
     *
     * @param cell        cell name
     * @param top1        k-NN top-1 on the validation images per seed, in the file's seed order, 0..1; NaN where the
     *                    run diverged
     * @param mean        their mean; NaN if a seed diverged (ranked last)
     */
    public record CellScore(String cell, List<Double> top1, double mean) {}

    /**
     * One rung of the halving.
     *
     * @param epochs the epochs every cell of the rung was trained
     * @param scores the cells of the rung, best first
     * @param kept   the cells that go on (the chosen one, after the last rung)
     */
    public record Rung(int epochs, List<CellScore> scores, List<String> kept) {}

    /**
     * The confirmation of the chosen cell on the test split.
     *
     * @param knnTop1    k-NN top-1 per seed on the test split, 0..1 (NaN for a diverged run)
     * @param linearTop1 linear-probe top-1 per seed, when the file evaluates it; else empty
     */
    public record Confirmation(List<Double> knnTop1, List<Double> linearTop1) {}

    /**
     * What a tune found and what it cost.
     *
     * @param experiment      the experiment's name
     * @param experimentText  the experiment file as read (with the command line's changes), to refuse a mix on resume
     * @param search          the search settings
     * @param seeds           the seeds every cell ran with
     * @param rungs           the rungs done, in order
     * @param chosen          the chosen cell, or null before the last rung is done
     * @param chosenSettings  its settings as the file gives them (key -> value), or empty
     * @param trainedEpochs   epochs trained by the selection, over every run
     * @param gridEpochs      epochs the whole grid costs: cells x seeds x the cells' epochs (on the whole training
     *                        split; the selection trains on the split less its validation part)
     * @param confirmation    the chosen cell on the test split, or null (not asked for, or not done yet)
     * @param failedRuns      runs that failed in the last rung worked on (the tune stopped there); 0 otherwise
     */
    public record Result(String experiment, String experimentText, ExperimentFile.Search search, List<Long> seeds,
                         List<Rung> rungs, String chosen, Map<String, String> chosenSettings, long trainedEpochs,
                         long gridEpochs, Confirmation confirmation, int failedRuns) {
        /** The selection's cost as a share of the grid's, in epochs trained. */
        public double costRatio() {
            return (double) trainedEpochs / gridEpochs;
        }
    }

    private final ExperimentReader reader;
    private final Path out;
    private final PrintWriter log;
    private boolean showProgress = false;
    private boolean confirm = true;

    /**
     * A tune of the experiment {@code reader} reads, into {@code out}, reporting on {@code log}.
     */
    public Tune(ExperimentReader reader, Path out, PrintWriter log) {
        this.reader = reader;
        this.out = out;
        this.log = log;
    }

    /** Whether each pretraining shows its own progress bar. */
    public Tune showProgress(boolean show) {
        this.showProgress = show;
        return this;
    }

    /** Whether the chosen cell is trained again and evaluated on the test split at the end (the default). */
    public Tune confirm(boolean confirm) {
        this.confirm = confirm;
        return this;
    }

    /**
     * The rungs and their budgets without running anything.
     *
     * @throws BalconException if the experiment cannot be tuned (see {@link #run})
     */
    public String plan() {
        ExperimentFile experiment = reader.read(List.of());
        int epochs = checkTunable(experiment);
        ExperimentFile.Search search = experiment.search();
        List<Integer> rungs = search.rungEpochs(epochs);
        StringBuilder text = new StringBuilder(String.format(
                "tune %s: successive halving over %d cells x %d seeds, eta %d, %.0f%% of each class of the training"
                        + " split held out for validation%n", experiment.name(), experiment.cells().size(),
                experiment.seeds().size(), search.eta(), 100 * search.validationFraction()));
        int cells = experiment.cells().size();
        long trained = 0;
        int previousEpochs = 0;
        for (int i = 0; i < rungs.size(); i++) {
            int kept = i == rungs.size() - 1 ? 1 : keep(cells, search.eta());
            text.append(String.format("rung %d: %d cells x %d epochs, keep %d%n", i + 1, cells, rungs.get(i), kept));
            trained += (long) cells * experiment.seeds().size() * (rungs.get(i) - previousEpochs);
            previousEpochs = rungs.get(i);
            cells = kept;
        }
        long grid = gridEpochs(experiment, epochs);
        text.append(String.format("selection: %d epochs trained over all runs, %.0f%% of the whole grid's %d%s%n",
                trained, 100.0 * trained / grid, grid, confirm ? String.format("; then the chosen cell is confirmed on"
                        + " the test split: %d more", (long) experiment.seeds().size() * epochs) : ""));
        return text.toString();
    }

    /**
     * Runs the halving (continuing a stopped one), then the confirmation.
     *
     * @return the result; {@link Result#failedRuns()} > 0 if runs of a rung failed (run again to retry them)
     * @throws BalconException if the cells set their own epochs or validation fraction, differ in epochs, use
     *                         unlabelled images or evalData, or {@code out} holds a tune of another experiment
     */
    public Result run() {
        ExperimentFile experiment = reader.read(List.of());
        int epochs = checkTunable(experiment);
        ExperimentFile.Search search = experiment.search();
        List<Integer> rungEpochs = search.rungEpochs(epochs);
        List<Rung> rungs = new ArrayList<>(previousRungs(experiment, rungEpochs));
        List<String> survivors = rungs.isEmpty() ? experiment.cells().stream().map(ExperimentFile.Cell::name).toList()
                : rungs.get(rungs.size() - 1).kept();
        log.printf("tune %s: %d cells, rungs of %s epochs, eta %d, into %s%s%n", experiment.name(),
                experiment.cells().size(), rungEpochs, search.eta(), out,
                rungs.isEmpty() ? "" : " (" + rungs.size() + " rung(s) already done)");
        log.flush();
        for (int i = rungs.size(); i < rungEpochs.size(); i++) {
            int rungEpoch = rungEpochs.get(i);
            ExperimentFile rungExperiment = reader.read(List.of("epochs=" + rungEpoch,
                    "validation_fraction=" + search.validationFraction(), "evaluate=[knn]"));
            log.printf("rung %d/%d: %d cells x %d epochs%n", i + 1, rungEpochs.size(), survivors.size(), rungEpoch);
            log.flush();
            Sweep.Outcome outcome = new Sweep(rungExperiment, out.resolve(RUNS), log).onlyCells(Set.copyOf(survivors))
                    .extendRuns(true).writeSummary(false).showProgress(showProgress).run();
            if (outcome.failed() > 0) {
                Result result = result(experiment, rungs, null, outcome.failed());
                write(result);
                log.printf("tune %s: %d run(s) of rung %d failed (see their results.json); run tune again to retry"
                        + " them%n", experiment.name(), outcome.failed(), i + 1);
                log.flush();
                return result;
            }
            List<CellScore> scores = scores(rungExperiment, survivors);
            boolean last = i == rungEpochs.size() - 1;
            List<String> kept = scores.subList(0, last ? 1 : keep(survivors.size(), search.eta())).stream()
                    .map(CellScore::cell).toList();
            rungs.add(new Rung(rungEpoch, scores, kept));
            write(result(experiment, rungs, null, 0));
            log.printf("rung %d/%d: kept %s%n", i + 1, rungEpochs.size(), String.join(", ", kept));
            log.flush();
            survivors = kept;
        }
        Confirmation confirmation = null;
        if (confirm) {
            String chosen = survivors.get(0);
            log.printf("confirming %s on the test split%n", chosen);
            log.flush();
            ExperimentFile confirmExperiment = reader.read(List.of("validation_fraction=0"));
            Sweep.Outcome outcome = new Sweep(confirmExperiment, out.resolve(CONFIRM), log)
                    .onlyCells(Set.of(chosen)).showProgress(showProgress).run();
            if (outcome.failed() > 0) {
                Result result = result(experiment, rungs, null, outcome.failed());
                write(result);
                return result;
            }
            confirmation = confirmation(confirmExperiment, chosen);
        }
        Result result = result(experiment, rungs, confirmation, 0);
        write(result);
        log.printf("tune %s: chose %s after %d epochs trained (%.0f%% of the grid's %d); %s and %s%n",
                experiment.name(), result.chosen(), result.trainedEpochs(), 100 * result.costRatio(),
                result.gridEpochs(), out.resolve(HISTORY), out.resolve(MARKDOWN));
        log.flush();
        return result;
    }

    /** The cells of a rung kept: ceil(n / eta), at least one. */
    static int keep(int cells, int eta) {
        return Math.max(1, (cells + eta - 1) / eta);
    }

    /** Checks that the experiment can be tuned; returns the cells' common epochs. */
    private static int checkTunable(ExperimentFile experiment) {
        for (String key : List.of("epochs", "validation_fraction")) {
            if (experiment.cellKeys().contains(key)) {
                throw new BalconException("tune: the cells of " + experiment.file() + " set '" + key + "' themselves;"
                        + " the search sets it for every cell (put it in base, or leave it out)");
            }
        }
        Set<Integer> epochs = new LinkedHashSet<>();
        for (ExperimentFile.Run run : experiment.runs()) {
            PretrainConfig config = run.config();
            epochs.add(config.epochs());
            if (config.dataset().equals(Datasets.UNLABELLED_FOLDER)) {
                throw new BalconException("tune: the cells select by k-NN on labelled validation images, and dataset "
                        + Datasets.UNLABELLED_FOLDER + " has no labels");
            }
            if (config.evalData() != null) {
                throw new BalconException("tune: the validation images are held out of the training split, so"
                        + " eval_data cannot be used");
            }
        }
        if (epochs.size() != 1) {
            throw new BalconException("tune: the cells must share their epochs, got " + epochs);
        }
        return epochs.iterator().next();
    }

    private static long gridEpochs(ExperimentFile experiment, int epochs) {
        return (long) experiment.runs().size() * epochs;
    }

    /** The rungs a stopped tune finished, checked against this experiment. */
    private List<Rung> previousRungs(ExperimentFile experiment, List<Integer> rungEpochs) {
        Path history = out.resolve(HISTORY);
        if (!Files.isRegularFile(history)) {
            return List.of();
        }
        Result previous;
        try {
            previous = RunDirectory.JSON.readValue(history.toFile(), Result.class);
        } catch (java.io.IOException e) {
            throw new BalconException(history + ": cannot read the tune's history (" + firstLine(e.getMessage())
                    + "); move it away to start again");
        }
        if (!previous.experimentText().equals(experiment.text()) || !previous.search().equals(experiment.search())) {
            throw new BalconException(out + " holds a tune of another experiment file or search; tune into another"
                    + " --out, or move it away");
        }
        for (int i = 0; i < previous.rungs().size(); i++) {
            if (i >= rungEpochs.size() || previous.rungs().get(i).epochs() != rungEpochs.get(i)) {
                throw new BalconException(history + ": its rungs do not match the search; move it away to start again");
            }
        }
        return previous.rungs();
    }

    /** The rung's cells, best first: mean validation k-NN top-1 over the seeds; a diverged seed ranks a cell last. */
    private List<CellScore> scores(ExperimentFile rungExperiment, List<String> cells) {
        List<CellScore> scores = new ArrayList<>();
        for (String cell : cells) {
            List<Double> top1 = rungExperiment.runs().stream().filter(run -> run.cell().name().equals(cell))
                    .map(run -> knnTop1(new RunDirectory(run.directory(out.resolve(RUNS))))).toList();
            double mean = top1.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
            scores.add(new CellScore(cell, top1, mean));
        }
        // stable: among equal means, the file's order decides
        scores.sort(Comparator.comparingDouble((CellScore score) -> Double.isNaN(score.mean())
                ? Double.NEGATIVE_INFINITY : score.mean()).reversed());
        return List.copyOf(scores);
    }

    /** The run's k-NN top-1, or NaN if it diverged. */
    private static double knnTop1(RunDirectory run) {
        JsonNode results = run.readResults();
        RunRecord record = RunRecord.of(run);
        if (record != null && record.status().equals(RunRecord.DIVERGED)) {
            return Double.NaN;
        }
        JsonNode top1 = results.path(ExperimentFile.KNN).path("top1");
        if (!top1.isNumber()) {
            throw new IllegalStateException(run.results() + " has no k-NN top-1 after a finished rung");
        }
        return top1.asDouble();
    }

    private Confirmation confirmation(ExperimentFile confirmExperiment, String chosen) {
        List<Double> knn = new ArrayList<>();
        List<Double> linear = new ArrayList<>();
        for (ExperimentFile.Run run : confirmExperiment.runs()) {
            if (!run.cell().name().equals(chosen)) {
                continue;
            }
            JsonNode results = new RunDirectory(run.directory(out.resolve(CONFIRM))).readResults();
            knn.add(number(results.path(ExperimentFile.KNN).path("top1")));
            if (confirmExperiment.evaluates(ExperimentFile.LINEAR)) {
                linear.add(number(results.path(ExperimentFile.LINEAR).path("top1")));
            }
        }
        return new Confirmation(knn, linear);
    }

    private static double number(JsonNode node) {
        return node.isNumber() ? node.asDouble() : Double.NaN;
    }

    private Result result(ExperimentFile experiment, List<Rung> rungs, Confirmation confirmation, int failed) {
        int epochs = experiment.runs().get(0).config().epochs();
        long trained = 0;
        int previousEpochs = 0;
        for (Rung rung : rungs) {
            trained += (long) rung.scores().size() * experiment.seeds().size() * (rung.epochs() - previousEpochs);
            previousEpochs = rung.epochs();
        }
        boolean done = rungs.size() == experiment.search().rungEpochs(epochs).size();
        String chosen = done ? rungs.get(rungs.size() - 1).kept().get(0) : null;
        Map<String, String> settings = chosen == null ? Map.of() : experiment.cells().stream()
                .filter(cell -> cell.name().equals(chosen)).findFirst().orElseThrow().own();
        return new Result(experiment.name(), experiment.text(), experiment.search(), experiment.seeds(), List.copyOf(rungs),
                chosen, settings, trained, gridEpochs(experiment, epochs), confirmation, failed);
    }

    private void write(Result result) {
        try {
            Files.createDirectories(out);
            RunDirectory.writeAtomically(out.resolve(HISTORY), RunDirectory.JSON.writeValueAsBytes(result));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the tune's history as JSON", e);
        } catch (java.io.IOException e) {
            throw new BalconException("cannot create " + out + ": " + e.getMessage(), e);
        }
        RunDirectory.writeAtomically(out.resolve(MARKDOWN), markdown(result).getBytes(StandardCharsets.UTF_8));
    }

    /** The history as a Markdown page: one table per rung, the choice, the cost and the confirmation. */
    static String markdown(Result result) {
        StringBuilder text = new StringBuilder();
        ExperimentFile.Search search = result.search();
        text.append("# Tune: ").append(result.experiment()).append("\n\n");
        text.append(String.format("Successive halving, eta %d, first rung %d epoch(s); selection by k-NN top-1 on %.0f%%"
                        + " of each class of the training split held out (the test split unseen); seeds %s.%n%n",
                search.eta(), search.minEpochs(), 100 * search.validationFraction(), result.seeds()));
        for (int i = 0; i < result.rungs().size(); i++) {
            Rung rung = result.rungs().get(i);
            text.append(String.format("## Rung %d: %d cells, %d epochs%n%n", i + 1, rung.scores().size(), rung.epochs()));
            text.append("| rank | cell | validation k-NN top-1 per seed (%) | mean (%) | goes on |\n");
            text.append("|---:|---|---|---:|---|\n");
            for (int rank = 0; rank < rung.scores().size(); rank++) {
                CellScore score = rung.scores().get(rank);
                text.append(String.format("| %d | %s | %s | %s | %s |%n", rank + 1, score.cell(),
                        score.top1().stream().map(Tune::percent).collect(Collectors.joining(", ")),
                        percent(score.mean()), rung.kept().contains(score.cell()) ? "yes" : ""));
            }
            text.append('\n');
        }
        text.append(String.format("Cost: %d epochs trained over all runs, %.0f%% of the whole grid's %d (cells x seeds x"
                + " epochs).%n%n", result.trainedEpochs(), 100 * result.costRatio(), result.gridEpochs()));
        if (result.chosen() != null) {
            text.append("Chosen: **").append(result.chosen()).append("** ").append(result.chosenSettings()).append("\n\n");
        }
        Confirmation confirmation = result.confirmation();
        if (confirmation != null) {
            text.append(String.format("On the test split (a fresh run per seed, nothing held out): k-NN top-1 %s%%"
                    + " (mean %s%%)", confirmation.knnTop1().stream().map(Tune::percent)
                    .collect(Collectors.joining(", ")), percent(mean(confirmation.knnTop1()))));
            if (!confirmation.linearTop1().isEmpty()) {
                text.append(String.format("; linear top-1 %s%% (mean %s%%)", confirmation.linearTop1().stream()
                        .map(Tune::percent).collect(Collectors.joining(", ")), percent(mean(confirmation.linearTop1()))));
            }
            text.append(".\n");
        }
        return text.toString();
    }

    private static double mean(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }

    private static String percent(double fraction) {
        return Double.isNaN(fraction) ? "diverged" : String.format("%.2f", 100 * fraction);
    }

    private static String firstLine(String text) {
        return text == null ? "" : text.lines().findFirst().orElse("");
    }
}
