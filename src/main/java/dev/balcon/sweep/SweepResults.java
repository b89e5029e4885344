package dev.balcon.sweep;

import com.fasterxml.jackson.databind.JsonNode;
import dev.balcon.analysis.Plots;
import dev.balcon.analysis.ExperimentPlots;
import dev.balcon.run.BiasMeasurement;
import dev.balcon.run.BoundMonitor;
import dev.balcon.train.MetricsLog;
import dev.balcon.train.RunDirectory;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The results of a sweep, read from its run directories: one row per run (results.csv), one row per cell with the
 * mean and spread over seeds and the protocol stated (results.md), and the plots: a heatmap of the mean accuracy for
 * an alpha x lambda grid, bias against accuracy when the bias was measured, and each cell's bound gaps over training
 * when the bound monitor ran.
 */
public final class SweepResults {
    public static final String CSV = "results.csv";
    public static final String MARKDOWN = "results.md";
    public static final String BIAS_PLOT = "bias-vs-accuracy.png";

    private SweepResults() {}

    /**
     * One run as far as it got. Accuracies are fractions in [0, 1]; a value is null when it was not measured.
     *
     * @param biasBackbone            prototype bias of the raw backbone features (the paper's scale)
     * @param biasBackboneNormalized  of the L2-normalised backbone features
     * @param biasProjectorNormalized of the L2-normalised projector outputs
     * @param trainImagesPerSecond    training throughput over the run's epochs (images / seconds of the epochs)
     * @param gaps                    the bound gaps of each epoch, if the monitor ran
     */
    public record RunRow(ExperimentFile.Run run, String status, Double knnTop1, Double linearTop1, Double linearTop5,
                         Double biasBackbone, Double biasBackboneNormalized, Double biasProjectorNormalized,
                         Double finalLoss, Double trainImagesPerSecond, Double seconds, String error,
                         List<Plots.EpochGaps> gaps) {
        public boolean finished() {
            return RunRecord.FINISHED.equals(status);
        }
    }

    /**
     * Mean and sample standard deviation (n - 1) of n values; NaN where undefined. A NaN or infinite value (a
     * diverged measurement stored by an older balcon) counts as not measured, as a missing one does.
     */
    public record Stats(int n, double mean, double std) {
        static Stats of(List<Double> values) {
            List<Double> present = values.stream().filter(value -> value != null && Double.isFinite(value)).toList();
            int n = present.size();
            double mean = present.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
            double squares = present.stream().mapToDouble(value -> (value - mean) * (value - mean)).sum();
            return new Stats(n, mean, n > 1 ? Math.sqrt(squares / (n - 1)) : Double.NaN);
        }

        /** "mean ± std" with {@code decimals} decimals, scaled by {@code scale}; "mean" for n = 1, "–" for none. */
        public String format(double scale, int decimals) {
            if (n == 0) {
                return "–";
            }
            String pattern = "%." + decimals + "f";
            String text = String.format(Locale.ROOT, pattern, scale * mean);
            return n == 1 ? text : text + " ± " + String.format(Locale.ROOT, pattern, scale * std);
        }
    }

    /** A cell over its finished runs. */
    public record CellSummary(ExperimentFile.Cell cell, int runs, int finished, int diverged, int failed, Stats knnTop1,
                              Stats linearTop1, Stats linearTop5, Stats biasBackbone, Stats biasBackboneNormalized,
                              Stats biasProjectorNormalized, Stats finalLoss) {}

    /** Reads every run of the experiment from the sweep directory {@code out}. */
    public static List<RunRow> collect(ExperimentFile experiment, Path out) {
        List<RunRow> rows = new ArrayList<>();
        for (ExperimentFile.Run run : experiment.runs()) {
            rows.add(read(experiment, run, new RunDirectory(run.directory(out))));
        }
        return rows;
    }

