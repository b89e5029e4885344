package dev.balcon.augment;

import dev.balcon.BalconException;
import dev.balcon.data.ImageDataset;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A sequence of augmentations turning a dataset image into one normalised view. Immutable and
 * thread-safe: each thread renders in its own reusable {@link ImageBuffer}.
 */
public final class AugmentationPipeline {
    private final int channels;
    private final int outputHeight;
    private final int outputWidth;
    private final List<Augmentation> steps;
    private final Normalization normalization;
    private final List<Augmentation> normalizedSteps;
    private final ThreadLocal<ImageBuffer> buffers;

    /**
     * @param steps           applied in order to the image in [0, 1]; they must leave it
     *                        {@code outputHeight x outputWidth}
     * @param normalizedSteps applied in order after normalisation (cutout)
     */
    public AugmentationPipeline(int channels, int outputHeight, int outputWidth, List<Augmentation> steps,
            Normalization normalization, List<Augmentation> normalizedSteps) {
        this.channels = Params.positive("image channels", channels);
        this.outputHeight = Params.positive("output height", outputHeight);
        this.outputWidth = Params.positive("output width", outputWidth);
        normalization.checkChannels(channels, "the augmented image");
        this.steps = List.copyOf(steps);
        this.normalization = normalization;
        this.normalizedSteps = List.copyOf(normalizedSteps);
        this.buffers = ThreadLocal.withInitial(() -> new ImageBuffer(channels, outputHeight, outputWidth));
    }

    /**
     * Writes one augmented, normalised view of image {@code index} of {@code ds} ({@code channels x
     * outputHeight x outputWidth} floats) at {@code out[offset..]}, drawing all randomness from
     * {@code random}. Thread-safe.
     */
    public void render(ImageDataset ds, int index, SplittableRandom random, float[] out, int offset) {
        if (ds.channels() != channels) {
            throw new BalconException("augmentation pipeline is built for " + channels + "-channel images, dataset "
                    + ds.name() + " has " + ds.channels() + " channels");
        }
        ImageBuffer image = buffers.get();
        image.load(ds, index);
        for (Augmentation step : steps) {
            image = step.apply(image, random);
        }
        if (image.height != outputHeight || image.width != outputWidth) {
            throw new IllegalStateException("augmentation steps produced " + image.height + "x" + image.width
                    + ", expected " + outputHeight + "x" + outputWidth);
        }
        normalization.normalize(image);
        for (Augmentation step : normalizedSteps) {
            image = step.apply(image, random);
        }
        System.arraycopy(image.data, 0, out, offset, viewLength());
    }

    public int channels() {
        return channels;
    }

    public int outputHeight() {
        return outputHeight;
    }

    public int outputWidth() {
        return outputWidth;
    }

    /** Floats per view: {@code channels * outputHeight * outputWidth}. */
    public int viewLength() {
        return channels * outputHeight * outputWidth;
    }

    public Normalization normalization() {
        return normalization;
    }
}
