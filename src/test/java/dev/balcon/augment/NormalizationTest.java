package dev.balcon.augment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.balcon.BalconException;
import dev.balcon.data.ImageDataset;
import java.util.List;
import org.junit.jupiter.api.Test;

class NormalizationTest {

    @Test
    void toTensorScalesEachChannelByItsMeanAndStd() {
        byte[] pixels = {0, (byte) 255, (byte) 128, 51, 10, 20, 30, 40, 1, 2, 3, 4, 5, 6, 7, 8};
        ImageDataset ds = new ImageDataset("two", pixels, new int[] {0, 1}, 2, 2, 2, List.of("a", "b"));
        Normalization normalization = new Normalization(new float[] {0.5f, 0.25f}, new float[] {0.5f, 2f});
        float[] out = new float[10];
        normalization.toTensor(ds, 1, out, 2);
        int[] image1 = {1, 2, 3, 4, 5, 6, 7, 8};
        for (int i = 0; i < 8; i++) {
            double mean = i < 4 ? 0.5 : 0.25;
            double std = i < 4 ? 0.5 : 2.0;
            assertThat((double) out[2 + i]).isCloseTo((image1[i] / 255.0 - mean) / std, within(1e-6));
        }
        assertThat(out[0]).isZero();
        normalization.toTensor(ds, 0, out, 0);
        assertThat(out[0]).isCloseTo(-1f, within(1e-6f));
        assertThat(out[1]).isCloseTo(1f, within(1e-6f));
    }

    @Test
    void ofDatasetComputesThePerChannelMeanAndPopulationStd() {
        ImageDataset ds = TestImages.randomDataset(7, 3, 4, 5, 2, 1);
        Normalization normalization = Normalization.of(ds);
        byte[] pixels = ds.pixels();
        for (int c = 0; c < 3; c++) {
            double sum = 0;
            double squares = 0;
            int count = 0;
            for (int i = 0; i < 7; i++) {
                for (int p = 0; p < 20; p++) {
                    double v = (pixels[ds.pixelOffset(i) + c * 20 + p] & 0xFF) / 255.0;
                    sum += v;
                    squares += v * v;
                    count++;
                }
            }
            double mean = sum / count;
            assertThat((double) normalization.mean()[c]).isCloseTo(mean, within(1e-6));
            assertThat((double) normalization.std()[c]).isCloseTo(Math.sqrt(squares / count - mean * mean), within(1e-5));
        }
    }

    @Test
    void valuesAreCopiedAndComparedByContent() {
        float[] mean = {0.1f};
        Normalization normalization = new Normalization(mean, new float[] {0.2f});
        mean[0] = 9f;
        normalization.mean()[0] = 7f;
        assertThat(normalization.mean()).containsExactly(0.1f);
        assertThat(normalization).isEqualTo(new Normalization(new float[] {0.1f}, new float[] {0.2f}));
        assertThat(Normalization.identity(2)).isEqualTo(new Normalization(new float[2], new float[] {1f, 1f}));
    }

    @Test
    void invalidValuesAreRejected() {
        assertThatThrownBy(() -> new Normalization(new float[] {0.5f}, new float[] {0.5f, 0.5f}))
                .isInstanceOf(BalconException.class).hasMessageContaining("one value per channel");
        assertThatThrownBy(() -> new Normalization(new float[] {0.5f}, new float[] {0f}))
                .isInstanceOf(BalconException.class).hasMessageContaining("std");
        assertThatThrownBy(() -> new Normalization(new float[] {Float.NaN}, new float[] {1f}))
                .isInstanceOf(BalconException.class).hasMessageContaining("mean");
        ImageDataset rgb = TestImages.randomDataset(1, 3, 2, 2, 1, 2);
        assertThatThrownBy(() -> Normalization.identity(1).toTensor(rgb, 0, new float[12], 0))
                .isInstanceOf(BalconException.class).hasMessageContaining("channels");
    }
}
