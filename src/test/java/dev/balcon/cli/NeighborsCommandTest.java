package dev.balcon.cli;

import dev.balcon.inference.EmbeddingWriter;
import dev.balcon.inference.InferenceRuns;
import dev.balcon.inference.EmbeddingFile;
import dev.balcon.retrieval.ExactSearch;
import dev.balcon.retrieval.Neighbor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static dev.balcon.cli.CommandLineErrorsTest.balcon;
import static org.assertj.core.api.Assertions.assertThat;

/** embed -> neighbors (table and contact sheet) -> index -> neighbors --index on a tiny image folder, and bad input. */
class NeighborsCommandTest {
    /** The contact sheet's layout: tiles of 96 px, gaps of 8, captions of 30, at most 6 a row. */
    private static final int TILE = 96;
    private static final int GAP = 8;

    @TempDir
    static Path shared;
    static Path images;
    static Path runDir;
    static Path exportDir;
    static Path features;

    @TempDir
    Path dir;

    @BeforeAll
    static void trainExportAndEmbed() throws IOException {
        images = InferenceRuns.imageTree(shared);
        runDir = InferenceRuns.train(shared, images, 1);
        exportDir = shared.resolve("export");
        assertThat(balcon("export", "--run-dir", runDir.toString(), "--out", exportDir.toString()).status()).isZero();
        features = shared.resolve("features");
        CommandLineErrorsTest.Outcome embed = balcon("embed", "--model", exportDir.toString(), "--dataset", "imagefolder",
                "--data", images.toString(), "--out", features.toString(), "--no-progress", "--no-cache");
        assertThat(embed.status()).as(embed.err()).isZero();
    }

    @Test
    void queryRowPrintsTheExactNeighboursAndDrawsTheSheetFromTheFiles() throws IOException {
        Path sheet = dir.resolve("sheets/sheet.png");
        CommandLineErrorsTest.Outcome outcome = balcon("neighbors", "--embeddings", features + ".npy", "--query-row", "24",
                "--k", "7", "--data", images.toString(), "--out", sheet.toString());
        assertThat(outcome.status()).as(outcome.err()).isZero();
        List<String> lines = outcome.out().lines().toList();
        assertThat(lines.get(0)).isEqualTo("query row 24: test/blue/img-000.png (blue)");
        assertThat(lines.get(1)).matches("rank  similarity  id\\s+label");
        List<Neighbor> expected;
        try (EmbeddingFile file = EmbeddingFile.open(features)) {
            expected = ExactSearch.search(file, file.vector(24), 7, 24, 5);
            List<EmbeddingFile.Record> records = expected.stream()
                    .map(n -> file.records(n.row()).get(n.row())).toList();
            int idWidth = records.stream().mapToInt(record -> record.id().length()).max().orElseThrow();
            for (int i = 0; i < 7; i++) {
                // the id column is as wide as the longest id
                assertThat(lines.get(2 + i)).isEqualTo(String.format("%4d  %10.6f  %-" + idWidth + "s  %s", i + 1,
                        expected.get(i).similarity(), records.get(i).id(), records.get(i).label()));
            }
        }
        assertThat(lines.get(9)).isEqualTo("contact sheet: " + sheet);
        BufferedImage picture = ImageIO.read(sheet.toFile());
        // query and 7 neighbours: two rows of up to six tiles
        assertThat(picture.getWidth()).isEqualTo(GAP + 6 * (TILE + GAP));
        assertThat(picture.getHeight()).isEqualTo(GAP + 2 * (TILE + 30 + GAP));
        assertThat(hasColourNear(picture, 0, 40, 60, 210)).as("the query's blue disc").isTrue();
        for (int i = 0; i < 7; i++) {
            assertThat(isNoImageBox(picture, i + 1)).as("neighbour " + (i + 1) + " has its picture").isFalse();
        }
        assertThat(dir.resolve("sheets/sheet.png.tmp")).doesNotExist();
    }

    @Test
    void anImageQueryFindsItsOwnFileFirstAndTheIndexAgreesOnATinySet() {
        Path query = images.resolve("test/green/img-001.png");
        CommandLineErrorsTest.Outcome exact = balcon("neighbors", "--embeddings", features.toString(), "--query",
                query.toString(), "--model", exportDir.toString(), "--k", "5");
        assertThat(exact.status()).as(exact.err()).isZero();
        List<String> lines = exact.out().lines().toList();
        assertThat(lines.get(0)).isEqualTo("query " + query);
        assertThat(lines.get(2)).matches("\\s+1\\s+1\\.0000\\d\\d  test/green/img-001\\.png\\s+green");

        Path index = dir.resolve("index");
        CommandLineErrorsTest.Outcome built = balcon("index", "--embeddings", features.toString(), "--out",
                index.toString(), "--no-progress", "--threads", "2");
        assertThat(built.status()).as(built.err()).isZero();
        assertThat(built.out()).startsWith("indexed 36 vectors of 32 features in ");
        CommandLineErrorsTest.Outcome approximate = balcon("neighbors", "--embeddings", features.toString(), "--query",
                query.toString(), "--model", exportDir.toString(), "--k", "5", "--index", index.toString());
        assertThat(approximate.status()).as(approximate.err()).isZero();
        // 36 vectors: the graph is searched exhaustively, so the approximate answer is the exact one
        assertThat(approximate.out()).isEqualTo(exact.out());
    }

