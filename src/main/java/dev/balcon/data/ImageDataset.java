package dev.balcon.data;

import dev.balcon.BalconException;
import java.util.Arrays;
import java.util.List;

/**
 * Minimal stand-in (compile-only) for the real ImageDataset written on another branch: uint8 pixels,
 * N x C x H x W, channel-planar.
 */
public final class ImageDataset {
    private final String name;
    private final byte[] pixels;
    private final int[] labels;
    private final int channels;
    private final int height;
    private final int width;
    private final List<String> classNames;

    public ImageDataset(String name, byte[] pixels, int[] labels, int channels, int height, int width,
            List<String> classNames) {
        if (channels <= 0 || height <= 0 || width <= 0) {
            throw new BalconException("image shape must be positive, got " + channels + "x" + height + "x" + width);
        }
        if (pixels.length != (long) labels.length * channels * height * width) {
            throw new BalconException("dataset " + name + ": pixel count " + pixels.length
                    + " does not match " + labels.length + " images of " + channels + "x" + height + "x" + width);
        }
        for (int label : labels) {
            if (label < 0 || label >= classNames.size()) {
                throw new BalconException("dataset " + name + ": label " + label + " outside [0, " + classNames.size() + ")");
            }
        }
        this.name = name;
        this.pixels = pixels;
        this.labels = labels;
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.classNames = List.copyOf(classNames);
    }

    public String name() { return name; }
    public int size() { return labels.length; }
    public int channels() { return channels; }
    public int height() { return height; }
    public int width() { return width; }
    public int imageSize() { return channels * height * width; }
    public int numClasses() { return classNames.size(); }
    public List<String> classNames() { return classNames; }
    public int label(int i) { return labels[i]; }
    public int[] labels() { return labels.clone(); }
    /** The backing array (not copied). */
    public byte[] pixels() { return pixels; }
    public int pixelOffset(int index) { return index * imageSize(); }

    public int[] classCounts() {
        int[] counts = new int[numClasses()];
        for (int label : labels) {
            counts[label]++;
        }
        return counts;
    }

    public ImageDataset subset(int[] idx, String subsetName) {
        int imageSize = imageSize();
        byte[] subsetPixels = new byte[idx.length * imageSize];
        int[] subsetLabels = new int[idx.length];
        for (int k = 0; k < idx.length; k++) {
            System.arraycopy(pixels, pixelOffset(idx[k]), subsetPixels, k * imageSize, imageSize);
            subsetLabels[k] = labels[idx[k]];
        }
        return new ImageDataset(subsetName, subsetPixels, subsetLabels, channels, height, width, classNames);
    }

    @Override
    public String toString() {
        return name + Arrays.toString(new int[] {size(), channels, height, width});
    }
}
