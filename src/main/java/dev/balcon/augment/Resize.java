package dev.balcon.augment;

import java.util.SplittableRandom;

/** Deterministic resize of the whole image (bilinear, antialiased), as torchvision's {@code Resize((h, w))}. */
public final class Resize implements Augmentation {
    private final int outputHeight;
    private final int outputWidth;

    public Resize(int outputHeight, int outputWidth) {
        this.outputHeight = Params.positive("resize output height", outputHeight);
        this.outputWidth = Params.positive("resize output width", outputWidth);
    }

    @Override
    public ImageBuffer apply(ImageBuffer image, SplittableRandom random) {
        Resampler.resample(image, new Box(0, 0, image.height, image.width), outputHeight, outputWidth);
        return image;
    }
}
