package dev.balcon.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.balcon.sweep.RunRecord;
import dev.balcon.sweep.Sweep;
import dev.balcon.sweep.SweepResults;
import dev.balcon.train.RunDirectory;
import dev.balcon.data.ImageDataset;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static dev.balcon.cli.LinearCommandTest.balcon;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A tiny sweep end to end, on 16x16 synthetic images stored as IDX files: width-4 model, one epoch, 2 x 1 grid plus
 * a cell that fails at run time, 2 seeds, every evaluation. The tests run in order on the same sweep directory: the
 * sweep, its results, running it again, a changed protocol, a changed configuration, the reports.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SweepCommandTest {
    @TempDir
    static Path dir;
    static Path experiment;
    static Path out;
    static LinearCommandTest.Outcome first;

    @BeforeAll
    static void sweepOnce() throws IOException {
        Path data = Files.createDirectories(dir.resolve("data"));
        LinearCommandTest.writeIdx(data, "train", blocks(80, 1));
        LinearCommandTest.writeIdx(data, "t10k", blocks(40, 2));
        experiment = dir.resolve("tiny.yaml");
        Files.writeString(experiment, experimentText(5));
        out = dir.resolve("sweep");
        first = balcon("sweep", experiment.toString(), "--out", out.toString());
    }

    /**
     * 16x16 images of the ten Fashion-MNIST classes (the loader names ten, and the bias and the bound monitor need
     * every class): class c lights the 4x4 block c of a 4x4 grid of blocks, plus noise.
     */
    static ImageDataset blocks(int count, long seed) {
        Random random = new Random(seed);
        byte[] pixels = new byte[count * 256];
        int[] labels = new int[count];
        for (int i = 0; i < count; i++) {
            labels[i] = i % 10;
            for (int y = 0; y < 16; y++) {
                for (int x = 0; x < 16; x++) {
                    boolean lit = y / 4 * 4 + x / 4 == labels[i];
                    pixels[i * 256 + y * 16 + x] = (byte) ((lit ? 180 : 40) + random.nextInt(50));
                }
            }
        }
        return new ImageDataset("blocks", pixels, labels, 1, 16, 16,
                IntStream.range(0, 10).mapToObj(c -> "class " + c).toList());
    }

    static String experimentText(int knnK) {
        return """
                description: tiny sweep for the tests
                budget: seconds
                base:
                  data: %s
                  loss: balanced
                  width: 4
                  proj_hidden: 16
                  proj_out: 8
                  epochs: 1
                  batch_size: 16
                  workers: 1
                  warmup_epochs: 0
                  monitor_bounds: true
                  probe_size: 10
                  probe_views: 2
                grid:
                  alpha: [2, 4]
                  lambda: [1]
                cells:
                  - name: too-big-batch
                    batch_size: 128
                seeds: [0, 1]
                evaluate: [knn, linear, bias]
                protocol:
                  knn_k: %d
                  linear_iterations: 20
                  bias_views: 2
                  bias_per_class: 2
                """.formatted(dir.resolve("data"), knnK);
    }

    @Test
    @Order(1)
    void runsEveryCellAndSeedRecordsTheFailedCellAndGoesOn() {
        assertThat(first.status()).as(first.err()).isEqualTo(Main.EXIT_FAILURE);
        assertThat(first.out()).contains("3 cells x 2 seeds = 6 runs, 6 to do")
                .contains("[1/6] alpha=2_lambda=1, seed 0: pretraining, 1 epochs of all images")
                .contains("[6/6] too-big-batch, seed 1: failed")
                .contains("ETA").contains("2 runs left")
                .contains("4 finished, 0 diverged, 2 failed, 0 skipped");
        RunDirectory failed = new RunDirectory(out.resolve("too-big-batch/seed-0"));
        RunRecord record = RunRecord.of(failed);
        assertThat(record.status()).isEqualTo(RunRecord.FAILED);
        assertThat(record.error()).contains("fewer than one batch of 128");
        RunRecord finished = RunRecord.of(new RunDirectory(out.resolve("alpha=4_lambda=1/seed-1")));
        assertThat(finished.status()).isEqualTo(RunRecord.FINISHED);
        assertThat(finished.done()).containsExactly("pretrain", "knn", "linear", "bias");
        assertThat(finished.attempts()).isEqualTo(1);
        // The feature caches are gone once the run is evaluated.
        assertThat(out.resolve("alpha=4_lambda=1/seed-1/features-train.bin")).doesNotExist();
        assertThat(out.resolve(SweepResults.EXPERIMENT_COPY)).hasContent(experimentText(5));
    }

    @Test
    @Order(2)
    void resultsCsvHasOneRowPerRunWithTheStoredValues() throws IOException {
        List<String> lines = Files.readAllLines(out.resolve("results.csv"));
        assertThat(lines.get(0)).isEqualTo("cell,alpha,lambda,batch_size,seed,status,knn_top1,linear_top1,linear_top5,"
                + "bias_backbone,bias_backbone_l2,bias_projector_l2,final_loss,train_images_per_s,wall_seconds,error");
        assertThat(lines).hasSize(7);
        for (int i = 1; i <= 4; i++) {
            String cell = i <= 2 ? "alpha=2_lambda=1" : "alpha=4_lambda=1";
            int seed = (i - 1) % 2;
            String[] fields = lines.get(i).split(",", -1);
            assertThat(fields).hasSize(16);
            assertThat(fields[0]).isEqualTo(cell);
            assertThat(fields[1]).isEqualTo(i <= 2 ? "2" : "4");
            assertThat(fields[2]).isEqualTo("1");
            assertThat(fields[3]).isEqualTo("16");
            assertThat(fields[4]).isEqualTo(String.valueOf(seed));
            assertThat(fields[5]).isEqualTo("finished");
            JsonNode results = new RunDirectory(out.resolve(cell).resolve("seed-" + seed)).readResults();
            assertThat(fields[6]).isEqualTo(percent(results.get("knn").get("top1").asDouble()));
            assertThat(fields[7]).isEqualTo(percent(results.get("linear").get("top1").asDouble()));
            assertThat(fields[8]).isEqualTo(percent(results.get("linear").get("top5").asDouble()));
            JsonNode bias = results.get("bias").get("simclr");
            assertThat(bias.get("images").asInt()).isEqualTo(20);
            assertThat(bias.get("viewsPerImage").asInt()).isEqualTo(2);
            assertThat(fields[9]).isEqualTo(String.format(Locale.ROOT, "%.4f", bias.get("backbone").get("bias").asDouble()));
            assertThat(fields[12]).isEqualTo(String.format(Locale.ROOT, "%.4f",
                    results.get("pretrain").get("finalLoss").asDouble()));
            assertThat(Double.parseDouble(fields[13])).isPositive(); // training images/s
            assertThat(Double.parseDouble(fields[14])).isPositive(); // wall seconds
            assertThat(fields[15]).isEmpty();
            assertThat(results.get("knn").get("k").asInt()).isEqualTo(5);
            assertThat(results.get("knn").get("memory").asInt()).isEqualTo(80);
            assertThat(results.get("linear").get("trainSize").asInt()).isEqualTo(80);
        }
        for (int i = 5; i <= 6; i++) {
            String[] fields = lines.get(i).split(",", -1);
            assertThat(fields[0]).isEqualTo("too-big-batch");
            assertThat(fields[3]).isEqualTo("128");
            assertThat(fields[5]).isEqualTo("failed");
            assertThat(fields[6]).isEmpty();
            assertThat(lines.get(i)).contains("fewer than one batch");
        }
    }

    @Test
    @Order(3)
    void resultsMarkdownSummarisesEachCellOverItsSeedsWithTheProtocol() throws IOException {
        String markdown = Files.readString(out.resolve("results.md"));
        assertThat(markdown).contains("# Experiment tiny", "tiny sweep for the tests", "Budget: seconds",
                "6 of 6 runs started; 4 finished.",
                "k-NN: weighted vote, cosine similarity, k=5, T=0.1", "memory bank: the whole training split",
                "at most 20 iterations", "K=2 augmented views of 2 test images per class",
                "pretraining, the same in every run: dataset=fashion-mnist", "width=4", "epochs=1",
                "pretraining, set per cell: tau, alpha, lambda, batchSize", // tau = 1/alpha differs with alpha
                "| cell | settings | n | k-NN top-1 (%) | linear top-1 (%) | linear top-5 (%) | bias, backbone |");
        List<Double> knn = csvColumn("alpha=2_lambda=1", 6);
        double mean = (knn.get(0) + knn.get(1)) / 2;
        double std = Math.abs(knn.get(0) - knn.get(1)) / Math.sqrt(2);
        String row = markdown.lines().filter(line -> line.startsWith("| alpha=2_lambda=1 |")).findFirst().orElseThrow();
        assertThat(row).startsWith("| alpha=2_lambda=1 | alpha=2 lambda=1 | 2/2 | ");
        String knnCell = row.split(" \\| ")[3];
        String[] meanAndStd = knnCell.split(" ± ");
        // The CSV rounds each run to 0.01, hence the tolerance.
        assertThat(Double.parseDouble(meanAndStd[0])).isCloseTo(mean, within(0.011));
        assertThat(Double.parseDouble(meanAndStd[1])).isCloseTo(std, within(0.011));
        assertThat(markdown).contains("| too-big-batch | batch_size=128 | 0/2 | – |").contains("| 0 / 2 |");
        assertThat(out.resolve("heatmap-knn.png")).isNotEmptyFile();
        assertThat(out.resolve("heatmap-linear.png")).isNotEmptyFile();
        assertThat(out.resolve("bias-vs-accuracy.png")).isNotEmptyFile();
        assertThat(out.resolve("gaps-alpha=2_lambda=1.png")).isNotEmptyFile();
        assertThat(out.resolve("gaps-too-big-batch.png")).doesNotExist();
    }

    @Test
    @Order(4)
    void runningAgainSkipsFinishedRunsAndRetriesFailedOnes() throws IOException {
        Map<Path, FileTime> before = checkpointTimes();
        RunDirectory finishedRun = new RunDirectory(out.resolve("alpha=2_lambda=1/seed-0"));
        byte[] results = Files.readAllBytes(finishedRun.results());
        byte[] metrics = Files.readAllBytes(finishedRun.metrics());
        LinearCommandTest.Outcome again = balcon("sweep", experiment.toString(), "--out", out.toString());
        assertThat(again.status()).isEqualTo(Main.EXIT_FAILURE);
        // a finished run is left exactly as it is
        assertThat(Files.readAllBytes(finishedRun.results())).isEqualTo(results);
        assertThat(Files.readAllBytes(finishedRun.metrics())).isEqualTo(metrics);
        assertThat(again.out()).contains("6 runs, 2 to do").contains("[1/6] alpha=2_lambda=1, seed 0: already finished, skipped")
                .contains("0 finished, 0 diverged, 2 failed, 4 skipped").doesNotContain("alpha=2_lambda=1, seed 0: pretraining");
        assertThat(checkpointTimes()).isEqualTo(before);
        assertThat(RunRecord.of(new RunDirectory(out.resolve("alpha=2_lambda=1/seed-0"))).attempts()).isEqualTo(1);
        assertThat(RunRecord.of(new RunDirectory(out.resolve("too-big-batch/seed-0"))).attempts()).isEqualTo(2);
    }

    @Test
    @Order(5)
    void aChangedProtocolReevaluatesWithoutRetraining() throws IOException {
        Map<Path, FileTime> before = checkpointTimes();
        Files.writeString(experiment, experimentText(7));
        LinearCommandTest.Outcome again = balcon("sweep", experiment.toString(), "--out", out.toString());
        assertThat(again.out()).contains("6 runs, 6 to do").contains("alpha=2_lambda=1, seed 0: k-NN (k=7, T=0.1)")
                .doesNotContain("alpha=2_lambda=1, seed 0: pretraining");
        assertThat(checkpointTimes()).isEqualTo(before);
        JsonNode results = new RunDirectory(out.resolve("alpha=4_lambda=1/seed-0")).readResults();
        assertThat(results.get("knn").get("k").asInt()).isEqualTo(7);
    }

    @Test
    @Order(6)
    void anInterruptedRunContinuesAtItsFirstStageNotDone() throws IOException {
        RunDirectory run = new RunDirectory(out.resolve("alpha=2_lambda=1/seed-1"));
        RunRecord finished = RunRecord.of(run);
        // As a sweep killed during the linear probe leaves it.
        run.putResult(RunRecord.RESULT_KEY, new RunRecord(finished.cell(), finished.seed(), RunRecord.INCOMPLETE,
                List.of("pretrain", "knn"), finished.protocol(), finished.seconds(), finished.attempts(), null));
        JsonNode knnBefore = run.readResults().get("knn");
        Map<Path, FileTime> before = checkpointTimes();
        LinearCommandTest.Outcome again = balcon("sweep", experiment.toString(), "--out", out.toString());
        assertThat(again.out()).contains("6 runs, 3 to do")
                .contains("[2/6] alpha=2_lambda=1, seed 1: linear probe").contains("[2/6] alpha=2_lambda=1, seed 1: prototype bias")
                .doesNotContain("alpha=2_lambda=1, seed 1: k-NN").doesNotContain("alpha=2_lambda=1, seed 1: pretraining");
        assertThat(checkpointTimes()).isEqualTo(before);
        RunRecord resumed = RunRecord.of(run);
        assertThat(resumed.status()).isEqualTo(RunRecord.FINISHED);
        assertThat(resumed.done()).containsExactly("pretrain", "knn", "linear", "bias");
        assertThat(resumed.attempts()).isEqualTo(finished.attempts() + 1);
        assertThat(resumed.seconds()).isGreaterThan(finished.seconds());
        assertThat(run.readResults().get("knn")).isEqualTo(knnBefore);
    }

    @Test
    @Order(7)
    void aChangedConfigurationStopsTheSweepBeforeAnythingRuns() throws IOException {
        Files.writeString(experiment, experimentText(7).replace("epochs: 1", "epochs: 2"));
        Map<Path, FileTime> before = checkpointTimes();
        LinearCommandTest.Outcome changed = balcon("sweep", experiment.toString(), "--out", out.toString());
        assertThat(changed.status()).isEqualTo(Main.EXIT_USER_ERROR);
        assertThat(changed.err()).contains("alpha=2_lambda=1").contains("another configuration")
                .contains("epochs: 1 -> 2");
        assertThat(changed.err().strip()).doesNotContain("\n");
        assertThat(checkpointTimes()).isEqualTo(before);
        Files.writeString(experiment, experimentText(7));
    }

    @Test
    @Order(8)
    void dryRunListsTheCellsAndWhatIsDone() {
        LinearCommandTest.Outcome dry = balcon("sweep", experiment.toString(), "--out", out.toString(), "--dry-run",
                "--no-progress");
        assertThat(dry.status()).as(dry.err()).isZero();
        // Evaluated images per run: 80 train + 40 test for k-NN and linear, 1 epoch x 10 probe images x 2 views for
        // the bound monitor, 2 views x 2 images x 10 classes for the bias.
        assertThat(dry.out()).contains("3 cells x 2 seeds = 6 runs; evaluate [knn, linear, bias]")
                .containsPattern("\\| alpha=2_lambda=1 +\\| alpha=2 lambda=1 +\\| +2 \\| +2 \\| +80 \\| +180 \\|")
                .containsPattern("\\| too-big-batch +\\| batch_size=128 +\\| +2 \\| +0 \\|")
                .contains("measured on the runs done");
    }

    @Test
    @Order(20)
    void dryRunCountsTheClassProfileSubsetNotTheWholeSplit() throws IOException {
        Path profiled = dir.resolve("profiled.yaml");
        Files.writeString(profiled, """
                base:
                  data: %s
                  width: 4
                  epochs: 2
                  batch_size: 16
                  class_profile: exp
                  rho: 4
                  profile_max: 8
                  monitor_bounds: false
                cells:
                  - name: long-tailed
                  - name: twin
                    balanced_twin: true
                seeds: [0]
                evaluate: [knn]
                """.formatted(dir.resolve("data")));
        LinearCommandTest.Outcome dry = balcon("sweep", profiled.toString(), "--out", dir.resolve("profiled").toString(),
                "--dry-run");
        assertThat(dry.status()).as(dry.err()).isZero();
        // floor(8 * 4^(-c/9)) for the ten classes: 8 6 5 5 4 3 3 2 2 2 = 40 images (the twin: 4 per class), 2 epochs;
        // k-NN on the 80 + 40 images of the splits.
        assertThat(dry.out()).containsPattern("\\| long-tailed +\\| .* +\\| +1 \\| +0 \\| +80 \\| +120 \\|")
                .containsPattern("\\| twin +\\| .* +\\| +1 \\| +0 \\| +80 \\| +120 \\|");
    }

    @Test
    @Order(9)
    void reportOfTheSweepHoldsItsTablesAndPlots() throws Exception {
        LinearCommandTest.Outcome report = balcon("report", out.toString());
        assertThat(report.status()).as(report.err()).isZero();
        Path html = out.resolve("report.html");
        String page = Files.readString(html);
        String markdown = Files.readString(out.resolve("results.md"));
        String knnCell = markdown.lines().filter(line -> line.startsWith("| alpha=4_lambda=1 |")).findFirst()
                .orElseThrow().split(" \\| ")[3];
        assertThat(page).startsWith("<!DOCTYPE html>").contains("<td class=\"num\">" + knnCell + "</td>")
                .contains("tiny sweep for the tests").contains("too-big-batch")
                .contains("<td class=\"status-failed\">failed</td>").contains("fewer than one batch")
                .contains("data:image/png;base64,").doesNotContain("<script").doesNotContain("http://")
                .doesNotContain("https://").doesNotContain("src=\"file");
        assertThat(page.split("data:image/png;base64,", -1)).hasSize(1 + 5);
        assertThat(dom(html)).contains(knnCell).contains("alpha=2_lambda=1");
    }

    @Test
    @Order(10)
    void reportOfOneRunHoldsItsResultsLossCurveAndConfig() throws Exception {
        Path runDir = out.resolve("alpha=2_lambda=1/seed-1");
        Path html = dir.resolve("run.html");
        LinearCommandTest.Outcome report = balcon("report", runDir.toString(), "--out", html.toString());
        assertThat(report.status()).as(report.err()).isZero();
        String page = Files.readString(html);
        JsonNode results = new RunDirectory(runDir).readResults();
        assertThat(page).contains("<td class=\"num\">" + percent(results.get("knn").get("top1").asDouble()) + "</td>")
                .contains("<td class=\"num\">" + percent(results.get("linear").get("top5").asDouble()) + "</td>")
                .contains("Training loss").contains("Bound gaps").contains("<td>alpha</td><td class=\"num\">2.0</td>")
                .contains("<td>scaleByInvAlpha</td><td>true (balanced default)</td>");
        assertThat(page.split("data:image/png;base64,", -1)).hasSize(1 + 2);
        assertThat(dom(html)).contains("Linear probe").contains(percent(results.get("knn").get("top1").asDouble()));
        Path screenshot = dir.resolve("run.png");
        chromium("--screenshot=" + screenshot, "--window-size=1200,2000", html.toUri().toString());
        assertThat(screenshot).isNotEmptyFile();
        byte[] png = Files.readAllBytes(screenshot);
        assertThat(Arrays.copyOf(png, 4)).containsExactly(0x89, 'P', 'N', 'G');
        if (System.getenv("BALCON_KEEP_SCREENSHOT") != null) {
            Files.copy(screenshot, Path.of(System.getenv("BALCON_KEEP_SCREENSHOT")),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
    }

    @Test
    @Order(11)
    void aReportNeedsNoDataset() throws IOException {
        Path moved = dir.resolve("data-elsewhere");
        Files.move(dir.resolve("data"), moved);
        try {
            LinearCommandTest.Outcome report = balcon("report", out.toString(), "--out", dir.resolve("x.html").toString());
            assertThat(report.status()).as(report.err()).isZero();
            assertThat(dir.resolve("x.html")).content().contains("alpha=4_lambda=1");
        } finally {
            Files.move(moved, dir.resolve("data"));
        }
    }

    @Test
    void reportOfANonRunDirectoryNamesIt(@TempDir Path empty) {
        LinearCommandTest.Outcome report = balcon("report", empty.toString());
        assertThat(report.status()).isEqualTo(Main.EXIT_USER_ERROR);
        assertThat(report.err()).contains("neither a sweep directory").contains(empty.toString());
    }

    /** The DOM Chromium builds from the page (skips the test where Chromium is not installed). */
    private static String dom(Path html) throws Exception {
        return chromium("--dump-dom", html.toUri().toString());
    }

    private static String chromium(String... arguments) throws Exception {
        Path binary = Path.of("/usr/bin/chromium");
        assumeTrue(Files.isExecutable(binary), "chromium is not installed (apt-get install chromium)");
        Path profile = Files.createTempDirectory(dir, "chromium-profile");
        List<String> command = new java.util.ArrayList<>(List.of(binary.toString(), "--headless", "--no-sandbox",
                "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--user-data-dir=" + profile));
        command.addAll(List.of(arguments));
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isZero();
        return output;
    }

    private static List<Double> csvColumn(String cell, int column) throws IOException {
        return Files.readAllLines(out.resolve("results.csv")).stream().filter(line -> line.startsWith(cell + ","))
                .map(line -> Double.parseDouble(line.split(",", -1)[column])).toList();
    }

    private static Map<Path, FileTime> checkpointTimes() throws IOException {
        Map<Path, FileTime> times = new HashMap<>();
        try (var files = Files.walk(out)) {
            for (Path file : files.filter(path -> path.getFileName().toString().equals("checkpoint.bin")).toList()) {
                times.put(file, Files.getLastModifiedTime(file));
            }
        }
        assertThat(times).hasSize(4);
        return times;
    }

    private static String percent(double fraction) {
        return String.format(Locale.ROOT, "%.2f", 100 * fraction);
    }
}