    private static RunRow read(ExperimentFile experiment, ExperimentFile.Run run, RunDirectory directory) {
        RunRecord record = RunRecord.of(directory);
        if (record == null) {
            return new RunRow(run, RunRecord.PENDING, null, null, null, null, null, null, null, null, null, null, List.of());
        }
        JsonNode results = directory.readResults();
        Double finalLoss = number(results.path(RunRecord.PRETRAIN).path("finalLoss"));
        String recipe = experiment.protocol().biasRecipe() != null ? experiment.protocol().biasRecipe()
                : run.config().augmentation().recipe();
        BiasMeasurement.Report bias = BiasMeasurement.stored(directory, recipe);
        return new RunRow(run, record.status(), number(results.path(ExperimentFile.KNN).path("top1")),
                number(results.path(ExperimentFile.LINEAR).path("top1")),
                number(results.path(ExperimentFile.LINEAR).path("top5")),
                bias == null ? null : bias.backbone().bias(),
                bias == null ? null : bias.backboneNormalized().bias(),
                bias == null ? null : bias.projectorNormalized().bias(),
                finalLoss, trainImagesPerSecond(directory.metrics()), record.seconds(), record.error(),
                BoundMonitor.gapsFromMetrics(directory.metrics()));
    }

    /**
     * Training images per second over a run's epochs: the images of every epoch over the seconds they took, from the
     * epoch rows of metrics.jsonl (the last row of an epoch counts, as after a resume); null before the first epoch.
     */
    static Double trainImagesPerSecond(Path metrics) {
        Map<Integer, double[]> secondsAndRate = new TreeMap<>();
        for (JsonNode row : MetricsLog.rows(metrics)) {
            if ("epoch".equals(row.path("type").asText()) && row.path("seconds").isNumber()
                    && row.path("images_per_s").isNumber()) {
                secondsAndRate.put(row.path("epoch").asInt(),
                        new double[] {row.get("seconds").asDouble(), row.get("images_per_s").asDouble()});
            }
        }
        double seconds = secondsAndRate.values().stream().mapToDouble(pair -> pair[0]).sum();
        double images = secondsAndRate.values().stream().mapToDouble(pair -> pair[0] * pair[1]).sum();
        return seconds > 0 ? images / seconds : null;
    }

    private static Double number(JsonNode node) {
        return node.isNumber() && Double.isFinite(node.asDouble()) ? node.asDouble() : null;
    }

    /** One summary per cell, in the experiment's order; the statistics are over the cell's finished runs. */
    public static List<CellSummary> summarize(ExperimentFile experiment, List<RunRow> rows) {
        List<CellSummary> summaries = new ArrayList<>();
        for (ExperimentFile.Cell cell : experiment.cells()) {
            List<RunRow> ofCell = rows.stream().filter(row -> row.run().cell() == cell).toList();
            List<RunRow> finished = ofCell.stream().filter(RunRow::finished).toList();
            summaries.add(new CellSummary(cell, ofCell.size(), finished.size(),
                    (int) ofCell.stream().filter(row -> RunRecord.DIVERGED.equals(row.status())).count(),
                    (int) ofCell.stream().filter(row -> RunRecord.FAILED.equals(row.status())).count(),
                    stats(finished, RunRow::knnTop1), stats(finished, RunRow::linearTop1),
                    stats(finished, RunRow::linearTop5), stats(finished, RunRow::biasBackbone),
                    stats(finished, RunRow::biasBackboneNormalized), stats(finished, RunRow::biasProjectorNormalized),
                    stats(finished, RunRow::finalLoss)));
        }
        return summaries;
    }

    private static Stats stats(List<RunRow> rows, Function<RunRow, Double> value) {
        return Stats.of(rows.stream().map(value).toList());
    }

    /** Collects the runs and writes results.csv, results.md and the plots into {@code out}. */
    public static void write(ExperimentFile experiment, Path out) {
        List<RunRow> rows = collect(experiment, out);
        List<CellSummary> cells = summarize(experiment, rows);
        RunDirectory.writeAtomically(out.resolve(CSV), csv(experiment, rows).getBytes(StandardCharsets.UTF_8));
        RunDirectory.writeAtomically(out.resolve(MARKDOWN),
                markdown(experiment, rows, cells).getBytes(StandardCharsets.UTF_8));
        drawPlots(experiment, rows, cells, out);
    }

