package dev.balcon.cli;

import static dev.balcon.cli.LinearCommandTest.balcon;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.engine.Engine;
import com.fasterxml.jackson.databind.JsonNode;
import dev.balcon.train.RunDirectory;
import dev.balcon.train.SyntheticImages;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --device and --shards end to end on the CPU, and their bad values as one-line usage errors. */
class DeviceCommandTest {
    private static final List<String> TINY = List.of("--width", "4", "--proj-hidden", "16", "--proj-out", "8",
            "--batch-size", "16", "--lr", "0.1", "--warmup-epochs", "0", "--seed", "7", "--no-monitor-bounds",
            "--no-progress", "--epochs", "1");

    private static Path data(Path dir) throws IOException {
        Path data = Files.createDirectories(dir.resolve("data"));
        LinearCommandTest.writeIdx(data, "train", SyntheticImages.quadrants(48, 16, 1));
        LinearCommandTest.writeIdx(data, "t10k", SyntheticImages.quadrants(16, 16, 2));
        return data;
    }

    private static String[] pretrain(Path run, Path data, String... more) {
        List<String> args = new ArrayList<>(
                List.of("pretrain", "--run-dir", run.toString(), "--data", data.toString()));
        args.addAll(TINY);
        args.addAll(Arrays.asList(more));
        return args.toArray(String[]::new);
    }

    @Test
    void pretrainWithShardsOnTheCpuThenKnnOnTheSameDevice(@TempDir Path dir) throws IOException {
        Path data = data(dir);
        Path run = dir.resolve("run");
        LinearCommandTest.Outcome trained = balcon(pretrain(run, data, "--device", "cpu", "--shards", "4"));
        assertThat(trained.status()).as(trained.err()).isZero();
        JsonNode result = new RunDirectory(run).readResults().get("pretrain");
        assertThat(result.get("status").asText()).isEqualTo("finished");
        assertThat(result.get("finalLoss").asDouble()).isFinite().isPositive();
        assertThat(new RunDirectory(run).readConfig().shards()).isEqualTo(4);
        assertOneLineError(balcon(pretrain(run, data, "--resume", "--shards", "2")),
                "--resume cannot change --shards (stored 4, given 2)");

        LinearCommandTest.Outcome knn = balcon("knn", "--run-dir", run.toString(), "--device", "auto",
                "--no-progress");
        assertThat(knn.status()).as(knn.err()).isZero();
        assertThat(knn.out()).contains("k-NN");
    }

    @Test
    void shardsThatDoNotDivideTheBatchAreAUsageError(@TempDir Path dir) throws IOException {
        LinearCommandTest.Outcome refused = balcon(pretrain(dir.resolve("run"), data(dir), "--shards", "3"));
        assertOneLineError(refused, "shards = 3 must be >= 1 and divide batchSize 16");
        assertThat(dir.resolve("run/checkpoint.bin")).doesNotExist();
        assertOneLineError(balcon(pretrain(dir.resolve("run"), data(dir), "--shards", "0")), "shards = 0");
        assertOneLineError(balcon(pretrain(dir.resolve("run"), data(dir), "--method", "simsiam", "--shards", "2")),
                "shards = 2 splits the negatives of a batch (simclr, moco); method simsiam compares no negatives");
    }

    @Test
    void aDeviceNameThatIsNoDeviceIsAUsageError(@TempDir Path dir) {
        assertOneLineError(balcon("knn", "--run-dir", dir.toString(), "--device", "tpu"),
                "--device", "device must be cpu, gpu, gpu:N or auto, got 'tpu'");
    }

    @Test
    void aGpuWhereDjlFindsNoneIsAUsageErrorOfEveryComputingVerb(@TempDir Path dir) {
        assumeTrue(Engine.getInstance().getGpuCount() == 0, "DJL finds a GPU here");
        String run = dir.toString();
        for (String[] args : new String[][] {{"pretrain", "--run-dir", run}, {"knn", "--run-dir", run},
                {"linear", "--run-dir", run}, {"bias", "--run-dir", run}, {"bounds", "--run-dir", run},
                {"export", "--run-dir", run, "--out", run + "/m"}, {"embed", "--run-dir", run, "--out", run + "/e"},
                {"bench", "--no-peer"}, {"demo"}}) {
            List<String> withDevice = new ArrayList<>(Arrays.asList(args));
            withDevice.addAll(List.of("--device", "gpu:1"));
            assertOneLineError(balcon(withDevice.toArray(String[]::new)), "--device",
                    "device gpu:1: DJL's PyTorch engine finds no GPU");
        }
    }

    private static void assertOneLineError(LinearCommandTest.Outcome outcome, String... fragments) {
        assertThat(outcome.status()).as(outcome.err()).isEqualTo(Main.EXIT_USER_ERROR);
        assertThat(outcome.err().strip().lines()).hasSize(1);
        assertThat(outcome.err()).startsWith("balcon: ").doesNotContain("\tat ").doesNotContain("Exception");
        for (String fragment : fragments) {
            assertThat(outcome.err()).contains(fragment);
        }
    }
}
