package dev.balcon.train;

import com.fasterxml.jackson.databind.JsonNode;
import dev.balcon.BalconException;
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
        return new PretrainConfig("fashion-mnist", null, 0, "resnet-small", 4, 16, 8,
                "nt_xent", 0.5, null, null, null, "cosine", "simclr", 0.2, 1.0,
                epochs, 16, learningRate, 0.9, 5e-4, 0.5, 7, 2, false, 0, 0, null);
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
                .isInstanceOf(BalconException.class).hasMessageContaining("--resume");

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
    void aDatasetSmallerThanOneBatchIsAClearError(@TempDir Path dir) {
        ImageDataset tiny = SyntheticImages.quadrants(8, 16, 1);
        assertThatThrownBy(() -> new Pretrainer(config(1, 0.1), tiny, NORMALIZATION, new RunDirectory(dir))
                .showProgress(false).run(false))
                .isInstanceOf(BalconException.class).hasMessageContaining("--batch-size");
    }

    @Test
    void invalidOptionsAreRejectedBeforeAnyWork() {
        assertThatThrownBy(() -> new PretrainConfig("fashion-mnist", null, 0, "resnet-small", 4, 16, 8, "nt_xent", 0.5,
                null, null, null, "cosine", "simclr", 0.2, 1.0, 1, 1, 0.1, 0.9, 0, 0, 0, 1, false, 0, 0, null))
                .isInstanceOf(BalconException.class).hasMessageContaining("--batch-size");
        assertThatThrownBy(() -> new PretrainConfig("fashion-mnist", null, 0, "resnet-small", 4, 16, 8, "nt_xent", 0.5,
                null, null, null, "cosine", "simclr", 0.2, 1.0, 1, 16, 0, 0.9, 0, 0, 0, 1, false, 0, 0, null))
                .isInstanceOf(BalconException.class).hasMessageContaining("--lr");
    }
}
