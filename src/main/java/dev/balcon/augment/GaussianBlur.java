package dev.balcon.augment;

import dev.balcon.BalconException;
import java.util.SplittableRandom;

/**
 * torchvision's {@code RandomApply([GaussianBlur(kernelSize, sigma=(sigmaMin, sigmaMax))], p)}: with
 * probability {@code p}, a separable Gaussian blur with sigma uniform in {@code [sigmaMin, sigmaMax]},
 * a {@code kernelSize}-tap kernel sampled at integer offsets and normalised, and reflect padding.
 */
public final class GaussianBlur implements Augmentation {
    private final int kernelSize;
    private final double sigmaMin;
    private final double sigmaMax;
    private final double p;

    public GaussianBlur(int kernelSize, double sigmaMin, double sigmaMax, double p) {
        if (kernelSize < 1 || kernelSize % 2 == 0) {
            throw new BalconException("blur kernel size must be odd and positive, got " + kernelSize);
        }
        Params.range("blur sigma", sigmaMin, sigmaMax, 0, true, Double.MAX_VALUE);
        this.kernelSize = kernelSize;
        this.sigmaMin = sigmaMin;
        this.sigmaMax = sigmaMax;
        this.p = Params.probability("blur probability", p);
    }

    /**
     * The SimCLR kernel size for an image side: 10% of it, made odd, at least 3 (3 for 28 and 32 px,
     * 23 for 224 px, as SimCLR's {@code image_size // 10} rounded to an odd size).
     */
    public static int kernelSizeFor(int imageSide) {
        int size = imageSide / 10;
        if (size % 2 == 0) {
            size++;
        }
        return Math.max(3, size);
    }

    public int kernelSize() {
        return kernelSize;
    }

    @Override
    public ImageBuffer apply(ImageBuffer image, SplittableRandom random) {
        if (random.nextDouble() < p) {
            blur(image, Params.uniform(random, sigmaMin, sigmaMax));
        }
        return image;
    }

    /** Blurs with a Gaussian of standard deviation {@code sigma} (pixels). */
    void blur(ImageBuffer image, double sigma) {
        int radius = kernelSize / 2;
        float[] kernel = image.floatTable(kernelSize);
        double total = 0;
        for (int t = 0; t < kernelSize; t++) {
            double offset = (t - radius) / sigma;
            kernel[t] = (float) Math.exp(-0.5 * offset * offset);
            total += kernel[t];
        }
        for (int t = 0; t < kernelSize; t++) {
            kernel[t] = (float) (kernel[t] / total);
        }
        int height = image.height;
        int width = image.width;
        int rows = image.channels * height;
        float[] source = image.data;
        float[] horizontal = image.spare(image.length());
        for (int row = 0; row < rows; row++) {
            blurRow(source, horizontal, row * width, width, kernel, radius);
        }
        float[] target = source; // the horizontal pass has consumed the source
        int plane = height * width;
        for (int c = 0; c < image.channels; c++) {
            int base = c * plane;
            for (int y = 0; y < height; y++) {
                int targetRow = base + y * width;
                int firstRow = base + reflect(y - radius, height) * width;
                float k0 = kernel[0];
                for (int x = 0; x < width; x++) {
                    target[targetRow + x] = k0 * horizontal[firstRow + x];
                }
                for (int t = 1; t < kernelSize; t++) {
                    float kt = kernel[t];
                    int sourceRow = base + reflect(y - radius + t, height) * width;
                    for (int x = 0; x < width; x++) {
                        target[targetRow + x] += kt * horizontal[sourceRow + x];
                    }
                }
            }
        }
    }

    private static void blurRow(float[] source, float[] target, int start, int width, float[] kernel, int radius) {
        int taps = 2 * radius + 1;
        int interiorEnd = width - radius;
        for (int x = 0; x < width; x++) {
            float sum = 0f;
            if (x >= radius && x < interiorEnd) {
                int first = start + x - radius;
                for (int t = 0; t < taps; t++) {
                    sum += kernel[t] * source[first + t];
                }
            } else {
                for (int t = 0; t < taps; t++) {
                    sum += kernel[t] * source[start + reflect(x - radius + t, width)];
                }
            }
            target[start + x] = sum;
        }
    }

    /** Reflect padding without repeating the edge (PyTorch's "reflect"): -1 -> 1, n -> n - 2. */
    static int reflect(int index, int size) {
        if (size == 1) {
            return 0;
        }
        int period = 2 * (size - 1);
        int i = Math.floorMod(index, period);
        return i < size ? i : period - i;
    }
}
