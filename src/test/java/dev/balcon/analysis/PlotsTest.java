package dev.balcon.analysis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.balcon.BalconException;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlotsTest {

    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    @TempDir
    Path dir;

    @Test
    void gapsVsEpochWritesAReadablePngOfTheDeclaredSize() throws IOException {
        Path png = dir.resolve("nested/gaps.png");
        Plots.gapsVsEpoch(List.of(
                new Plots.EpochGaps(2, 0.05, 0.9),
                new Plots.EpochGaps(1, 0.12, 1.1),
                new Plots.EpochGaps(3, 0.03, -0.01)), png);

        assertReadablePng(png);
    }

    @Test
    void epochGapsAreTakenFromABoundGapResult() {
        BoundGapResult result = new BoundGapResult(-0.8, -0.7, 0.1, 0, 0.2, 1.5, 1.3, 4, 0.1, 2.3, 80);

        assertThat(Plots.EpochGaps.of(7, result)).isEqualTo(new Plots.EpochGaps(7, 0.1, 1.3));
    }

    @Test
    void biasVsAccuracyWritesAReadablePngOfTheDeclaredSize() throws IOException {
        Path png = dir.resolve("bias.png");
        Plots.biasVsAccuracy(List.of(
                new Plots.RunPoint("SimCLR baseline", 36.72, 65.98),
                new Plots.RunPoint("without blur", 37.43, 64.57),
                new Plots.RunPoint("with rotation", 38.11, 63.30)), png);

        assertReadablePng(png);
    }

    @Test
    void theSingleRunsBehindCellMeansAreDrawnAsSmallGreyPoints() throws IOException {
        List<Plots.RunPoint> means = List.of(new Plots.RunPoint("simclr", 2.1, 81.0), new Plots.RunPoint("byol", 2.3, 76.4));
        Path meansOnly = dir.resolve("means.png");
        Path withRuns = dir.resolve("runs.png");
        Plots.biasVsAccuracy(means, List.of(), meansOnly);
        Plots.biasVsAccuracy(means, List.of(new Plots.RunPoint("simclr", 2.0, 80.5),
                new Plots.RunPoint("simclr", 2.2, 81.5), new Plots.RunPoint("byol", 2.5, 75.0)), withRuns);

        assertThat(greyPixels(withRuns)).isGreaterThan(greyPixels(meansOnly) + 20);
    }

    private static long greyPixels(Path png) throws IOException {
        BufferedImage image = ImageIO.read(png.toFile());
        long count = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                if ((image.getRGB(x, y) & 0xffffff) == (java.awt.Color.GRAY.getRGB() & 0xffffff)) {
                    count++;
                }
            }
        }
        return count;
    }

    @Test
    void aSingleRunCanBePlotted() throws IOException {
        Path png = dir.resolve("one.png");
        Plots.biasVsAccuracy(List.of(new Plots.RunPoint("only", 0.4, 80.0)), png);

        assertReadablePng(png);
    }

    @Test
    void emptyOrNonFiniteInputIsRejected() {
        assertThatThrownBy(() -> Plots.gapsVsEpoch(List.of(), dir.resolve("x.png")))
                .isInstanceOf(BalconException.class).hasMessageContaining("at least one epoch");
        assertThatThrownBy(() -> Plots.biasVsAccuracy(List.of(), dir.resolve("x.png")))
                .isInstanceOf(BalconException.class).hasMessageContaining("at least one run");
        assertThatThrownBy(() -> new Plots.EpochGaps(3, Double.NaN, 0.1))
                .isInstanceOf(BalconException.class).hasMessageContaining("epoch 3");
        assertThatThrownBy(() -> new Plots.RunPoint("r1", 1.0, Double.POSITIVE_INFINITY))
                .isInstanceOf(BalconException.class).hasMessageContaining("r1");
        assertThatThrownBy(() -> new Plots.RunPoint(" ", 1.0, 2.0))
                .isInstanceOf(BalconException.class).hasMessageContaining("label");
    }

    @Test
    void anUnwritablePathIsReportedAsABalconException() throws IOException {
        Path blocker = Files.writeString(dir.resolve("file"), "not a directory");

        assertThatThrownBy(() -> Plots.gapsVsEpoch(List.of(new Plots.EpochGaps(1, 0, 0)), blocker.resolve("g.png")))
                .isInstanceOf(BalconException.class).hasMessageContaining("g.png");
    }

    private static void assertReadablePng(Path png) throws IOException {
        byte[] bytes = Files.readAllBytes(png);
        assertThat(bytes.length).isGreaterThan(PNG_SIGNATURE.length);
        assertThat(Arrays.copyOf(bytes, PNG_SIGNATURE.length)).isEqualTo(PNG_SIGNATURE);
        BufferedImage image = ImageIO.read(png.toFile());
        assertThat(image).isNotNull();
        assertThat(image.getWidth()).isEqualTo(Plots.WIDTH);
        assertThat(image.getHeight()).isEqualTo(Plots.HEIGHT);
        // A drawn chart (text, axes, coloured series) has many colours; a blank canvas has one.
        Set<Integer> colours = new HashSet<>();
        for (int y = 0; y < image.getHeight(); y += 3) {
            for (int x = 0; x < image.getWidth(); x += 3) {
                colours.add(image.getRGB(x, y));
            }
        }
        assertThat(colours.size()).isGreaterThan(20);
    }
}
