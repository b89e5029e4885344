package dev.balcon.augment;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Antialiased bilinear resampling of a box of an image to a new size, with the weights of PIL's (and
 * torchvision's {@code antialias=True}) triangle filter: plain bilinear with half-pixel centres when
 * enlarging, a triangle widened by the scale factor when shrinking. Separable: one horizontal pass over
 * the box's rows into the spare array, then one vertical pass back into {@code data}. The taps of an axis
 * depend only on its input and output lengths, so they are computed once and cached; the pixel loops
 * only multiply and add.
 */
final class Resampler {
    /** Taps by {@code (inSize << 32) | outSize}; bounded by the few crop sizes an image allows. */
    private static final ConcurrentHashMap<Long, AxisTaps> TAPS = new ConcurrentHashMap<>();

    private Resampler() {
    }

    /**
     * For each output coordinate {@code o}: source pixels {@code first[o] .. first[o] + count[o] - 1}
     * (relative to the box) with normalised weights {@code weights[o * stride ..]}.
     */
    record AxisTaps(int[] first, int[] count, float[] weights, int stride) {
    }

    static AxisTaps taps(int inSize, int outSize) {
        return TAPS.computeIfAbsent(((long) inSize << 32) | outSize, key -> axisTaps(inSize, outSize));
    }

    /** Replaces {@code image} by its {@code box} resized to {@code outHeight x outWidth}. */
    static void resample(ImageBuffer image, Box box, int outHeight, int outWidth) {
        if (box.top() == 0 && box.left() == 0 && box.height() == image.height && box.width() == image.width
                && outHeight == image.height && outWidth == image.width) {
            return; // the filter's weights are exactly the identity here
        }
        AxisTaps horizontalTaps = taps(box.width(), outWidth);
        AxisTaps verticalTaps = taps(box.height(), outHeight);
        int channels = image.channels;
        int boxHeight = box.height();
        float[] source = image.data;
        float[] rows = image.spare(channels * boxHeight * outWidth);
        int[] firstX = horizontalTaps.first();
        int[] countX = horizontalTaps.count();
        float[] weightsX = horizontalTaps.weights();
        int strideX = horizontalTaps.stride();
        for (int c = 0; c < channels; c++) {
            for (int r = 0; r < boxHeight; r++) {
                int sourceRow = (c * image.height + box.top() + r) * image.width + box.left();
                int targetRow = (c * boxHeight + r) * outWidth;
                for (int x = 0; x < outWidth; x++) {
                    int first = sourceRow + firstX[x];
                    int count = countX[x];
                    int w = x * strideX;
                    float sum;
                    if (count == 2) { // the usual case when enlarging
                        sum = weightsX[w] * source[first] + weightsX[w + 1] * source[first + 1];
                    } else {
                        sum = 0f;
                        for (int t = 0; t < count; t++) {
                            sum += weightsX[w + t] * source[first + t];
                        }
                    }
                    rows[targetRow + x] = sum;
                }
            }
        }

        image.ensureCapacity(channels * outHeight * outWidth); // the source is no longer needed
        float[] target = image.data;
        for (int c = 0; c < channels; c++) {
            for (int y = 0; y < outHeight; y++) {
                int count = verticalTaps.count()[y];
                int w = y * verticalTaps.stride();
                float[] weightsY = verticalTaps.weights();
                int targetRow = (c * outHeight + y) * outWidth;
                int rowBase = (c * boxHeight + verticalTaps.first()[y]) * outWidth;
                float w0 = weightsY[w];
                for (int x = 0; x < outWidth; x++) {
                    target[targetRow + x] = w0 * rows[rowBase + x];
                }
                for (int t = 1; t < count; t++) {
                    float wt = weightsY[w + t];
                    int row = rowBase + t * outWidth;
                    for (int x = 0; x < outWidth; x++) {
                        target[targetRow + x] += wt * rows[row + x];
                    }
                }
            }
        }
        image.height = outHeight;
        image.width = outWidth;
    }

    /** PIL's {@code precompute_coeffs} for the bilinear filter (support 1), without zero-weight taps. */
    private static AxisTaps axisTaps(int inSize, int outSize) {
        double scale = inSize / (double) outSize;
        double filterScale = Math.max(scale, 1.0);
        double support = filterScale;
        double inverseFilterScale = 1.0 / filterScale;
        int stride = (int) Math.ceil(support) * 2 + 1; // PIL's ksize: the widest window
        int[] firsts = new int[outSize];
        int[] counts = new int[outSize];
        float[] weights = new float[outSize * stride];
        for (int o = 0; o < outSize; o++) {
            double center = (o + 0.5) * scale;
            int first = Math.max(0, (int) (center - support + 0.5));
            int end = Math.min(inSize, (int) (center + support + 0.5));
            // PIL's window may end in zero weights; dropping them leaves 2 taps when enlarging
            while (end - first > 1 && triangle(first, center, inverseFilterScale) == 0) {
                first++;
            }
            while (end - first > 1 && triangle(end - 1, center, inverseFilterScale) == 0) {
                end--;
            }
            double total = 0;
            for (int i = first; i < end; i++) {
                total += triangle(i, center, inverseFilterScale);
            }
            for (int i = first; i < end; i++) {
                weights[o * stride + i - first] = (float) (triangle(i, center, inverseFilterScale) / total);
            }
            firsts[o] = first;
            counts[o] = end - first;
        }
        return new AxisTaps(firsts, counts, weights, stride);
    }

    /** The triangle filter's weight of source pixel {@code index} for an output centred at {@code center}. */
    private static double triangle(int index, double center, double inverseFilterScale) {
        return Math.max(0.0, 1.0 - Math.abs((index - center + 0.5) * inverseFilterScale));
    }
}
