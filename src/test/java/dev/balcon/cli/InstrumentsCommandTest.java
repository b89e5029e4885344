package dev.balcon.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.balcon.cli.CommandLineErrorsTest.Outcome;
import dev.balcon.train.RunDirectory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.stream.Stream;

import static dev.balcon.cli.CommandLineErrorsTest.balcon;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The instrument verbs (bias, bounds, bias-plot) and the bound monitor of pretrain, end to end on a tiny dataset. */
class InstrumentsCommandTest {
    private static final int CLASSES = 10;

    @TempDir
    static Path dir;
    static Path data;
    static Path runDir;

    /** A Fashion-MNIST-shaped dataset of 16x16 images (10 per class to train, 3 per class to test) and one run on it. */
    @BeforeAll
    static void trainWithTheMonitor() throws IOException {
        data = writeTinyFashionMnist(dir.resolve("data"), CLASSES);
        runDir = dir.resolve("run");
        Outcome outcome = balcon("pretrain", "--run-dir", runDir.toString(), "--data", data.toString(), "--width", "4",
                "--proj-hidden", "16", "--proj-out", "8", "--batch-size", "20", "--epochs", "2", "--warmup-epochs", "0",
                "--lr", "0.1", "--workers", "1", "--probe-size", "20", "--probe-views", "3", "--no-progress");
        assertThat(outcome.status()).as(outcome.err()).isZero();
    }

    @Test
    void pretrainMonitorsTheBoundsByDefaultAndDrawsTheGaps() throws IOException {
        try (Stream<String> lines = Files.lines(runDir.resolve("metrics.jsonl"))) {
            assertThat(lines.filter(line -> line.contains("\"type\":\"epoch\"")).map(InstrumentsCommandTest::json))
                    .hasSize(2).allSatisfy(row -> {
                        assertThat(row.get("attract_gap").asDouble()).isFinite();
                        assertThat(row.get("repel_gap").asDouble()).isFinite();
                        assertThat(row.get("repel_violations").asLong()).isNotNegative();
                        assertThat(row.get("probe_anchors").asLong()).isEqualTo(20 * 3);
                        assertThat(row.get("BoundMonitor_seconds").asDouble()).isPositive();
                    });
        }
        assertThat(runDir.resolve("gaps.png")).isRegularFile();
        assertThat(new RunDirectory(runDir).readConfig().monitor().bounds()).isTrue();
    }

    @Test
    void biasPrintsAndStoresTheThreeForms() {
        Outcome outcome = balcon("bias", "--run-dir", runDir.toString(), "--k", "2", "--per-class", "2");
        assertThat(outcome.status()).as(outcome.err()).isZero();
        assertThat(outcome.out()).contains("20 test images", "K = 2", "simclr", "backbone features", "projector outputs");
        JsonNode stored = new RunDirectory(runDir).readResults().get("bias").get("simclr");
        assertThat(stored.get("backbone").get("bias").asDouble()).isPositive();
        assertThat(stored.get("backboneNormalized").get("bias").asDouble()).isBetween(0.0, 2.0);
        assertThat(stored.get("projectorNormalized").get("bias").asDouble()).isBetween(0.0, 2.0);
        assertThat(stored.get("projectorNormalized").get("perClassBias")).hasSize(CLASSES);
    }

    @Test
    void boundsMeasuresTheCheckpointOnDemand() {
        Outcome outcome = balcon("bounds", "--run-dir", runDir.toString(), "--probe-size", "10", "--probe-views", "3");
        assertThat(outcome.status()).as(outcome.err()).isZero();
        assertThat(outcome.out()).contains("10 probe images x 3 views (30 anchors)", "attracting", "repelling");
        JsonNode stored = new RunDirectory(runDir).readResults().get("bounds");
        assertThat(stored.get("gaps").get("anchors").asLong()).isEqualTo(30);
    }