    /** The CSV columns after the cell keys and the seed. */
    public static final List<String> CSV_RESULT_COLUMNS = List.of("status", "knn_top1", "linear_top1", "linear_top5",
            "bias_backbone", "bias_backbone_l2", "bias_projector_l2", "final_loss", "train_images_per_s", "wall_seconds",
            "error");

    /**
     * One line per run: cell, the cell keys (empty where the run keeps its default), seed, status, accuracies in %,
     * the three biases, final loss, training images per second, wall seconds, error.
     */
    public static String csv(ExperimentFile experiment, List<RunRow> rows) {
        StringBuilder text = new StringBuilder();
        List<String> header = new ArrayList<>();
        header.add("cell");
        header.addAll(experiment.cellKeys());
        header.add("seed");
        header.addAll(CSV_RESULT_COLUMNS);
        text.append(String.join(",", header)).append('\n');
        for (RunRow row : rows) {
            List<String> fields = new ArrayList<>();
            fields.add(row.run().cell().name());
            for (String key : experiment.cellKeys()) {
                JsonNode value = row.run().cell().settings().get(key);
                fields.add(value == null ? "" : ExperimentFile.valueText(value));
            }
            fields.add(String.valueOf(row.run().seed()));
            fields.add(row.status());
            fields.add(format(row.knnTop1(), 100, 2));
            fields.add(format(row.linearTop1(), 100, 2));
            fields.add(format(row.linearTop5(), 100, 2));
            fields.add(format(row.biasBackbone(), 1, 4));
            fields.add(format(row.biasBackboneNormalized(), 1, 4));
            fields.add(format(row.biasProjectorNormalized(), 1, 4));
            fields.add(format(row.finalLoss(), 1, 4));
            fields.add(format(row.trainImagesPerSecond(), 1, 1));
            fields.add(format(row.seconds(), 1, 1));
            fields.add(row.error() == null ? "" : row.error());
            text.append(String.join(",", fields.stream().map(SweepResults::csvField).toList())).append('\n');
        }
        return text.toString();
    }

    private static String format(Double value, double scale, int decimals) {
        return value == null ? "" : String.format(Locale.ROOT, "%." + decimals + "f", scale * value);
    }

    private static String csvField(String field) {
        if (field.contains(",") || field.contains("\"") || field.contains("\n")) {
            return "\"" + field.replace("\"", "\"\"") + "\"";
        }
        return field;
    }

    /** The columns of the per-cell table that the experiment measured: header, then the value of a summary. */
    public record Column(String header, Function<CellSummary, String> value) {}

    /** The per-cell table's columns, for this experiment's evaluations. */
    public static List<Column> cellColumns(ExperimentFile experiment) {
        List<Column> columns = new ArrayList<>();
        columns.add(new Column("cell", summary -> summary.cell().name()));
        columns.add(new Column("settings", summary -> settingsText(summary.cell())));
        columns.add(new Column("n", summary -> summary.finished() + "/" + summary.runs()));
        if (experiment.evaluates(ExperimentFile.KNN)) {
            columns.add(new Column("k-NN top-1 (%)", summary -> summary.knnTop1().format(100, 2)));
        }
        if (experiment.evaluates(ExperimentFile.LINEAR)) {
            columns.add(new Column("linear top-1 (%)", summary -> summary.linearTop1().format(100, 2)));
            columns.add(new Column("linear top-5 (%)", summary -> summary.linearTop5().format(100, 2)));
        }
        if (experiment.evaluates(ExperimentFile.BIAS)) {
            columns.add(new Column("bias, backbone", summary -> summary.biasBackbone().format(1, 4)));
            columns.add(new Column("bias, backbone L2", summary -> summary.biasBackboneNormalized().format(1, 4)));
            columns.add(new Column("bias, projector L2", summary -> summary.biasProjectorNormalized().format(1, 4)));
        }
        columns.add(new Column("final loss", summary -> summary.finalLoss().format(1, 4)));
        columns.add(new Column("diverged / failed", summary -> summary.diverged() + " / " + summary.failed()));
        return columns;
    }

