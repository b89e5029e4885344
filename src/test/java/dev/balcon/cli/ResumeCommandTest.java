package dev.balcon.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.balcon.train.PretrainConfig;
import dev.balcon.train.RunDirectory;
import dev.balcon.train.SyntheticImages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static dev.balcon.cli.LinearCommandTest.balcon;
import static org.assertj.core.api.Assertions.assertThat;

/** 'pretrain --resume' with and without options, on a one-epoch run of 16x16 synthetic images stored as IDX files. */
class ResumeCommandTest {
    /** Options far from the defaults, so that a resume that compared with the defaults would be refused. */
    private static final List<String> TINY = List.of("--width", "4", "--proj-hidden", "16", "--proj-out", "8",
            "--batch-size", "16", "--lr", "0.1", "--warmup-epochs", "0", "--seed", "7", "--no-monitor-bounds",
            "--no-progress");

    private static Path data(Path dir) throws IOException {
        Path data = Files.createDirectories(dir.resolve("data"));
        LinearCommandTest.writeIdx(data, "train", SyntheticImages.quadrants(48, 16, 1));
        LinearCommandTest.writeIdx(data, "t10k", SyntheticImages.quadrants(16, 16, 2));
        return data;
    }

    private static String[] args(Path run, Path data, String... more) {
        List<String> args = new ArrayList<>(List.of("pretrain", "--run-dir", run.toString(), "--data", data.toString()));
        args.addAll(TINY);
        args.addAll(Arrays.asList(more));
        return args.toArray(String[]::new);
    }

    private static Path finishedRun(Path dir) throws IOException {
        Path run = dir.resolve("run");
        LinearCommandTest.Outcome first = balcon(args(run, data(dir), "--epochs", "1"));
        assertThat(first.status()).as(first.err()).isZero();
        return run;
    }

    @Test
    void plainResumeOfAFinishedRunHasNothingToDoAndChangesNothing(@TempDir Path dir) throws Exception {
        Path run = finishedRun(dir);
        RunDirectory directory = new RunDirectory(run);
        byte[] results = Files.readAllBytes(directory.results());
        byte[] metrics = Files.readAllBytes(directory.metrics());

        LinearCommandTest.Outcome again = balcon("pretrain", "--run-dir", run.toString(), "--resume", "--no-progress");

        assertThat(again.status()).as(again.err()).isZero();
        assertThat(again.out().strip()).startsWith("nothing to do").contains("finished its 1 epochs")
                .doesNotContain("\n");
        assertThat(Files.readAllBytes(directory.results())).isEqualTo(results);
        assertThat(Files.readAllBytes(directory.metrics())).isEqualTo(metrics);
    }

    @Test
    void resumeWithOptionsThatChangeTheTrainingIsRefusedListingEachOption(@TempDir Path dir) throws Exception {
        Path run = finishedRun(dir);
        byte[] results = Files.readAllBytes(new RunDirectory(run).results());

        LinearCommandTest.Outcome refused = balcon("pretrain", "--run-dir", run.toString(), "--resume", "--epochs", "2",
                "--lr", "0.01", "--batch-size", "8", "--crop-scale", "0.5,1.0", "--no-progress");

        assertThat(refused.status()).isEqualTo(Main.EXIT_USER_ERROR);
        assertThat(refused.err().strip()).startsWith("balcon: ").doesNotContain("\n").doesNotContain("Exception")
                .contains("--lr (stored 0.1, given 0.01)", "--batch-size (stored 16, given 8)",
                        "--crop-scale (stored 0.2,1.0, given 0.5,1.0)")
                .doesNotContain("--epochs (stored")
                .contains("--no-cache", "--no-progress");
        assertThat(Files.readAllBytes(new RunDirectory(run).results())).isEqualTo(results);
    }

