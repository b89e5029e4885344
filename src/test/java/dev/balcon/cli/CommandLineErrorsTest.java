package dev.balcon.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Bad input gets one clear line on stderr and a non-zero exit, never a stack trace. */
class CommandLineErrorsTest {

    record Outcome(int status, String out, String err) {}

    static Outcome balcon(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Outcome(status, out.toString(), err.toString());
    }

    private static void assertOneLineError(Outcome outcome, String... fragments) {
        assertThat(outcome.status()).isEqualTo(Main.EXIT_USER_ERROR);
        assertThat(outcome.err().strip().lines()).hasSize(1);
        assertThat(outcome.err()).startsWith("balcon: ").doesNotContain("\tat ").doesNotContain("Exception");
        for (String fragment : fragments) {
            assertThat(outcome.err()).contains(fragment);
        }
    }

    @Test
    void unknownOption(@TempDir Path dir) {
        assertOneLineError(balcon("pretrain", "--run-dir", dir.toString(), "--bogus"), "--bogus");
    }

    @Test
    void batchSizeBelowTwo(@TempDir Path dir) {
        assertOneLineError(balcon("pretrain", "--run-dir", dir.toString(), "--batch-size", "1"), "--batch-size", "got 1");
    }

    @Test
    void nonPositiveLearningRate(@TempDir Path dir) {
        assertOneLineError(balcon("pretrain", "--run-dir", dir.toString(), "--lr", "0"), "--lr");
    }

    @Test
    void nonPositiveTemperature(@TempDir Path dir) {
        assertOneLineError(balcon("pretrain", "--run-dir", dir.toString(), "--tau", "-0.5"),
                "--tau must be a finite number > 0, got -0.5");
    }

    @Test
    void evaluatorSettingsAreToldByTheirOptions(@TempDir Path dir) {
        assertOneLineError(balcon("knn", "--run-dir", dir.toString(), "--knn-k", "0"), "--knn-k must be >= 1, got 0");
        assertOneLineError(balcon("knn", "--run-dir", dir.toString(), "--knn-temperature", "0"),
                "--knn-temperature must be a finite number > 0, got 0.0");
        assertOneLineError(balcon("linear", "--run-dir", dir.toString(), "--iterations", "0"),
                "--iterations must be >= 1, got 0");
        assertOneLineError(balcon("demo", "--run-dir", dir.toString(), "--knn-k", "0"), "--knn-k must be >= 1, got 0");
    }

    @Test
    void lossParameterTheLossPresetDoesNotTake(@TempDir Path dir) {
        assertOneLineError(balcon("pretrain", "--run-dir", dir.toString(), "--loss", "nt_xent", "--alpha", "2"),
                "--alpha does not apply to loss preset nt_xent: it takes tau");
    }

    @Test
    void unknownLossPreset(@TempDir Path dir) {
        assertOneLineError(balcon("pretrain", "--run-dir", dir.toString(), "--loss", "triplet"), "triplet", "balanced");
    }

    @Test
    void missingDataset(@TempDir Path dir) {
        Outcome outcome = balcon("pretrain", "--run-dir", dir.resolve("run").toString(), "--data", dir.resolve("nowhere").toString());
        assertOneLineError(outcome, "Fashion-MNIST", "apt-get install -y dataset-fashion-mnist");
    }

    @Test
    void idxFileWithWrongMagicNumber(@TempDir Path dir) throws IOException {
        Path data = Files.createDirectories(dir.resolve("data"));
        writeIdx(data.resolve("train-images-idx3-ubyte"), 1234, 2, 28, 28);
        writeIdx(data.resolve("train-labels-idx1-ubyte"), 2049, 2);
        writeIdx(data.resolve("t10k-images-idx3-ubyte"), 2051, 2, 28, 28);
        writeIdx(data.resolve("t10k-labels-idx1-ubyte"), 2049, 2);
        Outcome outcome = balcon("pretrain", "--run-dir", dir.resolve("run").toString(), "--data", data.toString());
        assertOneLineError(outcome, "train-images-idx3-ubyte", "1234");
    }

    @Test
    void knnOfADirectoryWithoutARun(@TempDir Path dir) {
        assertOneLineError(balcon("knn", "--run-dir", dir.toString()), "config.json");
    }

    @Test
    void helpListsEveryVerbAndOption() {
        Outcome top = balcon("--help");
        assertThat(top.status()).isZero();
        assertThat(top.out()).contains("pretrain", "knn", "demo");
        Outcome pretrain = balcon("pretrain", "--help");
        assertThat(pretrain.out()).contains("--loss", "--tau", "--alpha", "--lambda", "--crop-scale", "--resume", "--batch-size");
    }

    /** An IDX header (magic, dimensions) followed by zero bytes for the data. */
    private static void writeIdx(Path file, int magic, int... dimensions) throws IOException {
        try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(file))) {
            out.writeInt(magic);
            long size = 1;
            for (int dimension : dimensions) {
                out.writeInt(dimension);
                size *= dimension;
            }
            out.write(new byte[(int) size]);
        }
    }
}
