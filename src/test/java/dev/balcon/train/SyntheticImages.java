package dev.balcon.train;

import dev.balcon.data.ImageDataset;

import java.util.List;
import java.util.Random;

/** Small labelled images made on the fly: each class lights up its own quadrant, plus noise. */
public final class SyntheticImages {
    private SyntheticImages() {}

    public static ImageDataset quadrants(int count, int size, long seed) {
        Random random = new Random(seed);
        byte[] pixels = new byte[count * size * size];
        int[] labels = new int[count];
        int half = size / 2;
        for (int i = 0; i < count; i++) {
            int label = i % 4;
            labels[i] = label;
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    boolean lit = (y < half) == (label < 2) && (x < half) == (label % 2 == 0);
                    int value = (lit ? 180 : 40) + random.nextInt(50);
                    pixels[i * size * size + y * size + x] = (byte) value;
                }
            }
        }
        return new ImageDataset("quadrants", pixels, labels, 1, size, size, List.of("a", "b", "c", "d"));
    }
}
