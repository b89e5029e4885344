package dev.balcon.train;

import com.fasterxml.jackson.databind.JsonNode;
import dev.balcon.BalconException;
import dev.balcon.InvalidField;
import dev.balcon.augment.Normalization;
import dev.balcon.data.ImageDataset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class PretrainerTest {
    private static final ImageDataset IMAGES = SyntheticImages.quadrants(96, 16, 3);
    private static final Normalization NORMALIZATION = new Normalization(new float[] {0.4f}, new float[] {0.3f});

    private static PretrainConfig config(int epochs, double learningRate) {
        return PretrainConfig.builder().width(4).projectorHidden(16).projectorOut(8).batchSize(16).tau(0.5).epochs(epochs).learningRate(learningRate)
                .warmupEpochs(0.5).seed(7).workers(2).boundMonitor(false).build();
    }

    private static List<JsonNode> rows(RunDirectory run, String type) throws Exception {
        return Files.readAllLines(run.metrics()).stream().map(line -> {
            try {
                return RunDirectory.JSON.readTree(line);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }).filter(row -> row.get("type").asText().equals(type)).toList();
    }

    @Test
    void trainsWritesMetricsCheckpointAndResults(@TempDir Path dir) throws Exception {
        RunDirectory run = new RunDirectory(dir.resolve("run"));
        PretrainResult result = new Pretrainer(config(2, 0.1), IMAGES, NORMALIZATION, run).showProgress(false).run(false);

        assertThat(result.status()).isEqualTo(PretrainResult.FINISHED);
        assertThat(result.epochsDone()).isEqualTo(2);
        assertThat(result.globalStep()).isEqualTo(2 * (96 / 16));
        assertThat(result.finalLoss()).isFinite();
        assertThat(result.imagesPerSecond()).isPositive();
        List<JsonNode> epochs = rows(run, "epoch");
        assertThat(epochs).hasSize(2);
        assertThat(epochs.get(1).get("loss").asDouble()).isCloseTo(result.finalLoss(), within(1e-9));
        assertThat(rows(run, "step")).isNotEmpty().allSatisfy(row -> {
            assertThat(row.get("lr").asDouble()).isPositive();
            assertThat(row.get("images_per_s").asDouble()).isPositive();
        });
        assertThat(Files.size(run.checkpoint())).isGreaterThan(1000);
        assertThat(run.readConfig()).isEqualTo(config(2, 0.1));
        assertThat(run.readResults().get("pretrain").get("status").asText()).isEqualTo("finished");
    }

    @Test
    void trainingStepsLeaveNoArraysBehind() {
        // A leak of one gradient-sized array per parameter and step once grew a 20-epoch run to 23 GB.
        try (ai.djl.ndarray.NDManager manager = ai.djl.ndarray.NDManager.newBaseManager();
             dev.balcon.model.ContrastiveModel model = dev.balcon.model.ContrastiveModel.create(
                     config(1, 0.1).modelConfig(1), 16, 16, manager, 5)) {
            TrainStep step = new TrainStep(new SimClr(model, config(1, 0.1).lossConfig(), 0.9, 5e-4));
            float[] view = new float[16 * 16 * 16];
            java.util.Arrays.fill(view, 0.5f);
            for (int i = 0; i < view.length; i += 7) {
                view[i] = -1f;
            }
            dev.balcon.augment.TwoViewBatch batch = new dev.balcon.augment.TwoViewBatch(view, view.clone(),
                    new int[16], 16, 1, 16, 16);
            step.run(batch, 0.1, 0, 1);
            int arraysAfterFirstStep = manager.getManagedArrays().size();
            for (int i = 0; i < 5; i++) {
                step.run(batch, 0.1, 0, 1);
            }
            assertThat(manager.getManagedArrays()).hasSize(arraysAfterFirstStep);
        }
    }

    @Test
    void theCheckpointCarriesTheInputNormalisationOfTraining(@TempDir Path dir) throws Exception {
        RunDirectory run = new RunDirectory(dir);
        new Pretrainer(config(1, 0.1), IMAGES, NORMALIZATION, run).showProgress(false).run(false);
        try (ai.djl.ndarray.NDManager manager = ai.djl.ndarray.NDManager.newBaseManager();
             dev.balcon.model.ContrastiveModel model = dev.balcon.model.ContrastiveModel.create(
                     config(1, 0.1).modelConfig(1), 16, 16, manager, 99)) {
            Checkpoint.Restored restored = Checkpoint.loadModel(run.checkpoint(), model);
            assertThat(restored.normalization().mean()).containsExactly(NORMALIZATION.mean());
            assertThat(restored.normalization().std()).containsExactly(NORMALIZATION.std());
            assertThat(restored.progress()).isEqualTo(new Checkpoint.Progress(1, 96 / 16));
        }
    }

    @Test
    void aRunStoppedAfterAnEpochResumesToTheSameResult(@TempDir Path dir) throws Exception {
        RunDirectory straight = new RunDirectory(dir.resolve("straight"));
        PretrainResult uninterrupted = new Pretrainer(config(2, 0.1), IMAGES, NORMALIZATION, straight)
                .showProgress(false).run(false);

        RunDirectory interrupted = new RunDirectory(dir.resolve("interrupted"));
        Pretrainer crashing = new Pretrainer(config(2, 0.1), IMAGES, NORMALIZATION, interrupted).showProgress(false)
                .addMonitor((epoch, model) -> {
                    throw new IllegalStateException("killed after epoch " + epoch);
                });
        assertThatThrownBy(() -> crashing.run(false)).hasMessageContaining("killed after epoch 1");
        assertThat(Files.exists(interrupted.checkpoint())).isTrue();
        assertThatThrownBy(() -> new Pretrainer(config(2, 0.1), IMAGES, NORMALIZATION, interrupted).run(false))
                .isInstanceOf(Pretrainer.RunExists.class).hasMessageContaining("already holds a run: resume it");

        PretrainResult resumed = new Pretrainer(config(2, 0.1), IMAGES, NORMALIZATION, interrupted)
                .showProgress(false).run(true);
        assertThat(resumed.epochsDone()).isEqualTo(2);
        assertThat(resumed.globalStep()).isEqualTo(uninterrupted.globalStep());
        assertThat(resumed.finalLoss()).isCloseTo(uninterrupted.finalLoss(), within(1e-4 * Math.abs(uninterrupted.finalLoss())));
    }

    @Test
    void aNonFiniteLossStopsTheRunAsDiverged(@TempDir Path dir) throws Exception {
        RunDirectory run = new RunDirectory(dir);
        // A learning rate of 1e38 overflows float32 weights on the first update, so the second loss is not finite.
        PretrainResult result = new Pretrainer(config(2, 1e38), IMAGES, NORMALIZATION, run).showProgress(false).run(false);
        assertThat(result.diverged()).isTrue();
        assertThat(result.globalStep()).isBetween(1L, 12L);
        assertThat(rows(run, "diverged")).hasSize(1);
        JsonNode stored = run.readResults().get("pretrain");
        assertThat(stored.get("status").asText()).isEqualTo("diverged");
        assertThat(stored.get("globalStep").asLong()).isEqualTo(result.globalStep());
    }

    @Test
    void anUpdateThatLeavesNonFiniteParametersEndsTheRunAsDivergedWithoutACheckpoint(@TempDir Path dir)
            throws Exception {
        RunDirectory run = new RunDirectory(dir);
        // One batch per epoch: the epoch's only loss is finite, and its update (a learning rate of 1e300 is
        // infinite in float32) leaves the weights infinite or NaN just before the checkpoint would be written.
        PretrainConfig config = PretrainConfig.builder().width(4).projectorHidden(16).projectorOut(8).batchSize(16)
                .tau(0.5).epochs(2).learningRate(1e300).warmupEpochs(0).seed(7).workers(1).boundMonitor(false).build();
        PretrainResult result = new Pretrainer(config, SyntheticImages.quadrants(16, 16, 3), NORMALIZATION, run)
                .showProgress(false).run(false);
        assertThat(result.diverged()).isTrue();
        assertThat(result.epochsDone()).isZero();
        assertThat(result.globalStep()).isEqualTo(1);
        assertThat(run.checkpoint()).doesNotExist();
        List<JsonNode> diverged = rows(run, "diverged");
        assertThat(diverged).hasSize(1);
        assertThat(diverged.get(0).get("cause").asText()).endsWith("parameter values became NaN or infinite");
        assertThat(run.readResults().get("pretrain").get("status").asText()).isEqualTo("diverged");
    }

    @Test
    void aDatasetSmallerThanOneBatchIsAClearError(@TempDir Path dir) {
        ImageDataset tiny = SyntheticImages.quadrants(8, 16, 1);
        assertThatThrownBy(() -> new Pretrainer(config(1, 0.1), tiny, NORMALIZATION, new RunDirectory(dir))
                .showProgress(false).run(false))
                .isInstanceOf(InvalidField.class).hasMessage("batchSize must be at most the size of the training set: it "
                        + "has 8 images, fewer than one batch of 16");
    }

    @Test
    void invalidOptionsAreRejectedBeforeAnyWork() {
        assertThatThrownBy(() -> PretrainConfig.builder().batchSize(1).build())
                .isInstanceOf(BalconException.class).hasMessageStartingWith("batchSize must be >= 2");
        assertThatThrownBy(() -> PretrainConfig.builder().learningRate(0).build())
                .isInstanceOf(BalconException.class).hasMessage("optimizer.lr must be a finite number > 0, got 0.0");
    }

    @Test
    void aRunKilledInTheMiddleOfAnEpochLogsNoStepTwiceAfterItsResume(@TempDir Path dir) throws Exception {
        RunDirectory straight = new RunDirectory(dir.resolve("straight"));
        new Pretrainer(config(2, 0.1), IMAGES, NORMALIZATION, straight).showProgress(false).run(false);

        // What a kill late in epoch 2 leaves: its step rows logged, the checkpoint still the one of epoch 1, no
        // result, and a line torn in the middle.
        RunDirectory killed = new RunDirectory(dir.resolve("killed"));
        Path epochOne = dir.resolve("checkpoint-epoch-1.bin");
        Pretrainer crashing = new Pretrainer(config(2, 0.1), IMAGES, NORMALIZATION, killed).showProgress(false)
                .addMonitor((epoch, model) -> {
                    if (epoch == 2) {
                        throw new IllegalStateException("killed in epoch 2");
                    }
                    try {
                        Files.copy(killed.checkpoint(), epochOne);
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                    return java.util.Map.of();
                });
        assertThatThrownBy(() -> crashing.run(false)).hasMessageContaining("killed in epoch 2");
        Files.copy(epochOne, killed.checkpoint(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.delete(killed.results());
        Files.writeString(killed.metrics(), "{\"type\":\"step\",\"epoch\":2,\"st", java.nio.file.StandardOpenOption.APPEND);

        PretrainResult resumed = new Pretrainer(config(2, 0.1), IMAGES, NORMALIZATION, killed).showProgress(false)
                .run(true);

        assertThat(resumed.epochsDone()).isEqualTo(2);
        List<JsonNode> steps = rows(killed, "step");
        assertThat(steps.stream().map(row -> row.get("epoch").asInt() + "/" + row.get("step").asLong()))
                .doesNotHaveDuplicates()
                .containsExactlyElementsOf(rows(straight, "step").stream()
                        .map(row -> row.get("epoch").asInt() + "/" + row.get("step").asLong()).toList());
        assertThat(rows(killed, "epoch")).hasSize(2);
    }

    @Test
    void resumingAFinishedRunLeavesEveryFileAsItIs(@TempDir Path dir) throws Exception {
        RunDirectory run = new RunDirectory(dir);
        PretrainResult finished = new Pretrainer(config(1, 0.1), IMAGES, NORMALIZATION, run).showProgress(false).run(false);
        byte[] results = Files.readAllBytes(run.results());
        byte[] metrics = Files.readAllBytes(run.metrics());
        byte[] configJson = Files.readAllBytes(run.config());
        byte[] checkpoint = Files.readAllBytes(run.checkpoint());

        PretrainResult again = new Pretrainer(config(1, 0.1), IMAGES, NORMALIZATION, run).showProgress(false).run(true);

        assertThat(again).isEqualTo(finished);
        assertThat(Files.readAllBytes(run.results())).isEqualTo(results);
        assertThat(Files.readAllBytes(run.metrics())).isEqualTo(metrics);
        assertThat(Files.readAllBytes(run.config())).isEqualTo(configJson);
        assertThat(Files.readAllBytes(run.checkpoint())).isEqualTo(checkpoint);
    }

    @Test
    void moreEpochsExtendAFinishedRunOnTheScheduleOfTheNewTotal(@TempDir Path dir) throws Exception {
        RunDirectory run = new RunDirectory(dir);
        new Pretrainer(config(1, 0.1), IMAGES, NORMALIZATION, run).showProgress(false).run(false);
        double lastRateOfEpochOne = rows(run, "step").get(rows(run, "step").size() - 1).get("lr").asDouble();

        // workers changes too: the views do not depend on the number of threads
        PretrainConfig extended = config(2, 0.1).toBuilder().workers(1).build();
        PretrainResult result = new Pretrainer(extended, IMAGES, NORMALIZATION, run).showProgress(false).run(true);

        int stepsPerEpoch = 96 / 16;
        assertThat(result.epochsDone()).isEqualTo(2);
        assertThat(result.globalStep()).isEqualTo(2L * stepsPerEpoch);
        assertThat(run.readConfig()).isEqualTo(extended);
        LearningRateSchedule schedule = new LearningRateSchedule(0.1, stepsPerEpoch / 2, 2L * stepsPerEpoch);
        List<JsonNode> epochTwo = rows(run, "step").stream().filter(row -> row.get("epoch").asInt() == 2).toList();
        assertThat(epochTwo).isNotEmpty().allSatisfy(row -> assertThat(row.get("lr").asDouble())
                .isCloseTo(schedule.at(row.get("step").asLong() - 1), within(1e-12)));
        // the schedule of the new total stands higher at the join than the old one ended
        assertThat(schedule.at(stepsPerEpoch)).isGreaterThan(lastRateOfEpochOne);
        assertThat(rows(run, "extended")).singleElement().satisfies(row -> {
            assertThat(row.get("epoch").asInt()).isEqualTo(1);
            assertThat(row.get("epochs_before").asInt()).isEqualTo(1);
            assertThat(row.get("epochs").asInt()).isEqualTo(2);
        });
        JsonNode extensions = run.readResults().get("extensions");
        assertThat(extensions).hasSize(1);
        assertThat(extensions.get(0).get("afterEpoch").asInt()).isEqualTo(1);
        assertThat(extensions.get(0).get("step").asLong()).isEqualTo(stepsPerEpoch);
        assertThat(extensions.get(0).get("epochsBefore").asInt()).isEqualTo(1);
        assertThat(extensions.get(0).get("epochs").asInt()).isEqualTo(2);
        assertThat(run.readResults().get("pretrain").get("epochsDone").asInt()).isEqualTo(2);
    }

    @Test
    void aResumeThatWouldChangeTheTrainingIsRefusedNamingEachField(@TempDir Path dir) throws Exception {
        RunDirectory run = new RunDirectory(dir);
        new Pretrainer(config(2, 0.1), IMAGES, NORMALIZATION, run).showProgress(false).run(false);
        byte[] results = Files.readAllBytes(run.results());
        byte[] metrics = Files.readAllBytes(run.metrics());

        PretrainConfig changed = config(3, 0.01).toBuilder().batchSize(8).build();
        assertThatThrownBy(() -> new Pretrainer(changed, IMAGES, NORMALIZATION, run).showProgress(false).run(true))
                .isInstanceOfSatisfying(Pretrainer.ResumeConflict.class, conflict -> assertThat(conflict.fields())
                        .containsExactly("optimizer.lr", "batchSize"))
                .hasMessageContaining("batchSize (stored 16, asked 8)").hasMessageContaining("optimizer.lr (stored 0.1, asked 0.01)")
                .hasMessageNotContaining("\n");
        assertThatThrownBy(() -> new Pretrainer(config(1, 0.1), IMAGES, NORMALIZATION, run).showProgress(false).run(true))
                .isInstanceOf(Pretrainer.ResumeConflict.class).hasMessageContaining("epochs (stored 2, asked 1)");
        assertThat(Files.readAllBytes(run.results())).isEqualTo(results);
        assertThat(Files.readAllBytes(run.metrics())).isEqualTo(metrics);
        assertThat(run.readConfig()).isEqualTo(config(2, 0.1));
    }

    @Test
    void aRunKilledWhileMeasuringItsLastEpochHasItsResultAndNothingToDoOnResume(@TempDir Path dir) throws Exception {
        RunDirectory run = new RunDirectory(dir);
        Pretrainer crashing = new Pretrainer(config(1, 0.1), IMAGES, NORMALIZATION, run).showProgress(false)
                .addMonitor((epoch, model) -> {
                    throw new IllegalStateException("killed while measuring epoch " + epoch);
                });
        assertThatThrownBy(() -> crashing.run(false)).hasMessageContaining("killed while measuring epoch 1");

        PretrainResult resumed = new Pretrainer(config(1, 0.1), IMAGES, NORMALIZATION, run).showProgress(false).run(true);

        assertThat(resumed.status()).isEqualTo(PretrainResult.FINISHED);
        assertThat(resumed.epochsDone()).isEqualTo(1);
        assertThat(resumed.finalLoss()).isFinite();
        assertThat(resumed.imagesPerSecond()).isPositive();
        assertThat(run.readResults().get("pretrain").get("finalLoss").asDouble()).isEqualTo(resumed.finalLoss());
    }
}
