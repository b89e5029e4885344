package dev.balcon.augment;

import java.util.SplittableRandom;

/** torchvision's {@code RandomHorizontalFlip(p)}: mirrors the image left-right with probability {@code p}. */
public final class RandomHorizontalFlip implements Augmentation {
    private final double p;

    public RandomHorizontalFlip(double p) {
        this.p = Params.probability("flip probability", p);
    }

    @Override
    public ImageBuffer apply(ImageBuffer image, SplittableRandom random) {
        if (random.nextDouble() < p) {
            float[] data = image.data;
            int width = image.width;
            int rows = image.channels * image.height;
            for (int row = 0; row < rows; row++) {
                for (int left = row * width, right = left + width - 1; left < right; left++, right--) {
                    float swap = data[left];
                    data[left] = data[right];
                    data[right] = swap;
                }
            }
        }
        return image;
    }
}
