package dev.balcon.augment;

import java.util.Arrays;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * torchvision's {@code RandomErasing(p, scale, ratio, value=0)} (cutout): with probability {@code p},
 * sets a random rectangle of all channels to 0. Its area is a fraction in {@code scale} of the image and
 * its aspect ratio (height / width) is log-uniform in {@code ratio}; after 10 draws that do not fit, the
 * image is left unchanged, as torchvision. Applied after normalisation (as in torchvision's recipes and the
 * Cutout paper), 0 is the dataset's mean colour.
 */
public final class RandomErasing implements Augmentation {
    private static final int ATTEMPTS = 10;

    private final double p;
    private final double scaleMin;
    private final double scaleMax;
    private final double ratioMin;
    private final double ratioMax;

    public RandomErasing(double p, double scaleMin, double scaleMax, double ratioMin, double ratioMax) {
        this.p = Params.probability("cutout probability", p);
        Params.range("cutout scale", scaleMin, scaleMax, 0, true, 1);
        Params.range("cutout ratio", ratioMin, ratioMax, 0, true, Double.MAX_VALUE);
        this.scaleMin = scaleMin;
        this.scaleMax = scaleMax;
        this.ratioMin = ratioMin;
        this.ratioMax = ratioMax;
    }

    /** torchvision's {@code RandomErasing.get_params}; empty when no draw fits. */
    public Optional<Box> sampleRegion(int height, int width, SplittableRandom random) {
        double area = (double) height * width;
        double logRatioMin = Math.log(ratioMin);
        double logRatioMax = Math.log(ratioMax);
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            double eraseArea = area * Params.uniform(random, scaleMin, scaleMax);
            double aspectRatio = Math.exp(Params.uniform(random, logRatioMin, logRatioMax));
            int h = (int) Math.rint(Math.sqrt(eraseArea * aspectRatio));
            int w = (int) Math.rint(Math.sqrt(eraseArea / aspectRatio));
            if (h < height && w < width) {
                int top = random.nextInt(height - h + 1);
                int left = random.nextInt(width - w + 1);
                return Optional.of(new Box(top, left, h, w));
            }
        }
        return Optional.empty();
    }

    @Override
    public ImageBuffer apply(ImageBuffer image, SplittableRandom random) {
        if (random.nextDouble() < p) {
            sampleRegion(image.height, image.width, random).ifPresent(region -> erase(image, region));
        }
        return image;
    }

    private static void erase(ImageBuffer image, Box region) {
        float[] data = image.data;
        for (int c = 0; c < image.channels; c++) {
            for (int y = region.top(); y < region.top() + region.height(); y++) {
                int start = (c * image.height + y) * image.width + region.left();
                Arrays.fill(data, start, start + region.width(), 0f);
            }
        }
    }
}