    @Test
    void restatingTheLossAsItsPresetDefaultsIsNoChange(@TempDir Path dir) throws Exception {
        Path run = finishedRun(dir); // nt_xent with tau left to the preset (stored as null)
        LinearCommandTest.Outcome same = balcon("pretrain", "--run-dir", run.toString(), "--resume", "--tau", "0.5",
                "--loss", "nt_xent", "--no-progress");
        assertThat(same.status()).as(same.err()).isZero();
        assertThat(same.out()).startsWith("nothing to do");

        LinearCommandTest.Outcome other = balcon("pretrain", "--run-dir", run.toString(), "--resume", "--tau", "0.2",
                "--no-progress");
        assertThat(other.status()).isEqualTo(Main.EXIT_USER_ERROR);
        assertThat(other.err()).contains("--tau (stored null, given 0.2)");
    }

    @Test
    void resumeWithMoreEpochsExtendsTheRunKeepingItsOtherOptions(@TempDir Path dir) throws Exception {
        Path run = finishedRun(dir);

        // --lr restated with its stored value and --workers changed: neither is refused
        LinearCommandTest.Outcome extended = balcon("pretrain", "--run-dir", run.toString(), "--resume", "--epochs", "2",
                "--lr", "0.1", "--workers", "2", "--no-progress");

        assertThat(extended.status()).as(extended.err()).isZero();
        assertThat(extended.out()).contains("finished 2 epochs");
        RunDirectory directory = new RunDirectory(run);
        PretrainConfig config = directory.readConfig();
        assertThat(config.epochs()).isEqualTo(2);
        assertThat(config.workers()).isEqualTo(2);
        assertThat(config.model().width()).isEqualTo(4);
        assertThat(config.batchSize()).isEqualTo(16);
        JsonNode pretrain = directory.readResults().get("pretrain");
        assertThat(pretrain.get("epochsDone").asInt()).isEqualTo(2);
        assertThat(pretrain.get("finalLoss").asDouble()).isFinite();
        assertThat(directory.readResults().get("extensions").get(0).get("epochsBefore").asInt()).isEqualTo(1);
    }

    @Test
    void resumeWhereNoRunIsStoredStartsIt(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("run");

        LinearCommandTest.Outcome started = balcon(args(run, data(dir), "--epochs", "1", "--resume"));

        assertThat(started.status()).as(started.err()).isZero();
        assertThat(new RunDirectory(run).readConfig().model().width()).isEqualTo(4);
        assertThat(new RunDirectory(run).readResults().get("pretrain").get("epochsDone").asInt()).isEqualTo(1);
    }

    @Test
    void aNewRunWhereARunIsStoredIsRefusedNamingTheOptions(@TempDir Path dir) throws Exception {
        Path run = finishedRun(dir);

        LinearCommandTest.Outcome again = balcon(args(run, dir.resolve("data"), "--epochs", "1"));

        assertThat(again.status()).isEqualTo(Main.EXIT_USER_ERROR);
        assertThat(again.err().strip()).isEqualTo("balcon: --run-dir " + run + " already holds a run: pass --resume "
                + "to continue it, or choose another --run-dir");
    }

    @Test
    void aBatchLargerThanTheTrainingSetIsToldByItsOption(@TempDir Path dir) throws Exception {
        String[] args = args(dir.resolve("run"), data(dir), "--epochs", "1");
        args[Arrays.asList(args).indexOf("--batch-size") + 1] = "64";

        LinearCommandTest.Outcome outcome = balcon(args);

        assertThat(outcome.status()).isEqualTo(Main.EXIT_USER_ERROR);
        assertThat(outcome.err().strip()).isEqualTo("balcon: --batch-size must be at most the size of the training "
                + "set: it has 48 images, fewer than one batch of 64");
    }

    @Test
    void everyConfigurationFieldHasItsTrainingOption() {
        for (String field : PretrainConfig.fieldPaths()) {
            String option = TrainingOptions.optionOf(field);
            assertThat(TrainingOptions.fieldsOf(option)).contains(field);
        }
        List<String> fields = PretrainConfig.fieldPaths();
        for (String option : TrainingOptions.optionNames()) {
            assertThat(fields).as(option).containsAll(TrainingOptions.fieldsOf(option));
        }
    }
}
