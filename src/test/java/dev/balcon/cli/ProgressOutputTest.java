package dev.balcon.cli;

import dev.balcon.data.ImageTrees;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a user sees on standard error, in a child JVM whose standard error is a pipe: nothing from progress
 * with --no-progress, never a carriage-return bar or an escape code when not on a terminal, and no engine
 * warnings.
 */
class ProgressOutputTest {
    /** More training images than the loader's bar threshold (500), so decoding reports progress. */
    private static final int TRAIN_PER_CLASS = 170;

    private static String[] pretrain(Path tree, String... extra) {
        List<String> args = new ArrayList<>(List.of("pretrain", "--run-dir", "run", "--dataset", "imagefolder",
                "--data", tree.toString(), "--image-size", "8", "--no-cache", "--train-limit", "32", "--arch",
                "resnet-small", "--width", "4", "--proj-hidden", "16", "--proj-out", "8", "--batch-size", "16",
                "--epochs", "1", "--warmup-epochs", "0"));
        args.addAll(List.of(extra));
        return args.toArray(String[]::new);
    }

    @Test
    void noProgressSilencesTheDecodingAndTrainingProgress(@TempDir Path dir) throws Exception {
        Path tree = ImageTrees.writeSplitTree(dir.resolve("tree"), TRAIN_PER_CLASS, 2);
        CommandLineErrorsTest.Outcome run = BalconProcess.run(dir, pretrain(tree, "--no-progress"));
        assertThat(run.status()).as(run.err()).isZero();
        assertThat(run.err()).doesNotContain("\u001b[", "\r", "Decoding", "pretrain");
    }

    @Test
    void withoutATerminalNoBarNoEscapeCodeAndNoEngineWarningDuringEvaluation(@TempDir Path dir) throws Exception {
        Path tree = ImageTrees.writeSplitTree(dir.resolve("tree"), TRAIN_PER_CLASS, 2);
        CommandLineErrorsTest.Outcome pretrain = BalconProcess.run(dir, pretrain(tree));
        assertThat(pretrain.status()).as(pretrain.err()).isZero();
        // plain lines come every 30 s, so this short job shows none, and no bar is redrawn
        assertThat(pretrain.err()).doesNotContain("\u001b[", "\r", "Decoding");

        // loading the checkpoint for evaluation once made libtorch warn "AutoNonVariableTypeMode is deprecated"
        CommandLineErrorsTest.Outcome knn = BalconProcess.run(dir, "knn", "--run-dir", "run", "--knn-k", "5");
        assertThat(knn.status()).as(knn.err()).isZero();
        assertThat(knn.out()).contains("k-NN top-1");
        assertThat(knn.err()).doesNotContain("\u001b[", "\r", "Decoding", "Warning", "AutoNonVariableTypeMode");

        // and so did loading an export's safetensors weights
        CommandLineErrorsTest.Outcome export = BalconProcess.run(dir, "export", "--run-dir", "run", "--out", "model");
        assertThat(export.status()).as(export.err()).isZero();
        CommandLineErrorsTest.Outcome embed = BalconProcess.run(dir, "embed", "--model", "model", "--dataset",
                "imagefolder", "--data", tree.toString(), "--out", "emb");
        assertThat(embed.status()).as(embed.err()).isZero();
        assertThat(embed.err()).doesNotContain("\u001b[", "\r", "Warning", "AutoNonVariableTypeMode");
    }

    @Test
    void everyVerbThatRunsALongJobTakesNoProgress() {
        for (String verb : List.of("pretrain", "demo", "knn", "linear", "bias", "bounds", "preview", "bench", "embed")) {
            CommandLineErrorsTest.Outcome help = CommandLineErrorsTest.balcon(verb, "--help");
            assertThat(help.out()).as(verb).contains("--no-progress");
        }
        for (String verb : List.of("sweep", "tune")) {
            CommandLineErrorsTest.Outcome help = CommandLineErrorsTest.balcon(verb, "--help");
            assertThat(help.out()).as(verb).contains("--[no-]progress");
        }
    }
}
