package dev.balcon.report;

import com.fasterxml.jackson.databind.JsonNode;
import dev.balcon.BalconException;
import dev.balcon.analysis.ExperimentPlots;
import dev.balcon.analysis.Plots;
import dev.balcon.run.BiasMeasurement;
import dev.balcon.run.BoundMonitor;
import dev.balcon.sweep.ConfigSettings;
import dev.balcon.sweep.ExperimentFile;
import dev.balcon.sweep.RunConfigFactory;
import dev.balcon.sweep.RunRecord;
import dev.balcon.sweep.SweepResults;
import dev.balcon.train.MetricsLog;
import dev.balcon.train.PretrainConfig;
import dev.balcon.train.RunDirectory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * One self-contained HTML page for a sweep directory or a single run directory: tables, and the plots embedded as
 * data: URIs, with inline CSS; no script, no network. For a sweep: the experiment, its protocol, the per-cell and
 * per-run tables and the sweep's plots. For a run: how pretraining ended, the k-NN, linear, bias and bounds results,
 * the loss curve, the bound gaps and the configuration.
 */
public final class HtmlReport {
    /** Default file name of the report, in the directory it describes. */
    public static final String FILE = "report.html";
    /**
     * A run directory's embedding map, shown in its report when present: drawn by
     * {@code balcon map --embeddings E --out RUN/embedding-map.png} (a report does not compute embeddings itself).
     */
    public static final String EMBEDDING_MAP = "embedding-map.png";

    private static final String STYLE = """
            body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:2em auto;max-width:1200px;
            padding:0 1em;color:#222;line-height:1.45}
            h1{font-size:1.6em;border-bottom:2px solid #446;padding-bottom:.2em}h2{font-size:1.25em;margin-top:1.6em;color:#334}
            .scroll{overflow-x:auto}table{border-collapse:collapse;margin:.6em 0;font-size:.9em}
            th,td{border:1px solid #bbc;padding:.25em .6em;text-align:left;vertical-align:top}
            th{background:#eef0f6}tr:nth-child(even) td{background:#f8f9fc}
            td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
            .status-finished{color:#161}.status-failed,.status-diverged{color:#a11;font-weight:bold}
            img{max-width:100%;border:1px solid #ccd;margin:.4em 0}figure{margin:1em 0}figcaption{font-size:.85em;color:#555}
            pre{background:#f4f5f8;padding:.8em;overflow-x:auto;font-size:.85em}.muted{color:#666}
            """;

    private HtmlReport() {}

    /**
     * Writes the report of {@code dir} (a sweep directory, or a run directory) to {@code html}.
     *
     * @param configs builds the configurations of a sweep's experiment file (see {@link ExperimentFile#read})
     * @throws BalconException if {@code dir} is neither a sweep nor a run directory
     */
    public static Path write(Path dir, Path html, RunConfigFactory configs) {
        String page;
        if (SweepResults.isSweep(dir)) {
            page = sweepPage(dir, configs);
        } else if (Files.isRegularFile(new RunDirectory(dir).config())) {
            page = runPage(dir);
        } else {
            throw new BalconException(dir + " is neither a sweep directory (with " + SweepResults.EXPERIMENT_COPY
                    + ", written by 'balcon sweep') nor a run directory (with config.json, written by 'balcon pretrain')");
        }
        RunDirectory.writeAtomically(html, page.getBytes(StandardCharsets.UTF_8));
        return html;
    }

