package dev.balcon.cli;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.JsonNode;
import dev.balcon.augment.Normalization;
import dev.balcon.data.ImageDataset;
import dev.balcon.data.ImageTrees;
import dev.balcon.model.ContrastiveModel;
import dev.balcon.train.Checkpoint;
import dev.balcon.train.Method;
import dev.balcon.train.PretrainConfig;
import dev.balcon.train.PretrainResult;
import dev.balcon.train.Pretrainer;
import dev.balcon.train.RunDirectory;
import dev.balcon.train.SimClr;
import dev.balcon.train.SyntheticImages;
import dev.balcon.train.TestCheckpoints;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;

import static dev.balcon.cli.LinearCommandTest.balcon;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Evaluations of a diverged run: a checkpoint with NaN parameters (as balcon wrote them before it refused to)
 * and one whose finite parameters overflow to NaN features. Every verb refuses with one line and writes nothing.
 */
class DivergedRunCommandTest {
    private static final List<String> EVALUATIONS = List.of("knn", "linear", "bias", "bounds");

    @TempDir
    static Path dir;
    private static RunDirectory finished;

    /** A one-epoch run on 16x16 images of the ten Fashion-MNIST classes, stored as IDX files. */
    @BeforeAll
    static void pretrain() throws IOException {
        ImageDataset train = SyntheticImages.quadrants(64, 16, 1);
        ImageDataset test = SyntheticImages.quadrants(40, 16, 2);
        Path data = Files.createDirectories(dir.resolve("data"));
        writeTenClassIdx(data, "train", train);
        writeTenClassIdx(data, "t10k", test);
        finished = new RunDirectory(dir.resolve("finished"));
        PretrainConfig config = PretrainConfig.builder().width(4).projectorHidden(16).projectorOut(8).batchSize(16)
                .dataDir(data.toString()).tau(0.5).epochs(1).learningRate(0.1).warmupEpochs(0).seed(7)
                .boundMonitor(false).build();
        PretrainResult result = new Pretrainer(config, train, Normalization.of(train), finished).showProgress(false)
                .run(false);
        assertThat(result.status()).isEqualTo(PretrainResult.FINISHED);
    }

    @Test
    void everyEvaluationRefusesACheckpointWithNaNParametersInOneLine() throws IOException {
        RunDirectory run = copy("nan-parameters");
        rewriteCheckpoint(run, model -> model.trainableParameters().get(3).getArray().muli(Float.NaN), true);
        for (String verb : EVALUATIONS) {
            LinearCommandTest.Outcome outcome = balcon(verb, "--run-dir", run.root().toString());
            assertOneLine(outcome, verb);
            assertThat(outcome.err()).contains("checkpoint " + run.checkpoint() + " holds ")
                    .contains("NaN or infinite parameter values");
        }
        assertNothingWritten(run);
    }

    @Test
    void everyEvaluationRefusesNonFiniteFeaturesNamingTheRunAndTheBadRows() throws IOException {
        RunDirectory run = copy("overflowing");
        // Finite weights so large that the first convolution overflows: the features become NaN.
        rewriteCheckpoint(run, model -> firstConvolution(model).getArray().muli(0).addi(Float.MAX_VALUE / 2), false);
        for (String verb : List.of("knn", "linear")) {
            LinearCommandTest.Outcome outcome = balcon(verb, "--run-dir", run.root().toString());
            assertOneLine(outcome, verb);
            assertThat(outcome.err()).matches("balcon: the train features of " + java.util.regex.Pattern.quote(
                    run.checkpoint().toString()) + ": \\d+ of 64 rows hold NaN or infinite values, as a diverged "
                    + "model's do; refusing to score them\\s*");
        }
        for (String verb : List.of("bias", "bounds")) {
            LinearCommandTest.Outcome outcome = balcon(verb, "--run-dir", run.root().toString());
            assertOneLine(outcome, verb);
            assertThat(outcome.err()).contains("run " + run.root() + ": the embeddings of ")
                    .containsPattern("\\d+ of \\d+ images hold NaN or infinite values");
        }
        assertNothingWritten(run);
    }

    @Test
    void scoringADivergedRunsLastFiniteCheckpointSaysSo() throws IOException {
        RunDirectory run = copy("diverged-later");
        run.putResult("pretrain", new PretrainResult(PretrainResult.DIVERGED, 1, 9, Double.NaN, 1.0, 10.0));
        PrintStream stderr = System.err;
        ByteArrayOutputStream logged = new ByteArrayOutputStream();
        LinearCommandTest.Outcome outcome;
        System.setErr(new PrintStream(logged, true, StandardCharsets.UTF_8));
        try {
            outcome = balcon("knn", "--run-dir", run.root().toString());
        } finally {
            System.setErr(stderr);
        }
        assertThat(outcome.status()).as(outcome.err()).isZero();
        assertThat(logged.toString(StandardCharsets.UTF_8))
                .contains(run.root() + " diverged at step 9: evaluating its last finite checkpoint (epoch 1, step 4)");
    }

