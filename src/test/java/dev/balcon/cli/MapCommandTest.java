package dev.balcon.cli;

import dev.balcon.inference.EmbeddingWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static dev.balcon.cli.CommandLineErrorsTest.balcon;
import static org.assertj.core.api.Assertions.assertThat;

/** balcon map end to end, and the argument checks of map and of bench --embed (nothing is timed here). */
class MapCommandTest {
    @TempDir
    Path dir;

    private Path embeddings() {
        Path base = dir.resolve("emb");
        try (EmbeddingWriter writer = new EmbeddingWriter(base, 6, 3)) {
            for (int i = 0; i < 6; i++) {
                writer.append(new float[] {i, i % 2 == 0 ? 1 : -1, 0.5f * i * i}, Integer.toString(i), "test",
                        i < 3 ? "left" : "right");
            }
            writer.commit();
        }
        return base;
    }

    @Test
    void mapWritesThePngAndSaysWhatItDrew() throws IOException {
        Path png = dir.resolve("map.png");
        CommandLineErrorsTest.Outcome map = balcon("map", "--embeddings", embeddings() + ".npy", "--out", png.toString());
        assertThat(map.status()).as(map.err()).isZero();
        assertThat(map.out()).startsWith("mapped 6 vectors of 3 features (6 drawn, 2 labels; PC1 ").contains(png.toString());
        assertThat(ImageIO.read(png.toFile()).getWidth()).isEqualTo(dev.balcon.analysis.Plots.SCATTER_WIDTH);
    }

    @Test
    void mapRefusesBadInputWithOneLineAndExitStatus2() {
        Path png = dir.resolve("map.png");
        String base = embeddings().toString();
        assertOneLine(balcon("map", "--embeddings", dir.resolve("none").toString(), "--out", png.toString()),
                "none.npy not found");
        assertOneLine(balcon("map", "--embeddings", base, "--out", png.toString(), "--method", "umap"),
                "--method must be one of pca, got 'umap'");
        assertOneLine(balcon("map", "--embeddings", base, "--out", png.toString(), "--max-points", "0"),
                "--max-points must be >= 1, got 0");
        assertOneLine(balcon("map", "--out", png.toString()), "--embeddings");
        assertThat(png).doesNotExist();
    }

    @Test
    void benchEmbedChecksItsArgumentsBeforeMeasuringAnything() throws IOException {
        Path notAnExport = Files.createDirectories(dir.resolve("empty"));
        assertOneLine(balcon("bench", "--embed"), "--embed needs --model DIR");
        assertOneLine(balcon("bench", "--model", notAnExport.toString()), "--model is for --embed");
        assertOneLine(balcon("bench", "--embed", "--model", notAnExport.toString(), "--augment-only"),
                "--embed and --augment-only");
        assertOneLine(balcon("bench", "--embed", "--model", notAnExport.toString(), "--embed-batch", "0"),
                "--embed-batch >= 1");
        assertOneLine(balcon("bench", "--embed", "--model", notAnExport.toString(), "--steps", "0"), "--steps >= 1");
        assertOneLine(balcon("bench", "--embed", "--model", notAnExport.toString(), "--threads", "-1"),
                "--threads must be >= 0");
        assertOneLine(balcon("bench", "--embed", "--model", notAnExport.toString(), "--no-peer"),
                "holds no exported model: model.json is missing");
    }

    private static void assertOneLine(CommandLineErrorsTest.Outcome outcome, String fragment) {
        assertThat(outcome.status()).as(outcome.err()).isEqualTo(Main.EXIT_USER_ERROR);
        assertThat(outcome.err().strip().lines()).hasSize(1);
        assertThat(outcome.err()).startsWith("balcon: ").contains(fragment).doesNotContain("Exception");
    }
}
