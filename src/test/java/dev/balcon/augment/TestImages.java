package dev.balcon.augment;

import dev.balcon.data.ImageDataset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/** Small synthetic images and datasets for the augmentation tests. */
final class TestImages {
    private TestImages() {
    }

    /** {@code count} images of uniform random bytes, labels cycling over {@code classes}. */
    static ImageDataset randomDataset(int count, int channels, int height, int width, int classes, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        byte[] pixels = new byte[count * channels * height * width];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (byte) random.nextInt(256);
        }
        int[] labels = new int[count];
        List<String> names = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            labels[i] = i % classes;
        }
        for (int c = 0; c < classes; c++) {
            names.add("class" + c);
        }
        return new ImageDataset("random", pixels, labels, channels, height, width, names);
    }

    static ImageBuffer constant(int channels, int height, int width, float value) {
        ImageBuffer image = new ImageBuffer(channels, height, width);
        Arrays.fill(image.data, value);
        return image;
    }

    static ImageBuffer noise(int channels, int height, int width, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        ImageBuffer image = new ImageBuffer(channels, height, width);
        for (int i = 0; i < image.length(); i++) {
            image.data[i] = (float) random.nextDouble();
        }
        return image;
    }

    static float[] copy(ImageBuffer image) {
        return Arrays.copyOf(image.data, image.length());
    }

    static double mean(float[] values, int from, int to) {
        double sum = 0;
        for (int i = from; i < to; i++) {
            sum += values[i];
        }
        return sum / (to - from);
    }

    static double variance(float[] values, int from, int to) {
        double m = mean(values, from, to);
        double sum = 0;
        for (int i = from; i < to; i++) {
            sum += (values[i] - m) * (values[i] - m);
        }
        return sum / (to - from);
    }
}