    @Test
    void aRunThatDivergedBeforeItsFirstCheckpointSaysSo() throws IOException {
        RunDirectory run = copy("diverged-early");
        Files.delete(run.checkpoint());
        run.putResult("pretrain", new PretrainResult(PretrainResult.DIVERGED, 0, 2, Double.NaN, 1.0, 10.0));
        for (String verb : EVALUATIONS) {
            LinearCommandTest.Outcome outcome = balcon(verb, "--run-dir", run.root().toString());
            assertOneLine(outcome, verb);
            assertThat(outcome.err()).as(verb)
                    .contains(run.root() + " diverged at step 2 before it finished an epoch: it has no checkpoint");
        }
    }

    @Test
    void knnWithKAboveTheMemoryBankPrintsAndRecordsTheKItUsed() throws IOException {
        RunDirectory run = copy("large-k");
        LinearCommandTest.Outcome outcome = balcon("knn", "--run-dir", run.root().toString(), "--knn-k", "500");
        assertThat(outcome.status()).as(outcome.err()).isZero();
        assertThat(outcome.out()).contains("k=64, every memory image, as k=500 exceeds the memory bank");
        JsonNode stored = run.readResults().get("knn");
        assertThat(stored.get("k").asInt()).isEqualTo(64);
        assertThat(stored.get("requestedK").asInt()).isEqualTo(500);
    }

    @Test
    void linearReportsTopFiveAsNotApplicableWithFiveClassesOrFewer(@TempDir Path local) throws IOException {
        Path tree = ImageTrees.writeSplitTree(local.resolve("tree"), 8, 4);
        Path runDir = local.resolve("run");
        LinearCommandTest.Outcome pretrain = balcon("pretrain", "--run-dir", runDir.toString(), "--dataset",
                "imagefolder", "--data", tree.toString(), "--image-size", "16", "--cache-dir",
                local.resolve("cache").toString(), "--width", "4", "--proj-hidden", "16", "--proj-out", "8",
                "--batch-size", "12", "--epochs", "1", "--warmup-epochs", "0", "--lr", "0.1", "--no-progress");
        assertThat(pretrain.status()).as(pretrain.err()).isZero();
        LinearCommandTest.Outcome linear = balcon("linear", "--run-dir", runDir.toString(), "--iterations", "20");
        assertThat(linear.status()).as(linear.err()).isZero();
        assertThat(linear.out()).startsWith("linear top-1 ").contains("% top-5 n/a  (");
        JsonNode stored = new RunDirectory(runDir).readResults().get("linear");
        assertThat(stored.get("top5").isNull()).as(stored.toString()).isTrue();
    }

    private static void assertOneLine(LinearCommandTest.Outcome outcome, String verb) {
        assertThat(outcome.status()).as(verb + ": " + outcome.err()).isEqualTo(Main.EXIT_USER_ERROR);
        assertThat(outcome.err().strip().lines()).as(verb).hasSize(1);
        assertThat(outcome.err()).startsWith("balcon: ").doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(outcome.out()).as(verb).isEmpty();
    }

    private static void assertNothingWritten(RunDirectory run) throws IOException {
        JsonNode results = run.readResults();
        for (String key : EVALUATIONS) {
            assertThat(results.has(key)).as(key + " in " + results).isFalse();
        }
        assertThat(run.root().resolve("features-train.bin")).doesNotExist();
        assertThat(run.root().resolve("features-test.bin")).doesNotExist();
    }

    private static RunDirectory copy(String name) throws IOException {
        Path target = Files.createDirectories(dir.resolve(name));
        try (var files = Files.list(finished.root())) {
            for (Path file : files.toList()) {
                if (!file.getFileName().toString().startsWith("features-")) {
                    Files.copy(file, target.resolve(file.getFileName()));
                }
            }
        }
        return new RunDirectory(target);
    }

    private static Parameter firstConvolution(ContrastiveModel model) {
        return model.trainableParameters().stream().filter(p -> p.getArray().getShape().dimension() == 4)
                .findFirst().orElseThrow();
    }

    /**
     * Loads the run's checkpoint, changes the model, and writes it back: in the current format, or with
     * {@code oldFormat} as version 2 (no checksum, written whatever the parameters), as older balcons did.
     */
    private static void rewriteCheckpoint(RunDirectory run, java.util.function.Consumer<ContrastiveModel> change,
                                          boolean oldFormat) throws IOException {
        PretrainConfig config = run.readConfig();
        try (NDManager manager = NDManager.newBaseManager();
             ContrastiveModel model = ContrastiveModel.create(config.modelConfig(1), 16, 16, manager, config.seed())) {
            Method method = new SimClr(model, config.lossConfig(), config.momentum(), config.weightDecay());
            Checkpoint.Restored restored = Checkpoint.load(run.checkpoint(), method);
            change.accept(model);
            if (oldFormat) {
                TestCheckpoints.writeVersion2(run.checkpoint(), restored.progress(), restored.normalization(), model,
                        method.optimizer());
            } else {
                Checkpoint.save(run.checkpoint(), restored.progress(), restored.normalization(), method);
            }
        }
    }

    /** IDX files of {@code images} with labels i % 10, so that every Fashion-MNIST class has images. */
    private static void writeTenClassIdx(Path dir, String prefix, ImageDataset images) throws IOException {
        LinearCommandTest.writeIdx(dir, prefix, images, IntStream.range(0, images.size()).map(i -> i % 10).toArray());
    }
}
