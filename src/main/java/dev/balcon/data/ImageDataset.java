package dev.balcon.data;

import dev.balcon.BalconException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * In-memory labelled image set: uint8 pixels in N x C x H x W order (channel-planar, one image after
 * another) and one integer label per image in {@code [0, numClasses())}. Immutable: the only mutable
 * state is the pixel array, which {@link #pixels()} exposes without copying for speed and which
 * callers must not modify.
 */
public final class ImageDataset {
    /** Java arrays cannot hold more elements than this (JDK limit a little below Integer.MAX_VALUE). */
    private static final long MAX_ARRAY_LENGTH = Integer.MAX_VALUE - 8;

    private final String name;
    private final byte[] pixels;
    private final int[] labels;
    private final int channels;
    private final int height;
    private final int width;
    private final List<String> classNames;
    private final List<String> sourceIds;

    /**
     * Creates a dataset. The pixel array is taken over, not copied: the caller must not modify it
     * afterwards. The labels are copied.
     *
     * @param name       a short human-readable name (e.g. "fashion-mnist-train")
     * @param pixels     {@code labels.length * channels * height * width} bytes, unsigned, N x C x H x W
     * @param labels     one class id per image, each in {@code [0, classNames.size())}
     * @param channels   number of channels (1 for grayscale, 3 for RGB), at least 1
     * @param height     image height in pixels, at least 1
     * @param width      image width in pixels, at least 1
     * @param classNames class names indexed by class id, at least one
     * @throws BalconException if any size or label is inconsistent
     */
    public ImageDataset(String name, byte[] pixels, int[] labels, int channels, int height, int width,
                        List<String> classNames) {
        this(name, pixels, labels, channels, height, width, classNames, null);
    }

    /**
     * Creates a dataset whose images came from files, as {@link #ImageDataset(String, byte[], int[], int, int, int,
     * List)} does.
     *
     * @param sourceIds one id per image (its file path relative to the data root, '/'-separated), or null for
     *                  images that have no file of their own (IDX, CIFAR)
     * @throws BalconException if any size or label is inconsistent, or there are not as many ids as images
     */
    public ImageDataset(String name, byte[] pixels, int[] labels, int channels, int height, int width,
                        List<String> classNames, List<String> sourceIds) {
        this.name = Objects.requireNonNull(name, "name");
        Objects.requireNonNull(pixels, "pixels");
        Objects.requireNonNull(labels, "labels");
        Objects.requireNonNull(classNames, "classNames");
        if (channels < 1 || height < 1 || width < 1) {
            throw new BalconException("dataset '" + name + "': channels, height and width must be >= 1, got "
                    + channels + "x" + height + "x" + width);
        }
        if (classNames.isEmpty()) {
            throw new BalconException("dataset '" + name + "': needs at least one class name, got none");
        }
        long imageBytes = (long) channels * height * width;
        if (imageBytes > MAX_ARRAY_LENGTH) {
            throw new BalconException("dataset '" + name + "': one image of " + channels + "x" + height + "x" + width
                    + " needs " + imageBytes + " bytes, more than one Java array holds (" + MAX_ARRAY_LENGTH + ")");
        }
        long expectedPixels = labels.length * imageBytes;
        if (expectedPixels > MAX_ARRAY_LENGTH) {
            throw new BalconException("dataset '" + name + "': " + labels.length + " images of " + channels + "x"
                    + height + "x" + width + " need " + expectedPixels + " bytes, more than one Java array holds ("
                    + MAX_ARRAY_LENGTH + "); use a smaller image size or a subset");
        }
        if (pixels.length != expectedPixels) {
            throw new BalconException("dataset '" + name + "': expected " + expectedPixels + " pixel bytes ("
                    + labels.length + " images of " + channels + "x" + height + "x" + width + "), got "
                    + pixels.length);
        }
        int numClasses = classNames.size();
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= numClasses) {
                throw new BalconException("dataset '" + name + "': label of image " + i + " must be in [0, "
                        + numClasses + "), got " + labels[i]);
            }
        }
        if (sourceIds != null && sourceIds.size() != labels.length) {
            throw new BalconException("dataset '" + name + "': expected one source id per image (" + labels.length
                    + "), got " + sourceIds.size());
        }
        this.sourceIds = sourceIds == null ? null : List.copyOf(sourceIds);
        this.pixels = pixels;
        this.labels = labels.clone();
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.classNames = List.copyOf(classNames);
    }

    /** The dataset's name. */
    public String name() {
        return name;
    }

    /** Number of images. */
    public int size() {
        return labels.length;
    }

    /** Number of channels per image (1 grayscale, 3 RGB). */
    public int channels() {
        return channels;
    }

    /** Image height in pixels. */
    public int height() {
        return height;
    }

    /** Image width in pixels. */
    public int width() {
        return width;
    }

    /** Bytes per image: {@code channels() * height() * width()}. */
    public int imageSize() {
        return channels * height * width;
    }

    /** Number of classes, {@code classNames().size()} (some classes may have no image). */
    public int numClasses() {
        return classNames.size();
    }

    /** Class names indexed by class id (unmodifiable). */
    public List<String> classNames() {
        return classNames;
    }

    /**
     * The images' file paths relative to the data root ('/'-separated), in image order (unmodifiable), or null when
     * the images do not come from files of their own (IDX, CIFAR).
     */
    public List<String> sourceIds() {
        return sourceIds;
    }

    /** The id of image {@code index}: its {@linkplain #sourceIds() source id}, or else the index in decimal. */
    public String id(int index) {
        return sourceIds == null ? Integer.toString(index) : sourceIds.get(index);
    }

    /** The same images and labels with other source ids (the pixels are shared, not copied); see {@link #sourceIds()}. */
    public ImageDataset withSourceIds(List<String> ids) {
        return new ImageDataset(name, pixels, labels, channels, height, width, classNames, ids);
    }

    /** Class id of image {@code index}. */
    public int label(int index) {
        return labels[index];
    }

    /** A copy of all labels, in image order. */
    public int[] labels() {
        return labels.clone();
    }

    /**
     * The backing pixel array, N x C x H x W unsigned bytes (read with {@code b & 0xFF}). Not a copy,
     * so that training loops can read it without allocation: do not modify it.
     */
    public byte[] pixels() {
        return pixels;
    }

    /** Offset of image {@code index} in {@link #pixels()}: {@code index * imageSize()}. */
    public int pixelOffset(int index) {
        return index * imageSize();
    }

    /** Number of images per class id. */
    public int[] classCounts() {
        int[] counts = new int[numClasses()];
        for (int label : labels) {
            counts[label]++;
        }
        return counts;
    }

    /**
     * A new dataset holding copies of the given images, in the given order (repeats allowed), with
     * the same classes and their source ids.
     *
     * @throws BalconException if an index is outside {@code [0, size())} or the subset needs more bytes than
     *                         one Java array holds
     */
    public ImageDataset subset(int[] indices, String name) {
        int imageSize = imageSize();
        long subsetBytes = (long) indices.length * imageSize;
        if (subsetBytes > MAX_ARRAY_LENGTH) {
            throw new BalconException("subset '" + name + "' of '" + this.name + "': " + indices.length
                    + " images need " + subsetBytes + " bytes, more than one Java array holds (" + MAX_ARRAY_LENGTH
                    + ")");
        }
        byte[] subsetPixels = new byte[(int) subsetBytes];
        int[] subsetLabels = new int[indices.length];
        List<String> subsetIds = sourceIds == null ? null : new ArrayList<>(indices.length);
        for (int i = 0; i < indices.length; i++) {
            int index = indices[i];
            if (index < 0 || index >= size()) {
                throw new BalconException("subset '" + name + "' of '" + this.name + "': index " + index
                        + " at position " + i + " must be in [0, " + size() + ")");
            }
            System.arraycopy(pixels, index * imageSize, subsetPixels, i * imageSize, imageSize);
            subsetLabels[i] = labels[index];
            if (subsetIds != null) {
                subsetIds.add(sourceIds.get(index));
            }
        }
        return new ImageDataset(name, subsetPixels, subsetLabels, channels, height, width, classNames, subsetIds);
    }

    @Override
    public String toString() {
        return "ImageDataset[" + name + ": " + size() + " images, " + channels + "x" + height + "x" + width + ", "
                + numClasses() + " classes, counts " + Arrays.toString(classCounts()) + "]";
    }
}