    @Test
    void datasetIndicesAsIdsTakeTheirPicturesFromTheRunsDataset() throws IOException {
        // ids 0..3 of the train split: the run's own image folder, blue images first
        Path base = dir.resolve("by-index");
        try (EmbeddingWriter writer = new EmbeddingWriter(base, 4, 2)) {
            for (int i = 0; i < 4; i++) {
                writer.append(new float[] {1, i}, Integer.toString(i), "train", "blue");
            }
            writer.commit();
        }
        Path sheet = dir.resolve("by-index.png");
        CommandLineErrorsTest.Outcome outcome = balcon("neighbors", "--embeddings", base.toString(), "--query-row", "0",
                "--k", "3", "--run-dir", runDir.toString(), "--out", sheet.toString());
        assertThat(outcome.status()).as(outcome.err()).isZero();
        assertThat(outcome.out()).contains("   1    0.707107  1   blue");
        BufferedImage picture = ImageIO.read(sheet.toFile());
        for (int tile = 0; tile < 4; tile++) {
            assertThat(hasColourNear(picture, tile, 40, 60, 210)).as("tile " + tile).isTrue();
        }
        // without a dataset to take them from, the tiles say so
        Path bare = dir.resolve("bare.png");
        assertThat(balcon("neighbors", "--embeddings", base.toString(), "--query-row", "0", "--k", "3", "--out",
                bare.toString()).status()).isZero();
        assertThat(isNoImageBox(ImageIO.read(bare.toFile()), 1)).isTrue();
    }

    @Test
    void badInputIsOneLineAndExitStatusTwo() throws IOException {
        assertOneLineError(balcon("neighbors", "--embeddings", features.toString(), "--query-row", "0", "--k", "36"),
                "--k must be in [1, 35]", "holds 36 vectors (35 besides the query's own row), got 36");
        Path garbage = Files.writeString(dir.resolve("broken.png"), "not an image");
        assertOneLineError(balcon("neighbors", "--embeddings", features.toString(), "--query", garbage.toString(),
                "--model", exportDir.toString()), "query image " + garbage + " cannot be decoded");
        assertOneLineError(balcon("neighbors", "--embeddings", features.toString(), "--query", garbage.toString()),
                "exactly one of --model DIR and --run-dir DIR");
        assertOneLineError(balcon("neighbors", "--embeddings", features.toString()),
                "exactly one of --query IMAGE and --query-row N");
        Files.copy(Path.of(features + ".npy"), dir.resolve("short.npy"));
        List<String> ids = Files.readAllLines(Path.of(features + ".csv"));
        Files.write(dir.resolve("short.csv"), ids.subList(0, 10));
        assertOneLineError(balcon("neighbors", "--embeddings", dir.resolve("short").toString(), "--query-row", "0"),
                "embeddings and ids differ in length", "holds 36 vectors", "short.csv 9 rows");
        assertOneLineError(balcon("neighbors", "--embeddings", features.toString(), "--query-row", "0", "--index",
                dir.toString()), "has no index.json");
        assertOneLineError(balcon("index", "--embeddings", dir.resolve("none").toString(), "--out",
                dir.resolve("index").toString()), "embeddings file " + dir.resolve("none.npy") + " not found");
        assertOneLineError(balcon("index", "--embeddings", features.toString(), "--out", dir.resolve("index").toString(),
                "--threads", "0"), "--threads must be >= 1, got 0");
        assertThat(dir.resolve("index")).doesNotExist();
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).doesNotContain("sheet.png");
        }
    }

    /** Whether tile {@code tile} (in the first row) holds a pixel within 30 of the colour on every channel. */
    private static boolean hasColourNear(BufferedImage sheet, int tile, int r, int g, int b) {
        int x0 = GAP + tile * (TILE + GAP);
        for (int y = GAP; y < GAP + TILE; y++) {
            for (int x = x0; x < x0 + TILE; x++) {
                int rgb = sheet.getRGB(x, y);
                if (Math.abs((rgb >> 16 & 0xFF) - r) < 30 && Math.abs((rgb >> 8 & 0xFF) - g) < 30
                        && Math.abs((rgb & 0xFF) - b) < 30) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Whether tile {@code tile} is the light grey box drawn for a row without picture. */
    private static boolean isNoImageBox(BufferedImage sheet, int tile) {
        int x = GAP + (tile % 6) * (TILE + GAP) + 2;
        int y = GAP + (tile / 6) * (TILE + GAP + 30) + 2;
        return (sheet.getRGB(x, y) & 0xFFFFFF) == 0xC0C0C0;
    }

    private static void assertOneLineError(CommandLineErrorsTest.Outcome outcome, String... fragments) {
        assertThat(outcome.status()).as(outcome.err()).isEqualTo(Main.EXIT_USER_ERROR);
        assertThat(outcome.err().strip().lines()).hasSize(1);
        assertThat(outcome.err()).startsWith("balcon: ").doesNotContain("\tat ");
        for (String fragment : fragments) {
            assertThat(outcome.err()).contains(fragment);
        }
    }
}
