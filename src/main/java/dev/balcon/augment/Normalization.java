package dev.balcon.augment;

import dev.balcon.BalconException;
import dev.balcon.data.ImageDataset;
import java.util.Arrays;

/**
 * Per-channel normalisation {@code (x - mean[c]) / std[c]} of images in [0, 1], as torchvision's
 * {@code Normalize}. The arrays are copied in and out, so a value is immutable.
 */
public record Normalization(float[] mean, float[] std) {

    public Normalization {
        if (mean == null || std == null || mean.length == 0 || mean.length != std.length) {
            throw new BalconException("normalization mean and std must have one value per channel, got "
                    + Arrays.toString(mean) + " and " + Arrays.toString(std));
        }
        for (int c = 0; c < mean.length; c++) {
            if (!Float.isFinite(mean[c])) {
                throw new BalconException("normalization mean must be finite, got " + Arrays.toString(mean));
            }
            if (!(std[c] > 0) || !Float.isFinite(std[c])) {
                throw new BalconException("normalization std must be finite and > 0, got " + Arrays.toString(std));
            }
        }
        mean = mean.clone();
        std = std.clone();
    }

    /** Mean 0 and std 1 for every channel: values stay in [0, 1]. */
    public static Normalization identity(int channels) {
        float[] ones = new float[channels];
        Arrays.fill(ones, 1f);
        return new Normalization(new float[channels], ones);
    }

    /** The per-channel mean and (population) standard deviation of all pixels of {@code ds}, scaled to [0, 1]. */
    public static Normalization of(ImageDataset ds) {
        int channels = ds.channels();
        int plane = ds.height() * ds.width();
        long[][] histograms = new long[channels][256];
        byte[] pixels = ds.pixels();
        for (int i = 0; i < ds.size(); i++) {
            int offset = ds.pixelOffset(i);
            for (int c = 0; c < channels; c++) {
                long[] histogram = histograms[c];
                for (int k = offset + c * plane, end = k + plane; k < end; k++) {
                    histogram[pixels[k] & 0xFF]++;
                }
            }
        }
        float[] mean = new float[channels];
        float[] std = new float[channels];
        for (int c = 0; c < channels; c++) {
            double count = 0;
            double sum = 0;
            for (int v = 0; v < 256; v++) {
                count += histograms[c][v];
                sum += histograms[c][v] * (v / 255.0);
            }
            double m = sum / count;
            double squares = 0;
            for (int v = 0; v < 256; v++) {
                double d = v / 255.0 - m;
                squares += histograms[c][v] * d * d;
            }
            mean[c] = (float) m;
            // a constant channel has std 0; 1 keeps it finite (it is then only shifted)
            std[c] = squares > 0 ? (float) Math.sqrt(squares / count) : 1f;
        }
        return new Normalization(mean, std);
    }

    @Override
    public float[] mean() {
        return mean.clone();
    }

    @Override
    public float[] std() {
        return std.clone();
    }

    public int channels() {
        return mean.length;
    }

    /**
     * Writes image {@code index} of {@code ds}, normalised and without augmentation, as C x H x W floats
     * at {@code out[offset..]}: {@code (x / 255 - mean[c]) / std[c]}.
     */
    public void toTensor(ImageDataset ds, int index, float[] out, int offset) {
        checkChannels(ds.channels(), ds.name());
        byte[] pixels = ds.pixels();
        int source = ds.pixelOffset(index);
        int plane = ds.height() * ds.width();
        for (int c = 0; c < mean.length; c++) {
            float scale = 1f / (255f * std[c]);
            float shift = -mean[c] / std[c];
            int from = source + c * plane;
            int to = offset + c * plane;
            for (int i = 0; i < plane; i++) {
                out[to + i] = (pixels[from + i] & 0xFF) * scale + shift;
            }
        }
    }

    /** Normalises {@code image} in place. */
    void normalize(ImageBuffer image) {
        float[] data = image.data;
        int plane = image.height * image.width;
        for (int c = 0; c < mean.length; c++) {
            float scale = 1f / std[c];
            float shift = -mean[c] / std[c];
            for (int i = c * plane, end = i + plane; i < end; i++) {
                data[i] = data[i] * scale + shift;
            }
        }
    }

    void checkChannels(int channels, String what) {
        if (channels != mean.length) {
            throw new BalconException("normalization has " + mean.length + " channels, " + what + " has " + channels);
        }
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Normalization that && Arrays.equals(mean, that.mean) && Arrays.equals(std, that.std);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(mean) + Arrays.hashCode(std);
    }

    @Override
    public String toString() {
        return "Normalization[mean=" + Arrays.toString(mean) + ", std=" + Arrays.toString(std) + "]";
    }
}