    /** Same probe, same views, same parameters (the checkpoint of the last epoch): the same numbers as the monitor. */
    @Test
    void boundsOnTheMonitorsProbeRepeatsTheLastEpochRow() throws IOException {
        assertThat(balcon("bounds", "--run-dir", runDir.toString(), "--probe-size", "20", "--probe-views", "3").status())
                .isZero();
        JsonNode gaps = new RunDirectory(runDir).readResults().get("bounds").get("gaps");
        JsonNode lastEpoch;
        try (Stream<String> lines = Files.lines(runDir.resolve("metrics.jsonl"))) {
            lastEpoch = lines.filter(line -> line.contains("\"type\":\"epoch\"")).map(InstrumentsCommandTest::json)
                    .reduce((first, second) -> second).orElseThrow();
        }
        assertThat(gaps.get("attractGap").asDouble()).isCloseTo(lastEpoch.get("attract_gap").asDouble(), within(1e-6));
        assertThat(gaps.get("repelGap").asDouble()).isCloseTo(lastEpoch.get("repel_gap").asDouble(), within(1e-6));
        assertThat(gaps.get("repelViolations").asLong()).isEqualTo(lastEpoch.get("repel_violations").asLong());
    }

    @Test
    void biasPlotPutsEveryRunOnOnePlot() throws IOException {
        Path second = copyRun("second", null, null);
        for (Path run : new Path[] {runDir, second}) {
            assertThat(balcon("bias", "--run-dir", run.toString(), "--k", "2", "--per-class", "1").status()).isZero();
            assertThat(balcon("knn", "--run-dir", run.toString(), "--knn-k", "3").status()).isZero();
        }
        Path png = dir.resolve("plots/bias.png");
        Outcome outcome = balcon("bias-plot", "--runs", runDir.toString(), second.toString(), "--out", png.toString(),
                "--space", "projector-l2");
        assertThat(outcome.status()).as(outcome.err()).isZero();
        assertThat(outcome.out()).contains("run (simclr)", "second (simclr)", "wrote");
        assertThat(png).isRegularFile();
        assertThat(Files.size(png)).isGreaterThan(1000);
    }

    @Test
    void aCheckpointOfAnotherArchitectureIsOneLine() throws IOException {
        Path other = copyRun("other-width", "model.width", 8);
        assertOneLineError(balcon("bias", "--run-dir", other.toString(), "--k", "2"), "checkpoint does not match the model");
        assertOneLineError(balcon("bounds", "--run-dir", other.toString()), "checkpoint does not match the model");
    }

    @Test
    void aDatasetWithoutLabelsIsOneLine() throws IOException {
        Path unlabelled = writeTinyFashionMnist(dir.resolve("unlabelled"), CLASSES);
        Files.delete(unlabelled.resolve("t10k-labels-idx1-ubyte"));
        Path run = copyRun("unlabelled-run", "data.selection.dataDir", unlabelled.toString());
        assertOneLineError(balcon("bias", "--run-dir", run.toString()), "t10k-labels-idx1-ubyte");
    }

    @Test
    void aClassWithoutImagesIsOneLine() throws IOException {
        Path nineClasses = writeTinyFashionMnist(dir.resolve("nine"), CLASSES - 1);
        Path run = copyRun("nine-run", "data.selection.dataDir", nineClasses.toString());
        assertOneLineError(balcon("bias", "--run-dir", run.toString(), "--k", "2"), "class 9 ('Ankle boot') has no images");
        assertOneLineError(balcon("bounds", "--run-dir", run.toString()), "class 9 ('Ankle boot') has no images");
    }

    @Test
    void badOptionsAreOneLine() {
        assertOneLineError(balcon("bias", "--run-dir", runDir.toString(), "--k", "0"),
                "--k (per image) must be >= 1, got 0");
        assertOneLineError(balcon("bias", "--run-dir", runDir.toString(), "--per-class", "4"),
                "--per-class asks for 4 images of each class", "only 3");
        assertOneLineError(balcon("bias", "--run-dir", runDir.toString(), "--split", "val"), "--split must be one of");
        assertOneLineError(balcon("bias", "--run-dir", runDir.toString(), "--recipe", "jpeg"), "--recipe must be one of",
                "jpeg");
        assertOneLineError(balcon("bias", "--run-dir", dir.resolve("nowhere").toString()), "config.json");
        assertOneLineError(balcon("bounds", "--run-dir", runDir.toString(), "--probe-views", "1"),
                "--probe-views must be >= 2");
        assertOneLineError(balcon("bounds", "--run-dir", runDir.toString(), "--probe-size", "3"),
                "--probe-size must be at least the number of classes (10)");
        assertOneLineError(balcon("pretrain", "--run-dir", dir.resolve("never").toString(), "--probe-views", "1"),
                "--probe-views");
        assertOneLineError(balcon("bias-plot", "--runs", runDir.toString(), "--out", dir.resolve("x.png").toString(),
                "--space", "pixels"), "--space must be one of [backbone, backbone-l2, projector-l2], got 'pixels'");
    }