    /** The cell's own settings, "key=value" separated by spaces, or "(base)". */
    public static String settingsText(ExperimentFile.Cell cell) {
        List<String> parts = new ArrayList<>();
        cell.own().forEach((key, value) -> parts.add(key + "=" + value));
        return parts.isEmpty() ? "(base)" : String.join(" ", parts);
    }

    /** The results as Markdown: the experiment, the protocol, the per-cell table. */
    public static String markdown(ExperimentFile experiment, List<RunRow> rows, List<CellSummary> cells) {
        StringBuilder text = new StringBuilder();
        text.append("# Experiment ").append(experiment.name()).append("\n\n");
        if (!experiment.description().isEmpty()) {
            text.append(experiment.description().replaceAll("\\s+", " ")).append("\n\n");
        }
        if (!experiment.budget().isEmpty()) {
            text.append("Budget: ").append(experiment.budget().replaceAll("\\s+", " ")).append("\n\n");
        }
        long done = rows.stream().filter(row -> !RunRecord.PENDING.equals(row.status())).count();
        text.append(String.format("%d of %d runs started; %d finished.%n%n", done, rows.size(),
                rows.stream().filter(RunRow::finished).count()));
        text.append("## Protocol\n\n");
        for (String line : protocol(experiment)) {
            text.append("- ").append(line).append('\n');
        }
        text.append("\n## Results per cell\n\n");
        List<Column> columns = cellColumns(experiment);
        text.append("| ").append(String.join(" | ", columns.stream().map(Column::header).toList())).append(" |\n");
        text.append("|").append("---|".repeat(columns.size())).append('\n');
        for (CellSummary cell : cells) {
            text.append("| ").append(String.join(" | ", columns.stream()
                    .map(column -> column.value().apply(cell).replace("|", "\\|")).toList())).append(" |\n");
        }
        return text.toString();
    }

    /** The protocol, one statement a line: runs and statistics, the shared training settings, each evaluation. */
    public static List<String> protocol(ExperimentFile experiment) {
        ExperimentFile.Protocol protocol = experiment.protocol();
        List<String> lines = new ArrayList<>();
        lines.add(String.format("%d cells x %d seeds (%s); each cell: mean ± sample standard deviation over its "
                        + "finished runs (n = finished/runs); accuracies in %%", experiment.cells().size(),
                experiment.seeds().size(), experiment.seeds().toString().replaceAll("[\\[\\]]", "")));
        Map<String, String> shared = new LinkedHashMap<>();
        List<String> varying = new ArrayList<>();
        sharedSettings(experiment, shared, varying);
        List<String> sharedText = new ArrayList<>();
        shared.forEach((field, value) -> sharedText.add(field + "=" + value));
        lines.add("pretraining, the same in every run: " + String.join(", ", sharedText));
        if (!varying.isEmpty()) {
            lines.add("pretraining, set per cell: " + String.join(", ", varying) + " (see the settings column)");
        }
        String trainSplit = protocol.trainImages() > 0 ? protocol.trainImages() + " training images (a stratified draw, data seed of each run)"
                : "the whole training split";
        // with a validation fraction the held-out part of the training split replaces the test split (tune's selection)
        String validation = shared.getOrDefault("validationFraction", "none");
        String testSplit = validation.matches("0?\\.\\d*[1-9]\\d*") ? "the validation part of the training split ("
                + "validationFraction=" + validation + "; the test split is not used)" : "the test split";
        if (experiment.evaluates(ExperimentFile.KNN)) {
            lines.add("k-NN: weighted vote, cosine similarity, k=" + protocol.knnK() + ", T=" + protocol.knnTemperature()
                    + ", on the frozen backbone features; memory bank: " + trainSplit + "; queries: " + testSplit);
        }
        if (experiment.evaluates(ExperimentFile.LINEAR)) {
            lines.add("linear probe: " + protocol.linear().protocolDescription() + "; trained on " + trainSplit
                    + ", tested on " + testSplit);
        }
        if (experiment.evaluates(ExperimentFile.BIAS)) {
            lines.add("prototype bias: K=" + protocol.biasViews() + " augmented views of "
                    + (protocol.biasPerClass() > 0 ? protocol.biasPerClass() + " test images per class"
                    : "every test image") + " (seed " + ExperimentFile.Protocol.BIAS_SEED + "), drawn by "
                    + (protocol.biasRecipe() == null ? "each run's own training recipe" : "recipe "
                    + protocol.biasRecipe()) + "; backbone = raw backbone features (the paper's scale), L2 = "
                    + "L2-normalised (0 to 2)");
        }
        return lines;
    }