    /** The page of a sweep directory. */
    static String sweepPage(Path dir, RunConfigFactory configs) {
        Path copy = dir.resolve(SweepResults.EXPERIMENT_COPY);
        String text;
        try {
            text = Files.readString(copy, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new BalconException("cannot read " + copy + ": " + e.getMessage(), e);
        }
        ExperimentFile experiment = ExperimentFile.parse(copy, text, configs);
        String name = dir.toAbsolutePath().normalize().getFileName().toString();
        List<SweepResults.RunRow> rows = SweepResults.collect(experiment, dir);
        List<SweepResults.CellSummary> cells = SweepResults.summarize(experiment, rows);
        Page page = new Page("Sweep " + name);
        if (!experiment.description().isEmpty()) {
            page.paragraph(experiment.description());
        }
        if (!experiment.budget().isEmpty()) {
            page.paragraph("Budget: " + experiment.budget());
        }
        long started = rows.stream().filter(row -> !RunRecord.PENDING.equals(row.status())).count();
        page.paragraph(String.format("%d of %d runs started, %d finished (%s).", started, rows.size(),
                rows.stream().filter(SweepResults.RunRow::finished).count(), dir.toAbsolutePath().normalize()));
        page.heading("Protocol");
        page.list(SweepResults.protocol(experiment));

        page.heading("Results per cell");
        List<SweepResults.Column> columns = SweepResults.cellColumns(experiment);
        List<List<String>> cellRows = new ArrayList<>();
        for (SweepResults.CellSummary cell : cells) {
            cellRows.add(columns.stream().map(column -> column.value().apply(cell)).toList());
        }
        page.table(columns.stream().map(SweepResults.Column::header).toList(), cellRows);

        Path plots = temporaryDirectory();
        try {
            List<Path> drawn = SweepResults.drawPlots(experiment, rows, cells, plots);
            if (!drawn.isEmpty()) {
                page.heading("Plots");
                for (Path png : drawn) {
                    page.image(png, caption(png.getFileName().toString()));
                }
            }
        } finally {
            deleteTree(plots);
        }

        page.heading("Runs");
        List<String> header = new ArrayList<>(List.of("cell", "seed", "status", "k-NN top-1 (%)", "linear top-1 (%)",
                "linear top-5 (%)", "bias, backbone", "bias, backbone L2", "bias, projector L2", "final loss",
                "wall seconds", "error"));
        List<List<String>> runRows = new ArrayList<>();
        for (SweepResults.RunRow row : rows) {
            runRows.add(List.of(row.run().cell().name(), String.valueOf(row.run().seed()), row.status(),
                    number(row.knnTop1(), 100, 2), number(row.linearTop1(), 100, 2), number(row.linearTop5(), 100, 2),
                    number(row.biasBackbone(), 1, 4), number(row.biasBackboneNormalized(), 1, 4),
                    number(row.biasProjectorNormalized(), 1, 4), number(row.finalLoss(), 1, 4),
                    number(row.seconds(), 1, 1), row.error() == null ? "" : row.error()));
        }
        page.table(header, runRows);
        page.heading("Experiment file");
        page.preformatted(text);
        return page.html();
    }

    private static String caption(String fileName) {
        if (fileName.startsWith("heatmap-")) {
            return "Mean top-1 over seeds on the alpha x lambda grid (" + fileName + ")";
        }
        if (fileName.equals(SweepResults.BIAS_PLOT)) {
            return "Prototype bias (backbone, the paper's scale) against accuracy, one point per cell (" + fileName + ")";
        }
        return "Bound gaps over training, mean over the cell's runs (" + fileName + ")";
    }

    /** The page of a single run directory. */
    static String runPage(Path dir) {
        RunDirectory run = new RunDirectory(dir);
        PretrainConfig runConfig = run.readConfig();
        JsonNode results = run.readResults();
        Path absolute = dir.toAbsolutePath().normalize();
        Page page = new Page("Run " + (absolute.getParent() == null ? "" : absolute.getParent().getFileName() + "/")
                + absolute.getFileName());
        page.paragraph(absolute.toString());

        JsonNode pretrain = results.get(RunRecord.PRETRAIN);
        page.heading("Pretraining");
        if (pretrain == null) {
            page.paragraph("Not finished: results.json has no pretraining result.");
        } else {
            page.table(List.of("status", "epochs done", "steps", "final loss", "images/s", "train seconds"),
                    List.of(List.of(pretrain.path("status").asText(), pretrain.path("epochsDone").asText(),
                            pretrain.path("globalStep").asText(), number(pretrain.path("finalLoss"), 1, 4),
                            number(pretrain.path("imagesPerSecond"), 1, 0), number(pretrain.path("trainSeconds"), 1, 1))));
        }
        JsonNode knn = results.get(ExperimentFile.KNN);
        if (knn != null) {
            page.heading("k-NN");
            page.table(List.of("top-1 (%)", "k", "T", "memory images", "queries"),
                    List.of(List.of(number(knn.path("top1"), 100, 2), knn.path("k").asText(),
                            knn.path("temperature").asText(), knn.path("memory").asText(), knn.path("queries").asText())));
        }
        JsonNode linear = results.get(ExperimentFile.LINEAR);
        if (linear != null) {
            page.heading("Linear probe");
            page.table(List.of("top-1 (%)", "top-5 (%)", "train images", "test images", "features", "iterations",
                    "train loss"), List.of(List.of(number(linear.path("top1"), 100, 2), number(linear.path("top5"), 100, 2),
                    linear.path("trainSize").asText(), linear.path("testSize").asText(),
                    linear.path("featureDim").asText(), linear.path("iterations").asText(),
                    number(linear.path("trainLoss"), 1, 4))));
            page.paragraph("Protocol: " + linear.path("protocol").asText());
        }
        JsonNode bias = results.get(BiasMeasurement.RESULT_KEY);
        if (bias != null && bias.isObject()) {
            page.heading("Prototype bias");
            List<List<String>> biasRows = new ArrayList<>();
            for (Iterator<Map.Entry<String, JsonNode>> recipes = bias.fields(); recipes.hasNext(); ) {
                JsonNode report = recipes.next().getValue();
                biasRows.add(List.of(report.path("recipe").asText(), report.path("split").asText(),
                        report.path("images").asText(), report.path("viewsPerImage").asText(),
                        number(report.path("backbone").path("bias"), 1, 4),
                        number(report.path("backboneNormalized").path("bias"), 1, 4),
                        number(report.path("projectorNormalized").path("bias"), 1, 4)));
            }
            page.table(List.of("recipe", "split", "images", "K", "backbone", "backbone L2", "projector L2"), biasRows);
        }
        JsonNode bounds = results.get(BoundMonitor.RESULT_KEY);
        if (bounds != null) {
            JsonNode gaps = bounds.path("gaps");
            page.heading("Bounds");
            page.table(List.of("bound", "term", "bound value", "gap", "violations"), List.of(
                    List.of("attracting", number(gaps.path("attractTerm"), 1, 4), number(gaps.path("attractBound"), 1, 4),
                            number(gaps.path("attractGap"), 1, 4), gaps.path("attractViolations").asText()),
                    List.of("repelling", number(gaps.path("repelTerm"), 1, 4), number(gaps.path("repelBound"), 1, 4),
                            number(gaps.path("repelGap"), 1, 4), gaps.path("repelViolations").asText())));
        }
        JsonNode sweep = results.get(RunRecord.RESULT_KEY);
        if (sweep != null) {
            page.heading("Sweep");
            page.table(List.of("cell", "seed", "status", "stages done", "wall seconds", "attempts", "error"),
                    List.of(List.of(sweep.path("cell").asText(), sweep.path("seed").asText(), sweep.path("status").asText(),
                            String.join(", ", RunDirectory.JSON.convertValue(sweep.path("done"), List.class)),
                            number(sweep.path("seconds"), 1, 1), sweep.path("attempts").asText(),
                            sweep.path("error").isTextual() ? sweep.path("error").asText() : "")));
        }

        Path plots = temporaryDirectory();
        try {
            Path loss = lossCurve(run, plots.resolve("loss.png"));
            List<Plots.EpochGaps> gaps = BoundMonitor.gapsFromMetrics(run.metrics());
            if (loss != null || !gaps.isEmpty()) {
                page.heading("Training");
            }
            if (loss != null) {
                page.image(loss, "Training loss from metrics.jsonl");
            }
            if (!gaps.isEmpty()) {
                Path png = plots.resolve(BoundMonitor.GAPS_PLOT);
                Plots.gapsVsEpoch(gaps, png);
                page.image(png, "Bound gaps measured after every epoch (bound monitor)");
            }
        } finally {
            deleteTree(plots);
        }
        Path map = dir.resolve(EMBEDDING_MAP);
        if (Files.isRegularFile(map)) {
            page.heading("Embedding map");
            page.image(map, "Embeddings projected on their first two principal components, coloured by label ("
                    + EMBEDDING_MAP + ", drawn by balcon map)");
        }

        page.heading("Configuration");
        List<List<String>> configRows = new ArrayList<>();
        ConfigSettings.shown(runConfig).forEach((setting, value) -> configRows.add(List.of(setting, value)));
        page.table(List.of("setting", "value"), configRows);
        return page.html();
    }

    /** Draws the loss curve of a run's metrics.jsonl; null if it logged no step. */
    private static Path lossCurve(RunDirectory run, Path png) {
        List<double[]> steps = new ArrayList<>();
        List<double[]> epochs = new ArrayList<>();
        for (JsonNode row : MetricsLog.rows(run.metrics())) {
            JsonNode loss = row.path("loss");
            if (!loss.isNumber() || !Double.isFinite(loss.asDouble())) {
                continue;
            }
            String type = row.path("type").asText();
            if (type.equals("step")) {
                steps.add(new double[] {row.path("step").asDouble(), loss.asDouble()});
            } else if (type.equals("epoch")) {
                epochs.add(new double[] {row.path("step").asDouble(), loss.asDouble()});
            }
        }
        if (steps.isEmpty()) {
            return null;
        }
        // A run resumed by an older balcon logged again from its checkpoint, after the rows it replaced: order by step.
        steps.sort(Comparator.comparingDouble(point -> point[0]));
        epochs.sort(Comparator.comparingDouble(point -> point[0]));
        ExperimentPlots.lossCurve(column(steps, 0), column(steps, 1), column(epochs, 0), column(epochs, 1), png);
        return png;
    }

    private static double[] column(List<double[]> points, int index) {
        return points.stream().mapToDouble(point -> point[index]).toArray();
    }

    private static String number(JsonNode node, double scale, int decimals) {
        return node.isNumber() ? number(node.asDouble(), scale, decimals) : "";
    }

    private static String number(Double value, double scale, int decimals) {
        return value == null || !Double.isFinite(value) ? ""
                : String.format(Locale.ROOT, "%." + decimals + "f", scale * value);
    }

    private static Path temporaryDirectory() {
        try {
            return Files.createTempDirectory("balcon-report");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary directory for the report's plots", e);
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir, e);
        }
    }

