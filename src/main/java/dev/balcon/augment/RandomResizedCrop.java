package dev.balcon.augment;

import java.util.SplittableRandom;

/**
 * torchvision's {@code RandomResizedCrop(size, scale, ratio)} with bilinear, antialiased resizing: a box
 * of random area (a fraction in {@code scale} of the image) and aspect ratio (width / height, log-uniform
 * in {@code ratio}) is cut out and resized to the output size. After 10 draws that do not fit, it falls
 * back to the largest central crop whose aspect ratio is within {@code ratio}, exactly as torchvision.
 */
public final class RandomResizedCrop implements Augmentation {
    private static final int ATTEMPTS = 10;

    private final int outputHeight;
    private final int outputWidth;
    private final double scaleMin;
    private final double scaleMax;
    private final double ratioMin;
    private final double ratioMax;

    public RandomResizedCrop(int outputHeight, int outputWidth, double scaleMin, double scaleMax, double ratioMin,
            double ratioMax) {
        this.outputHeight = Params.positive("crop output height", outputHeight);
        this.outputWidth = Params.positive("crop output width", outputWidth);
        Params.range("crop scale", scaleMin, scaleMax, 0, true, 1);
        Params.range("crop ratio", ratioMin, ratioMax, 0, true, Double.MAX_VALUE);
        this.scaleMin = scaleMin;
        this.scaleMax = scaleMax;
        this.ratioMin = ratioMin;
        this.ratioMax = ratioMax;
    }

    /** torchvision's {@code RandomResizedCrop.get_params} for a {@code height x width} image. */
    public Box sampleBox(int height, int width, SplittableRandom random) {
        double area = (double) height * width;
        double logRatioMin = Math.log(ratioMin);
        double logRatioMax = Math.log(ratioMax);
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            double targetArea = area * Params.uniform(random, scaleMin, scaleMax);
            double aspectRatio = Math.exp(Params.uniform(random, logRatioMin, logRatioMax));
            // Math.rint rounds half to even, as Python's round()
            int w = (int) Math.rint(Math.sqrt(targetArea * aspectRatio));
            int h = (int) Math.rint(Math.sqrt(targetArea / aspectRatio));
            if (0 < w && w <= width && 0 < h && h <= height) {
                int top = random.nextInt(height - h + 1);
                int left = random.nextInt(width - w + 1);
                return new Box(top, left, h, w);
            }
        }
        double inputRatio = (double) width / height;
        int w;
        int h;
        if (inputRatio < ratioMin) {
            w = width;
            h = (int) Math.rint(w / ratioMin);
        } else if (inputRatio > ratioMax) {
            h = height;
            w = (int) Math.rint(h * ratioMax);
        } else {
            w = width;
            h = height;
        }
        return new Box((height - h) / 2, (width - w) / 2, h, w);
    }

    @Override
    public ImageBuffer apply(ImageBuffer image, SplittableRandom random) {
        Resampler.resample(image, sampleBox(image.height, image.width, random), outputHeight, outputWidth);
        return image;
    }
}
