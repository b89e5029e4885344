package dev.balcon.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ResizeTest {
    /** One-channel source of width x height with value f(x) at column x. */
    private static float[] columns(int width, int height, java.util.function.IntToDoubleFunction f) {
        float[] source = new float[width * height];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                source[y * width + x] = (float) f.applyAsDouble(x);
            }
        }
        return source;
    }

    private static int[] resize(float[] source, int channels, int srcHeight, int srcWidth, int height, int width) {
        byte[] out = new byte[3 + channels * height * width];
        Resize.coverAndCenterCrop(source, channels, srcHeight, srcWidth, out, 3, height, width);
        int[] values = new int[channels * height * width];
        for (int i = 0; i < values.length; i++) {
            values[i] = out[3 + i] & 0xFF;
        }
        return values;
    }

    @Test
    void aVeryTallImageIsCroppedWithoutABufferOfItsWholeHeight() {
        // 1 x 67,108,865 upscaled to cover 32 x 32: 32 buffered rows per source row would be 2^31 + 32 floats
        int srcHeight = (1 << 26) + 1;
        float[] source = new float[srcHeight];
        Arrays.fill(source, 100f);
        source[srcHeight / 2] = 200f;
        int[] out = resize(source, 1, srcHeight, 1, 32, 32);
        // the centre row scaled up by 32 covers the whole crop, blending bilinearly into its neighbours (100)
        // towards the top and bottom edges: 150 at the edges, 198 in the middle
        for (int y = 0; y < 32; y++) {
            double expected = 200 - 100 * Math.abs((y + 0.5) / 32 - 0.5);
            for (int x = 0; x < 32; x++) {
                assertThat(out[y * 32 + x]).as("row %d", y).isCloseTo((int) Math.round(expected),
                        within(1));
            }
        }
    }

    @Test
    void sameSizeIsIdentity() {
        float[] source = new float[2 * 5 * 7];
        for (int i = 0; i < source.length; i++) {
            source[i] = (i * 37) % 256;
        }
        int[] out = resize(source, 2, 5, 7, 5, 7);
        for (int i = 0; i < source.length; i++) {
            assertThat(out[i]).isEqualTo((int) source[i]);
        }
    }

    @Test
    void linearRampIsSampledAtPixelCentresWhenShrinking() {
        // a symmetric filter reproduces a linear function exactly away from the borders: out(i) = f(centre_i)
        int srcWidth = 120;
        int width = 20;
        int[] out = resize(columns(srcWidth, 6, x -> 2 * (x + 0.5)), 1, 6, srcWidth, 1, width);
        double scale = (double) width / srcWidth;
        for (int i = 2; i < width - 2; i++) {
            double centre = (i + 0.5) / scale;
            assertThat((double) out[i]).isCloseTo(2 * centre, org.assertj.core.data.Offset.offset(0.51));
        }
    }

    @Test
    void linearRampIsInterpolatedWhenEnlarging() {
        int srcWidth = 10;
        int width = 40;
        int[] out = resize(columns(srcWidth, 10, x -> 20 * (x + 0.5)), 1, 10, srcWidth, 40, width);
        for (int i = 4; i < width - 4; i++) {
            double centre = (i + 0.5) / 4;
            assertThat((double) out[i]).isCloseTo(20 * centre, org.assertj.core.data.Offset.offset(0.51));
        }
    }

    @Test
    void shrinkingAveragesInsteadOfAliasing() {
        // alternating 0/255 columns shrunk 4x: a point sampler would return all 0 or all 255
        // inside, the 8-tap triangle gives odd and even columns equal weight: 127.5; at the border the
        // clipped filter sees one more even column
        int[] out = resize(columns(64, 64, x -> x % 2 == 0 ? 0 : 255), 1, 64, 64, 16, 16);
        for (int y = 0; y < 16; y++) {
            for (int x = 0; x < 16; x++) {
                int value = out[y * 16 + x];
                if (x == 0 || x == 15) {
                    assertThat(value).isBetween(100, 155);
                } else {
                    assertThat(value).isBetween(127, 128);
                }
            }
        }
    }

    @Test
    void wideImageIsCroppedToItsCentre() {
        // 40x20 to 10x10: scale 0.5, the crop is columns [10, 30) and the filter reaches 2 columns further
        int[] out = resize(columns(40, 20, x -> x < 8 || x >= 32 ? 255 : 0), 1, 20, 40, 10, 10);
        assertThat(out).containsOnly(0);
        int[] shifted = resize(columns(40, 20, x -> x < 12 ? 255 : 0), 1, 20, 40, 10, 10);
        assertThat(shifted[0]).isGreaterThan(0);
    }

    @Test
    void tallImageIsCroppedToItsCentre() {
        int srcHeight = 40;
        float[] source = new float[srcHeight * 20];
        for (int y = 0; y < srcHeight; y++) {
            for (int x = 0; x < 20; x++) {
                source[y * 20 + x] = y < 8 || y >= 32 ? 255 : 100;
            }
        }
        assertThat(resize(source, 1, srcHeight, 20, 10, 10)).containsOnly(100);
    }
}
