package dev.balcon.cli;

import dev.balcon.data.ImageTrees;
import dev.balcon.train.PretrainConfig;
import dev.balcon.train.RunDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static dev.balcon.cli.CommandLineErrorsTest.balcon;
import static org.assertj.core.api.Assertions.assertThat;

/** An output path that cannot be written is the user's to fix: one line naming it, exit status 2, no stack trace. */
class OutputPathErrorsTest {
    private static void assertOneLineError(CommandLineErrorsTest.Outcome outcome, String... fragments) {
        assertThat(outcome.status()).as(outcome.err()).isEqualTo(Main.EXIT_USER_ERROR);
        assertThat(outcome.err().strip().lines()).hasSize(1);
        assertThat(outcome.err()).startsWith("balcon: ").doesNotContain("\tat ", "failed:", "Exception");
        assertThat(outcome.err()).contains(fragments);
    }

    @Test
    void aRunDirectoryThatIsAFile(@TempDir Path dir) throws IOException {
        Path tree = ImageTrees.writeSplitTree(dir.resolve("tree"), 6, 1);
        Path file = Files.writeString(dir.resolve("not-a-directory"), "x");
        for (Path runDir : new Path[] {file, file.resolve("run")}) {
            assertOneLineError(balcon("pretrain", "--run-dir", runDir.toString(), "--dataset", "imagefolder", "--data",
                    tree.toString(), "--image-size", "8", "--no-cache", "--arch", "resnet-small", "--width", "4",
                    "--batch-size", "8", "--epochs", "1", "--no-progress"), file.toString());
        }
    }

    @Test
    void aReportIntoAFolderThatIsAFile(@TempDir Path dir) throws IOException {
        RunDirectory run = new RunDirectory(dir.resolve("run"));
        run.create();
        run.writeConfig(PretrainConfig.builder().build());
        Path file = Files.writeString(dir.resolve("not-a-directory"), "x");
        assertOneLineError(balcon("report", run.root().toString(), "--out", file.resolve("report.html").toString()),
                "cannot write " + file.resolve("report.html"), file.toString());
    }
}
