package dev.balcon.augment;

import dev.balcon.data.ImageDataset;

/**
 * A mutable float image, channel-planar (C x H x W), values nominally in [0, 1]. One buffer belongs to
 * one thread at a time and is reused image after image: {@link #data} and the spare array only grow, so
 * a steady stream of same-sized images allocates nothing.
 *
 * <p>{@code data} may be longer than {@code channels * height * width}; only that prefix is the image.
 */
public final class ImageBuffer {
    public final int channels;
    public int height;
    public int width;
    public float[] data;

    /** Second image-sized array for operations that cannot work in place (resize, rotation, blur). */
    private float[] spare = new float[0];
    /** Small per-operation tables (resampling weights, blur kernel, source indices). */
    private float[] floatTable = new float[0];
    private int[] intTable = new int[0];

    /** An all-zero image of the given shape. */
    public ImageBuffer(int channels, int height, int width) {
        this(channels, height, width, new float[checkedLength(channels, height, width)]);
    }

    /** Wraps {@code data} (not copied), which must hold at least {@code channels * height * width} values. */
    public ImageBuffer(int channels, int height, int width, float[] data) {
        int length = checkedLength(channels, height, width);
        if (data.length < length) {
            throw new IllegalArgumentException("data holds " + data.length + " values, a " + channels + "x"
                    + height + "x" + width + " image needs " + length);
        }
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.data = data;
    }

    private static int checkedLength(int channels, int height, int width) {
        if (channels <= 0 || height <= 0 || width <= 0) {
            throw new IllegalArgumentException("image shape must be positive, got " + channels + "x" + height + "x" + width);
        }
        return Math.multiplyExact(channels, Math.multiplyExact(height, width));
    }

    /** Number of meaningful values: {@code channels * height * width}. */
    public int length() {
        return channels * height * width;
    }

    /** The value at ({@code channel}, {@code y}, {@code x}). */
    public float get(int channel, int y, int x) {
        return data[(channel * height + y) * width + x];
    }

    /** Sets the value at ({@code channel}, {@code y}, {@code x}). */
    public void set(int channel, int y, int x, float value) {
        data[(channel * height + y) * width + x] = value;
    }

    /** Replaces the content with image {@code index} of {@code ds}, scaled from uint8 to [0, 1]. */
    public void load(ImageDataset ds, int index) {
        if (ds.channels() != channels) {
            throw new IllegalArgumentException("buffer has " + channels + " channels, dataset " + ds.name()
                    + " has " + ds.channels());
        }
        height = ds.height();
        width = ds.width();
        int length = length();
        ensureCapacity(length);
        byte[] pixels = ds.pixels();
        int offset = ds.pixelOffset(index);
        float[] target = data;
        for (int i = 0; i < length; i++) {
            target[i] = (pixels[offset + i] & 0xFF) * (1f / 255f);
        }
    }

    /** Grows {@link #data} (discarding its content) so it holds at least {@code length} values. */
    public void ensureCapacity(int length) {
        if (data.length < length) {
            data = new float[length];
        }
    }

    /**
     * A reusable array of at least {@code length} values, distinct from {@link #data}, for an operation to
     * write its result into before {@link #swapSpare}. Its content is unspecified.
     */
    public float[] spare(int length) {
        if (spare.length < length) {
            spare = new float[length];
        }
        return spare;
    }

    /** Makes the spare array the image (now {@code newHeight x newWidth}) and the old data the spare. */
    public void swapSpare(int newHeight, int newWidth) {
        if (spare.length < channels * newHeight * newWidth) {
            throw new IllegalStateException("spare array too small for " + channels + "x" + newHeight + "x" + newWidth);
        }
        float[] previous = data;
        data = spare;
        spare = previous;
        height = newHeight;
        width = newWidth;
    }

    float[] floatTable(int length) {
        if (floatTable.length < length) {
            floatTable = new float[length];
        }
        return floatTable;
    }

    int[] intTable(int length) {
        if (intTable.length < length) {
            intTable = new int[length];
        }
        return intTable;
    }
}