    /** Splits the fields of the runs' configurations (seed aside) into those equal in every run and the others. */
    private static void sharedSettings(ExperimentFile experiment, Map<String, String> shared, List<String> varying) {
        Map<String, List<String>> values = new TreeMap<>();
        List<String> order = new ArrayList<>();
        for (ExperimentFile.Run run : experiment.runs()) {
            ConfigSettings.shown(run.config()).forEach((name, value) -> {
                if (!values.containsKey(name)) {
                    order.add(name);
                }
                values.computeIfAbsent(name, key -> new ArrayList<>()).add(value);
            });
        }
        for (String name : order) {
            if (name.equals(ExperimentFile.SEED_KEY)) {
                continue;
            }
            List<String> all = values.get(name);
            // a setting some runs do not show (a class profile's rho) is not shared
            if (all.size() == experiment.runs().size() && all.stream().distinct().count() == 1) {
                shared.put(name, all.get(0));
            } else {
                varying.add(name);
            }
        }
    }

    /**
     * Draws the plots into {@code dir}: heatmap-knn.png / heatmap-linear.png for a grid of exactly alpha and lambda,
     * bias-vs-accuracy.png when the bias was measured, gaps-CELL.png per cell whose runs logged bound gaps.
     *
     * @return the files drawn
     */
    public static List<Path> drawPlots(ExperimentFile experiment, List<RunRow> rows, List<CellSummary> cells,
                                       Path dir) {
        List<Path> drawn = new ArrayList<>();
        if (experiment.gridKeys().equals(List.of("alpha", "lambda")) || experiment.gridKeys().equals(
                List.of("lambda", "alpha"))) {
            for (String metric : List.of(ExperimentFile.KNN, ExperimentFile.LINEAR)) {
                if (experiment.evaluates(metric)) {
                    Path png = heatmap(cells, metric, dir);
                    if (png != null) {
                        drawn.add(png);
                    }
                }
            }
        }
        if (experiment.evaluates(ExperimentFile.BIAS)) {
            boolean linear = experiment.evaluates(ExperimentFile.LINEAR);
            List<Plots.RunPoint> points = new ArrayList<>();
            for (CellSummary cell : cells) {
                Stats accuracy = linear ? cell.linearTop1() : cell.knnTop1();
                if (cell.biasBackbone().n() > 0 && accuracy.n() > 0) {
                    points.add(new Plots.RunPoint(cell.cell().name(), cell.biasBackbone().mean(),
                            100 * accuracy.mean()));
                }
            }
            List<Plots.RunPoint> single = new ArrayList<>();
            for (RunRow row : rows) {
                Double accuracy = linear ? row.linearTop1() : row.knnTop1();
                if (row.finished() && row.biasBackbone() != null && accuracy != null) {
                    single.add(new Plots.RunPoint(row.run().cell().name(), row.biasBackbone(), 100 * accuracy));
                }
            }
            if (!points.isEmpty()) {
                Path png = dir.resolve(BIAS_PLOT);
                Plots.biasVsAccuracy(points, single, png);
                drawn.add(png);
            }
        }
        for (ExperimentFile.Cell cell : experiment.cells()) {
            List<Plots.EpochGaps> gaps = meanGaps(rows.stream()
                    .filter(row -> row.run().cell() == cell && row.finished()).toList());
            if (!gaps.isEmpty()) {
                Path png = dir.resolve("gaps-" + cell.name() + ".png");
                Plots.gapsVsEpoch(gaps, png);
                drawn.add(png);
            }
        }
        return drawn;
    }