    @Test
    void biasPlotOfARunWithoutItsMeasurementsIsOneLine() throws IOException {
        Path bare = copyRun("bare", null, null);
        assertOneLineError(balcon("bias-plot", "--runs", bare.toString(), "--out", dir.resolve("y.png").toString()),
                "balcon bias --run-dir");
    }

    private static void assertOneLineError(Outcome outcome, String... fragments) {
        assertThat(outcome.status()).as(outcome.err()).isEqualTo(Main.EXIT_USER_ERROR);
        assertThat(outcome.err().strip().lines()).hasSize(1);
        assertThat(outcome.err()).startsWith("balcon: ").doesNotContain("\tat ").doesNotContain("Exception");
        for (String fragment : fragments) {
            assertThat(outcome.err()).contains(fragment);
        }
    }

    /**
     * A copy of the run's config and checkpoint (no results), with one config setting replaced if {@code field} (its
     * path in config.json, model.width) is set.
     */
    private static Path copyRun(String name, String field, Object value) throws IOException {
        Path copy = Files.createDirectories(dir.resolve(name));
        ObjectNode config = (ObjectNode) RunDirectory.JSON.readTree(runDir.resolve("config.json").toFile());
        if (field != null) {
            ObjectNode group = config;
            String[] parts = field.split("\\.");
            for (int i = 0; i < parts.length - 1; i++) {
                group = (ObjectNode) group.get(parts[i]);
            }
            group.set(parts[parts.length - 1], RunDirectory.JSON.valueToTree(value));
        }
        RunDirectory.JSON.writeValue(copy.resolve("config.json").toFile(), config);
        Files.copy(runDir.resolve("checkpoint.bin"), copy.resolve("checkpoint.bin"));
        return copy;
    }

    /**
     * The four IDX files of Fashion-MNIST with 16x16 images: class c is a bright horizontal band at rows
     * [c, c + 6) plus noise; 10 training and 3 test images per class, of the first {@code testClasses} classes
     * only in the test split.
     */
    static Path writeTinyFashionMnist(Path target, int testClasses) throws IOException {
        Files.createDirectories(target);
        Random random = new Random(17);
        writeSplit(target, "train", 10, CLASSES, random);
        writeSplit(target, "t10k", 3, testClasses, random);
        return target;
    }

    private static void writeSplit(Path target, String prefix, int perClass, int classes, Random random) throws IOException {
        int count = perClass * classes;
        byte[] pixels = new byte[count * 256];
        byte[] labels = new byte[count];
        for (int i = 0; i < count; i++) {
            int label = i % classes;
            labels[i] = (byte) label;
            for (int p = 0; p < 256; p++) {
                int row = p / 16;
                boolean lit = row >= label && row < label + 6;
                pixels[i * 256 + p] = (byte) ((lit ? 170 : 30) + random.nextInt(60));
            }
        }
        try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(target.resolve(prefix + "-images-idx3-ubyte")))) {
            out.writeInt(2051);
            out.writeInt(count);
            out.writeInt(16);
            out.writeInt(16);
            out.write(pixels);
        }
        try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(target.resolve(prefix + "-labels-idx1-ubyte")))) {
            out.writeInt(2049);
            out.writeInt(count);
            out.write(labels);
        }
    }

    private static JsonNode json(String line) {
        try {
            return RunDirectory.JSON.readTree(line);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
