package dev.balcon.augment;

import dev.balcon.BalconException;
import java.util.Arrays;
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

    /**
     * Blurs with a Gaussian of standard deviation {@code sigma} (pixels). Each pass first convolves the
     * whole array as one long row (contiguous multiply-adds the JIT vectorises), then recomputes the
     * border pixels, where that mixed neighbouring rows or planes, with reflect padding.
     */
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
        int length = image.length();
        float[] source = image.data;
        float[] horizontal = image.spare(length);
        convolve(source, horizontal, 0, length, 1, kernel, kernelSize);
        int leftBorderEnd = Math.min(radius, width);
        int rightBorderStart = Math.max(width - radius, leftBorderEnd);
        for (int row = 0, rows = image.channels * height; row < rows; row++) {
            int start = row * width;
            for (int x = 0; x < leftBorderEnd; x++) {
                horizontal[start + x] = reflectedTap(source, start, x, width, kernel, radius);
            }
            for (int x = rightBorderStart; x < width; x++) {
                horizontal[start + x] = reflectedTap(source, start, x, width, kernel, radius);
            }
        }
        float[] target = source; // the horizontal pass has consumed the source
        int plane = height * width;
        for (int c = 0; c < image.channels; c++) {
            int base = c * plane;
            convolve(horizontal, target, base, base + plane, width, kernel, kernelSize);
            for (int y = 0; y < height; y++) {
                if (y < radius || y >= height - radius) {
                    int targetRow = base + y * width;
                    Arrays.fill(target, targetRow, targetRow + width, 0f);
                    for (int t = 0; t < kernelSize; t++) {
                        float kt = kernel[t];
                        int sourceRow = base + reflect(y - radius + t, height) * width;
                        for (int x = 0; x < width; x++) {
                            target[targetRow + x] += kt * horizontal[sourceRow + x];
                        }
                    }
                }
            }
        }
    }

    private float reflectedTap(float[] source, int rowStart, int x, int width, float[] kernel, int radius) {
        float sum = 0f;
        for (int t = 0; t < kernelSize; t++) {
            sum += kernel[t] * source[rowStart + reflect(x - radius + t, width)];
        }
        return sum;
    }

    /**
     * {@code target[i] = sum_t kernel[t] * source[i + (t - radius) * stride]} for the {@code i} in
     * {@code [from, to)} whose taps all lie in {@code [from, to)}.
     */
    private static void convolve(float[] source, float[] target, int from, int to, int stride, float[] kernel,
            int kernelSize) {
        int reach = kernelSize / 2 * stride;
        int start = from + reach;
        int end = to - reach;
        if (start >= end) {
            return;
        }
        float k0 = kernel[0];
        for (int i = start; i < end; i++) {
            target[i] = k0 * source[i - reach];
        }
        for (int t = 1; t < kernelSize; t++) {
            float kt = kernel[t];
            int shift = t * stride - reach;
            for (int i = start; i < end; i++) {
                target[i] += kt * source[i + shift];
            }
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
