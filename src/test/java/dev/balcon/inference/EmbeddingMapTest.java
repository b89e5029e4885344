package dev.balcon.inference;

import dev.balcon.BalconException;
import dev.balcon.InvalidField;
import dev.balcon.analysis.Plots;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EmbeddingMapTest {
    @TempDir
    Path dir;

    /**
     * embed-style files of {@code perLabel} vectors for each label, each label a Gaussian blob around its own centre
     * in {@code dim} dimensions; returns the base path.
     */
    static Path clusters(Path dir, String name, List<String> labels, int perLabel, int dim, long seed) {
        Random random = new Random(seed);
        Path base = dir.resolve(name);
        try (EmbeddingWriter writer = new EmbeddingWriter(base, (long) labels.size() * perLabel, dim)) {
            for (int l = 0; l < labels.size(); l++) {
                float[] centre = new float[dim];
                for (int j = 0; j < dim; j++) {
                    centre[j] = (float) (5 * random.nextGaussian());
                }
                for (int i = 0; i < perLabel; i++) {
                    float[] vector = new float[dim];
                    for (int j = 0; j < dim; j++) {
                        vector[j] = centre[j] + (float) (0.3 * random.nextGaussian());
                    }
                    writer.append(vector, Integer.toString(i), "test", labels.get(l));
                }
            }
            writer.commit();
        }
        return base;
    }

    @Test
    void drawsAPngOfTheScatterSizeWithOneColourPerLabel() throws IOException {
        Path base = clusters(dir, "emb", List.of("cat", "dog", "eel"), 40, 8, 1);
        Path png = dir.resolve("out/map.png");

        EmbeddingMap.Summary summary = EmbeddingMap.write(base, png, "pca", EmbeddingMap.DEFAULT_MAX_POINTS, 0);

        assertThat(summary.rows()).isEqualTo(120);
        assertThat(summary.dim()).isEqualTo(8);
        assertThat(summary.drawn()).isEqualTo(120);
        assertThat(summary.labels()).isEqualTo(3);
        // three well separated blobs: two components carry nearly all the variance
        assertThat(summary.explained()[0]).isGreaterThanOrEqualTo(summary.explained()[1]);
        assertThat(summary.explained()[0] + summary.explained()[1]).isGreaterThan(0.9).isLessThanOrEqualTo(1 + 1e-9);
        BufferedImage image = ImageIO.read(png.toFile());
        assertThat(image.getWidth()).isEqualTo(Plots.SCATTER_WIDTH);
        assertThat(image.getHeight()).isEqualTo(Plots.SCATTER_HEIGHT);
        for (int group = 0; group < 3; group++) {
            assertThat(pixelsOf(image, Plots.GROUP_COLOURS.get(group).getRGB())).as("colour of group " + group).isPositive();
        }
        assertThat(pixelsOf(image, Plots.GROUP_COLOURS.get(3).getRGB())).as("no fourth group").isZero();
        assertThat(Files.list(png.getParent()).toList()).containsExactly(png);
    }

    @Test
    void largeFilesAreDrawnAsASeededSampleAndManyLabelsShareAnOtherGroup() throws IOException {
        List<String> labels = java.util.stream.IntStream.range(0, 25).mapToObj(i -> "class-" + i).toList();
        Path base = clusters(dir, "many", labels, 8, 4, 2);

        EmbeddingMap.Summary summary = EmbeddingMap.write(dir.resolve("many.npy"), dir.resolve("many.png"), "pca", 50, 3);

        assertThat(summary.rows()).isEqualTo(200);
        assertThat(summary.drawn()).isEqualTo(50);
        assertThat(summary.labels()).isEqualTo(25);
        assertThat(ImageIO.read(dir.resolve("many.png").toFile()).getWidth()).isEqualTo(Plots.SCATTER_WIDTH);
        assertThat(base).isEqualTo(dir.resolve("many"));
    }

    @Test
    void theSampleIsDistinctSortedAndSetByTheSeed() {
        long[] sample = EmbeddingMap.sample(1000, 50, 7);
        assertThat(sample).hasSize(50).isSorted();
        assertThat(Arrays.stream(sample).distinct().count()).isEqualTo(50);
        assertThat(Arrays.stream(sample).allMatch(row -> row >= 0 && row < 1000)).isTrue();
        assertThat(EmbeddingMap.sample(1000, 50, 7)).containsExactly(sample);
        assertThat(EmbeddingMap.sample(1000, 50, 8)).isNotEqualTo(sample);
        assertThat(EmbeddingMap.sample(10, 50, 7)).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
    }

    @Test
    void badFilesAreRefusedWithOneLineNamingTheFileAndNothingIsWritten() throws IOException {
        Path png = dir.resolve("map.png");
        Path good = clusters(dir, "good", List.of("a", "b"), 5, 3, 3);

        assertRefused(dir.resolve("absent"), png, "absent.npy not found");

        Path noCsv = copy(good, "no-csv");
        Files.delete(dir.resolve("no-csv.csv"));
        assertRefused(noCsv, png, "no-csv.csv not found");

        Path shortCsv = copy(good, "short-csv");
        List<String> lines = Files.readAllLines(dir.resolve("short-csv.csv"));
        Files.write(dir.resolve("short-csv.csv"), lines.subList(0, lines.size() - 1));
        assertRefused(shortCsv, png, "embeddings and ids differ in length");

        Path otherRow = copy(good, "other-row");
        Files.writeString(dir.resolve("other-row.csv"),
                Files.readString(dir.resolve("other-row.csv")).replace("\n3,", "\n7,"));
        assertRefused(otherRow, png, "line 5: expected row 3");

        Path doubles = copy(good, "doubles");
        byte[] bytes = Files.readAllBytes(dir.resolve("doubles.npy"));
        String header = new String(bytes, 0, 128, StandardCharsets.ISO_8859_1).replace("<f4", "<f8");
        System.arraycopy(header.getBytes(StandardCharsets.ISO_8859_1), 0, bytes, 0, 128);
        Files.write(dir.resolve("doubles.npy"), bytes);
        assertRefused(doubles, png, "dtype '<f8', expected float32");

        Path truncated = copy(good, "truncated");
        byte[] whole = Files.readAllBytes(dir.resolve("truncated.npy"));
        Files.write(dir.resolve("truncated.npy"), Arrays.copyOf(whole, whole.length - 4));
        assertRefused(truncated, png, "truncated.npy is ");

        Files.writeString(dir.resolve("text.npy"), "row,id\n");
        Files.writeString(dir.resolve("text.csv"), "row,id,split,label\n");
        assertRefused(dir.resolve("text"), png, "not a NumPy .npy file");

        assertRefused(clusters(dir, "one-feature", List.of("a"), 5, 1, 4), png, "a 2-D map needs at least 2");
        assertRefused(clusters(dir, "one-row", List.of("a"), 1, 3, 4), png, "a map needs at least 2");

        Path nan = dir.resolve("nan");
        try (EmbeddingWriter writer = new EmbeddingWriter(nan, 3, 2)) {
            writer.append(new float[] {1, 2}, "0", "test", "a");
            writer.append(new float[] {1, Float.NaN}, "1", "test", "a");
            writer.append(new float[] {3, 2}, "2", "test", "a");
            writer.commit();
        }
        assertRefused(nan, png, "row 1 holds a non-finite value");

        assertThatThrownBy(() -> EmbeddingMap.write(good, png, "tsne", 10, 0))
                .isInstanceOf(InvalidField.class).hasMessageContaining("method must be one of [pca]");
        assertThatThrownBy(() -> EmbeddingMap.write(good, png, "pca", 0, 0))
                .isInstanceOf(InvalidField.class).hasMessageContaining("maxPoints must be >= 1");
        assertThat(png).doesNotExist();
    }

    private void assertRefused(Path base, Path png, String fragment) {
        assertThatThrownBy(() -> EmbeddingMap.write(base, png, "pca", 100, 0))
                .isInstanceOf(BalconException.class).hasMessageContaining(fragment)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        assertThat(png).doesNotExist();
    }

    private Path copy(Path base, String name) throws IOException {
        Files.copy(base.resolveSibling(base.getFileName() + ".npy"), dir.resolve(name + ".npy"));
        Files.copy(base.resolveSibling(base.getFileName() + ".csv"), dir.resolve(name + ".csv"));
        return dir.resolve(name);
    }

    private static long pixelsOf(BufferedImage image, int rgb) {
        long count = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                if ((image.getRGB(x, y) & 0xffffff) == (rgb & 0xffffff)) {
                    count++;
                }
            }
        }
        return count;
    }
}