    /** An HTML page built section by section; every text is escaped. */
    private static final class Page {
        private final StringBuilder body = new StringBuilder();
        private final String title;

        Page(String title) {
            this.title = title;
            body.append("<h1>").append(escape(title)).append("</h1>\n");
        }

        void heading(String text) {
            body.append("<h2>").append(escape(text)).append("</h2>\n");
        }

        void paragraph(String text) {
            body.append("<p>").append(escape(text)).append("</p>\n");
        }

        void list(List<String> items) {
            body.append("<ul>\n");
            items.forEach(item -> body.append("<li>").append(escape(item)).append("</li>\n"));
            body.append("</ul>\n");
        }

        void preformatted(String text) {
            body.append("<pre>").append(escape(text)).append("</pre>\n");
        }

        void table(List<String> header, List<List<String>> rows) {
            body.append("<div class=\"scroll\"><table>\n<tr>");
            header.forEach(cell -> body.append("<th>").append(escape(cell)).append("</th>"));
            body.append("</tr>\n");
            for (List<String> row : rows) {
                body.append("<tr>");
                for (String cell : row) {
                    String style = cell.matches("-?[0-9][0-9.]*(E-?[0-9]+)?( ± [0-9.]+)?|–") ? " class=\"num\""
                            : header.contains("status") && isStatus(cell) ? " class=\"status-" + cell + "\"" : "";
                    body.append("<td").append(style).append('>').append(escape(cell)).append("</td>");
                }
                body.append("</tr>\n");
            }
            body.append("</table></div>\n");
        }

        private static boolean isStatus(String cell) {
            return List.of(RunRecord.FINISHED, RunRecord.FAILED, RunRecord.DIVERGED).contains(cell);
        }

        void image(Path png, String caption) {
            byte[] bytes;
            try {
                bytes = Files.readAllBytes(png);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read plot " + png, e);
            }
            body.append("<figure><img alt=\"").append(escape(caption)).append("\" src=\"data:image/png;base64,")
                    .append(Base64.getEncoder().encodeToString(bytes)).append("\"><figcaption>").append(escape(caption))
                    .append("</figcaption></figure>\n");
        }

        String html() {
            return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" + escape(title)
                    + "</title>\n<style>\n" + STYLE + "</style>\n</head>\n<body>\n" + body
                    + "<p class=\"muted\">Written by balcon report.</p>\n</body>\n</html>\n";
        }

        private static String escape(String text) {
            return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
        }
    }
}