    /**
     * A metric's mean (%) over the alpha x lambda grid: {@code values[lambda][alpha]}, NaN where a cell has no value.
     */
    public record AlphaLambdaGrid(List<String> alphas, List<String> lambdas, double[][] values) {}

    /**
     * The grid of a metric's means, or null if no cell has a value yet. Only the grid's own cells count: a named cell
     * that also sets other keys (another loss, no 1/alpha) at the same alpha and lambda is a different experiment.
     */
    public static AlphaLambdaGrid alphaLambdaGrid(List<CellSummary> allCells, String metric) {
        List<CellSummary> cells = allCells.stream()
                .filter(cell -> cell.cell().own().keySet().equals(Set.of("alpha", "lambda"))).toList();
        List<String> alphas = new ArrayList<>();
        List<String> lambdas = new ArrayList<>();
        for (CellSummary cell : cells) {
            String alpha = cell.cell().own().get("alpha");
            String lambda = cell.cell().own().get("lambda");
            if (!alphas.contains(alpha)) {
                alphas.add(alpha);
            }
            if (!lambdas.contains(lambda)) {
                lambdas.add(lambda);
            }
        }
        double[][] values = new double[lambdas.size()][alphas.size()];
        for (double[] row : values) {
            java.util.Arrays.fill(row, Double.NaN);
        }
        boolean any = false;
        for (CellSummary cell : cells) {
            Stats stats = metric.equals(ExperimentFile.KNN) ? cell.knnTop1() : cell.linearTop1();
            if (stats.n() > 0) {
                values[lambdas.indexOf(cell.cell().own().get("lambda"))][alphas.indexOf(cell.cell().own().get("alpha"))]
                        = 100 * stats.mean();
                any = true;
            }
        }
        return any ? new AlphaLambdaGrid(alphas, lambdas, values) : null;
    }

    /** The heatmap of a metric's mean over the alpha x lambda grid, or null if no cell has a value yet. */
    private static Path heatmap(List<CellSummary> cells, String metric, Path dir) {
        AlphaLambdaGrid grid = alphaLambdaGrid(cells, metric);
        if (grid == null) {
            return null;
        }
        Path png = dir.resolve("heatmap-" + metric + ".png");
        String name = metric.equals(ExperimentFile.KNN) ? "k-NN" : "linear";
        ExperimentPlots.heatmap("mean " + name + " top-1 (%) over seeds", "alpha", grid.alphas(),
                "lambda", grid.lambdas(), grid.values(), png);
        return png;
    }

    /** The gaps of each epoch averaged over the runs that logged it; only epochs every run logged. */
    private static List<Plots.EpochGaps> meanGaps(List<RunRow> rows) {
        List<RunRow> withGaps = rows.stream().filter(row -> !row.gaps().isEmpty()).toList();
        if (withGaps.isEmpty()) {
            return List.of();
        }
        Map<Integer, double[]> sums = new TreeMap<>();
        for (RunRow row : withGaps) {
            for (Plots.EpochGaps gaps : row.gaps()) {
                double[] sum = sums.computeIfAbsent(gaps.epoch(), epoch -> new double[3]);
                sum[0] += gaps.attractGap();
                sum[1] += gaps.repelGap();
                sum[2]++;
            }
        }
        List<Plots.EpochGaps> mean = new ArrayList<>();
        sums.forEach((epoch, sum) -> {
            if (sum[2] == withGaps.size()) {
                mean.add(new Plots.EpochGaps(epoch, sum[0] / sum[2], sum[1] / sum[2]));
            }
        });
        return mean;
    }

    /** The copy of the experiment file in a sweep directory (written by {@link Sweep}). */
    public static final String EXPERIMENT_COPY = "experiment.yaml";

    /** Whether the sweep directory holds a sweep (its copy of the experiment file). */
    public static boolean isSweep(Path dir) {
        return Files.isRegularFile(dir.resolve(EXPERIMENT_COPY));
    }
}
