package dev.balcon.augment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.balcon.BalconException;
import java.awt.Color;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ColourAugmentationTest {

    @Test
    void brightnessFactorsCoverTheirRangeOnAConstantImage() {
        ColorJitter jitter = new ColorJitter(0.4, 0, 0, 0, 1.0);
        SplittableRandom random = new SplittableRandom(1);
        double min = Double.MAX_VALUE;
        double max = 0;
        double sum = 0;
        int draws = 5000;
        for (int n = 0; n < draws; n++) {
            ImageBuffer image = TestImages.constant(1, 4, 4, 0.5f);
            jitter.apply(image, random);
            float value = image.data[0];
            for (int i = 1; i < 16; i++) {
                assertThat(image.data[i]).isEqualTo(value);
            }
            double factor = value / 0.5;
            assertThat(factor).isBetween(0.6 - 1e-6, 1.4 + 1e-6);
            min = Math.min(min, factor);
            max = Math.max(max, factor);
            sum += factor;
        }
        assertThat(min).isLessThan(0.61);
        assertThat(max).isGreaterThan(1.39);
        assertThat(sum / draws).isCloseTo(1.0, within(0.01)); // uniform on [0.6, 1.4]: sd of mean 0.0033
    }

    @Test
    void brightnessClampsToOne() {
        ImageBuffer image = TestImages.constant(1, 2, 2, 0.9f);
        ColorJitter.adjustBrightness(image, 1.5f);
        assertThat(TestImages.copy(image)).containsOnly(1f);
    }

    @Test
    void contrastBlendsWithTheMeanOfTheGrayscaleImage() {
        ImageBuffer gray = new ImageBuffer(1, 1, 4, new float[] {0.2f, 0.4f, 0.6f, 0.8f});
        ColorJitter.adjustContrast(gray, 0.5f); // mean 0.5
        assertThat(TestImages.copy(gray)).containsExactly(new float[] {0.35f, 0.45f, 0.55f, 0.65f}, within(1e-6f));

        // 2 pixels: pure red and pure blue; grayscale mean = (0.2989 + 0.114) / 2
        ImageBuffer rgb = new ImageBuffer(3, 1, 2, new float[] {1, 0, 0, 0, 0, 1});
        ColorJitter.adjustContrast(rgb, 0f);
        float mean = (0.2989f + 0.114f) / 2;
        assertThat(TestImages.copy(rgb)).containsOnly(mean);
    }

    @Test
    void contrastFactorsStayInRangeAndKeepTheMeanWithoutClamping() {
        ColorJitter jitter = new ColorJitter(0, 0.4, 0, 0, 1.0);
        SplittableRandom random = new SplittableRandom(2);
        for (int n = 0; n < 1000; n++) {
            ImageBuffer image = new ImageBuffer(1, 1, 2, new float[] {0.4f, 0.6f});
            jitter.apply(image, random);
            assertThat(image.data[0] + image.data[1]).isCloseTo(1.0f, within(1e-6f));
            double factor = (image.data[1] - image.data[0]) / 0.2;
            assertThat(factor).isBetween(0.6 - 1e-5, 1.4 + 1e-5);
        }
    }

    @Test
    void saturationZeroGivesGrayAndGrayPixelsDoNotChange() {
        ImageBuffer image = new ImageBuffer(3, 1, 2, new float[] {0.9f, 0.3f, 0.1f, 0.3f, 0.2f, 0.3f});
        ColorJitter.adjustSaturation(image, 0f);
        float luma0 = 0.2989f * 0.9f + 0.587f * 0.1f + 0.114f * 0.2f;
        float luma1 = 0.2989f * 0.3f + 0.587f * 0.3f + 0.114f * 0.3f;
        for (int c = 0; c < 3; c++) {
            assertThat(image.get(c, 0, 0)).isCloseTo(luma0, within(1e-6f));
            assertThat(image.get(c, 0, 1)).isCloseTo(luma1, within(1e-6f));
        }
    }

    @Test
    void hueShiftMatchesJavaAwtHsb() {
        SplittableRandom random = new SplittableRandom(3);
        int pixels = 500;
        ImageBuffer image = new ImageBuffer(3, 1, pixels);
        int[][] rgb = new int[pixels][3];
        for (int i = 0; i < pixels; i++) {
            for (int c = 0; c < 3; c++) {
                rgb[i][c] = random.nextInt(256);
                image.set(c, 0, i, rgb[i][c] / 255f);
            }
        }
        float shift = 0.23f;
        ColorJitter.adjustHue(image, shift);
        for (int i = 0; i < pixels; i++) {
            float[] hsb = Color.RGBtoHSB(rgb[i][0], rgb[i][1], rgb[i][2], null);
            int expected = Color.HSBtoRGB(hsb[0] + shift, hsb[1], hsb[2]); // AWT wraps the hue itself
            assertThat(image.get(0, 0, i) * 255).isCloseTo((expected >> 16) & 0xFF, within(1.01f));
            assertThat(image.get(1, 0, i) * 255).isCloseTo((expected >> 8) & 0xFF, within(1.01f));
            assertThat(image.get(2, 0, i) * 255).isCloseTo(expected & 0xFF, within(1.01f));
        }
        ImageBuffer red = new ImageBuffer(3, 1, 1, new float[] {1, 0, 0});
        ColorJitter.adjustHue(red, 0.5f);
        assertThat(TestImages.copy(red)).containsExactly(new float[] {0, 1, 1}, within(1e-6f));
    }

    @Test
    void saturationAndHueChangeNothingOnOneChannel() {
        ColorJitter jitter = new ColorJitter(0, 0, 1.0, 0.5, 1.0);
        ImageBuffer image = TestImages.noise(1, 6, 6, 4);
        float[] before = TestImages.copy(image);
        SplittableRandom random = new SplittableRandom(5);
        for (int n = 0; n < 20; n++) {
            jitter.apply(image, random);
        }
        assertThat(TestImages.copy(image)).containsExactly(before);
    }

    @Test
    void jitterIsAppliedWithProbabilityP() {
        ColorJitter jitter = new ColorJitter(0.5, 0, 0, 0, 0.8);
        SplittableRandom random = new SplittableRandom(6);
        int changed = 0;
        for (int n = 0; n < 5000; n++) {
            ImageBuffer image = TestImages.constant(3, 2, 2, 0.5f);
            jitter.apply(image, random);
            if (image.data[0] != 0.5f) {
                changed++;
            }
        }
        assertThat(changed / 5000.0).isCloseTo(0.8, within(0.03));
    }

    @Test
    void grayscaleHappensWithProbabilityPOnThreeChannelsOnly() {
        RandomGrayscale grayscale = new RandomGrayscale(0.2);
        SplittableRandom random = new SplittableRandom(7);
        int grays = 0;
        int draws = 10_000;
        for (int n = 0; n < draws; n++) {
            ImageBuffer image = new ImageBuffer(3, 1, 1, new float[] {0.9f, 0.5f, 0.1f});
            grayscale.apply(image, random);
            if (image.data[0] != 0.9f) {
                grays++;
                float luma = 0.2989f * 0.9f + 0.587f * 0.5f + 0.114f * 0.1f;
                assertThat(TestImages.copy(image)).containsExactly(new float[] {luma, luma, luma}, within(1e-6f));
            }
        }
        assertThat(grays / (double) draws).isCloseTo(0.2, within(0.02)); // sd 0.004

        ImageBuffer single = TestImages.noise(1, 3, 3, 8);
        float[] before = TestImages.copy(single);
        RandomGrayscale always = new RandomGrayscale(1.0);
        always.apply(single, random);
        assertThat(TestImages.copy(single)).containsExactly(before);
    }

    @Test
    void blurKeepsAConstantImageAndReducesTheVarianceOfNoise() {
        GaussianBlur blur = new GaussianBlur(5, 0.1, 2.0, 1.0);
        SplittableRandom random = new SplittableRandom(9);
        ImageBuffer constant = TestImages.constant(3, 10, 12, 0.7f);
        blur.apply(constant, random);
        for (int i = 0; i < constant.length(); i++) {
            assertThat(constant.data[i]).isCloseTo(0.7f, within(1e-6f));
        }
        ImageBuffer noise = TestImages.noise(1, 64, 64, 10);
        double varianceBefore = TestImages.variance(noise.data, 0, 4096);
        double meanBefore = TestImages.mean(noise.data, 0, 4096);
        blur.blur(noise, 1.5);
        assertThat(TestImages.variance(noise.data, 0, 4096)).isLessThan(0.3 * varianceBefore);
        assertThat(TestImages.mean(noise.data, 0, 4096)).isCloseTo(meanBefore, within(0.01));
    }

    @Test
    void blurEqualsADirectTwoDimensionalConvolutionWithReflectPadding() {
        // {channels, height, width, kernel size}: interior and borders, and images narrower than the kernel
        int[][] cases = {{2, 7, 9, 5}, {1, 3, 2, 5}, {3, 1, 4, 3}, {1, 12, 10, 7}};
        double sigma = 1.3;
        for (int[] shape : cases) {
            int channels = shape[0];
            int height = shape[1];
            int width = shape[2];
            int size = shape[3];
            int radius = size / 2;
            ImageBuffer image = TestImages.noise(channels, height, width, 11);
            ImageBuffer original = new ImageBuffer(channels, height, width, TestImages.copy(image));
            new GaussianBlur(size, 0.1, 2.0, 1.0).blur(image, sigma);
            double[] kernel = new double[size];
            double total = 0;
            for (int t = 0; t < size; t++) {
                kernel[t] = Math.exp(-0.5 * Math.pow((t - radius) / sigma, 2));
                total += kernel[t];
            }
            for (int c = 0; c < channels; c++) {
                for (int y = 0; y < height; y++) {
                    for (int x = 0; x < width; x++) {
                        double expected = 0;
                        for (int dy = -radius; dy <= radius; dy++) {
                            for (int dx = -radius; dx <= radius; dx++) {
                                double weight = kernel[dy + radius] * kernel[dx + radius] / (total * total);
                                expected += weight * original.get(c, mirror(y + dy, height), mirror(x + dx, width));
                            }
                        }
                        assertThat((double) image.get(c, y, x)).as("%s at %d,%d,%d", Arrays.toString(shape), c, y, x)
                                .isCloseTo(expected, within(1e-5));
                    }
                }
            }
        }
    }

    /** Reflection about the first and last pixel, folded as often as needed. */
    private static int mirror(int index, int size) {
        if (size == 1) {
            return 0;
        }
        while (index < 0 || index >= size) {
            index = index < 0 ? -index : 2 * (size - 1) - index;
        }
        return index;
    }

    @Test
    void blurKernelIsTenPercentOfTheSideMadeOdd() {
        assertThat(GaussianBlur.kernelSizeFor(28)).isEqualTo(3);
        assertThat(GaussianBlur.kernelSizeFor(32)).isEqualTo(3);
        assertThat(GaussianBlur.kernelSizeFor(96)).isEqualTo(9);
        assertThat(GaussianBlur.kernelSizeFor(224)).isEqualTo(23);
        assertThat(GaussianBlur.reflect(-1, 5)).isEqualTo(1);
        assertThat(GaussianBlur.reflect(5, 5)).isEqualTo(3);
        assertThat(GaussianBlur.reflect(-3, 2)).isEqualTo(1);
    }

    @Test
    void badColourParametersAreRejected() {
        assertThatThrownBy(() -> new ColorJitter(-0.1, 0, 0, 0, 0.8)).isInstanceOf(BalconException.class)
                .hasMessageContaining("brightness");
        assertThatThrownBy(() -> new ColorJitter(0.4, 0.4, 0.4, 0.6, 0.8)).isInstanceOf(BalconException.class)
                .hasMessageContaining("hue");
        assertThatThrownBy(() -> new ColorJitter(0.4, 0.4, 0.4, 0.1, 1.2)).isInstanceOf(BalconException.class)
                .hasMessageContaining("jitter probability");
        assertThatThrownBy(() -> new RandomGrayscale(Double.NaN)).isInstanceOf(BalconException.class);
        assertThatThrownBy(() -> new GaussianBlur(4, 0.1, 2.0, 0.5)).isInstanceOf(BalconException.class)
                .hasMessageContaining("odd");
        assertThatThrownBy(() -> new GaussianBlur(3, 2.0, 0.1, 0.5)).isInstanceOf(BalconException.class)
                .hasMessageContaining("blur sigma");
    }
}
