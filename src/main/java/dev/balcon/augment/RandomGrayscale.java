package dev.balcon.augment;

import java.util.SplittableRandom;

/**
 * torchvision's {@code RandomGrayscale(p)}: with probability {@code p}, every channel of a 3-channel image
 * becomes its luma; 1-channel images are already gray and stay unchanged.
 */
public final class RandomGrayscale implements Augmentation {
    private final double p;

    public RandomGrayscale(double p) {
        this.p = Params.probability("grayscale probability", p);
    }

    @Override
    public ImageBuffer apply(ImageBuffer image, SplittableRandom random) {
        if (random.nextDouble() < p && image.channels == 3) {
            float[] data = image.data;
            int plane = image.height * image.width;
            float[] gray = ColorJitter.grayPlane(image);
            for (int c = 0; c < 3; c++) {
                System.arraycopy(gray, 0, data, c * plane, plane);
            }
        }
        return image;
    }
}
