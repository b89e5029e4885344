package dev.balcon.augment;

import java.util.SplittableRandom;

/**
 * torchvision's {@code RandomRotation(degrees)} with its defaults (nearest neighbour, same size, fill 0):
 * rotates about the image centre by an angle uniform in {@code [-degrees, degrees]}, counter-clockwise for
 * positive angles; pixels that come from outside the image are 0.
 */
public final class RandomRotation implements Augmentation {
    private final double degrees;

    public RandomRotation(double degrees) {
        this.degrees = Params.rotationDegrees(degrees);
    }

    @Override
    public ImageBuffer apply(ImageBuffer image, SplittableRandom random) {
        double angle = Math.toRadians(Params.uniform(random, -degrees, degrees));
        rotate(image, angle);
        return image;
    }

    /** Rotates by {@code radians}, sampling as torchvision's grid_sample (nearest, align_corners=False). */
    static void rotate(ImageBuffer image, double radians) {
        int height = image.height;
        int width = image.width;
        int plane = height * width;
        double cos = Math.cos(radians);
        double sin = Math.sin(radians);
        double centerX = (width - 1) * 0.5;
        double centerY = (height - 1) * 0.5;
        int[] sourceIndex = image.intTable(plane);
        for (int y = 0; y < height; y++) {
            double dy = y - centerY;
            for (int x = 0; x < width; x++) {
                double dx = x - centerX;
                // inverse map of the output pixel into the input (Math.rint: round half to even, as nearbyint)
                int sx = (int) Math.rint(cos * dx - sin * dy + centerX);
                int sy = (int) Math.rint(sin * dx + cos * dy + centerY);
                sourceIndex[y * width + x] = sx >= 0 && sx < width && sy >= 0 && sy < height ? sy * width + sx : -1;
            }
        }
        float[] source = image.data;
        float[] target = image.spare(image.channels * plane);
        for (int c = 0; c < image.channels; c++) {
            int base = c * plane;
            for (int i = 0; i < plane; i++) {
                int s = sourceIndex[i];
                target[base + i] = s >= 0 ? source[base + s] : 0f;
            }
        }
        image.swapSpare(height, width);
    }
}
