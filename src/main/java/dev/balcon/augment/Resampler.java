package dev.balcon.augment;

/**
 * Antialiased bilinear resampling of a box of an image to a new size, with the weights of PIL's (and
 * torchvision's {@code antialias=True}) triangle filter: plain bilinear with half-pixel centres when
 * enlarging, a triangle widened by the scale factor when shrinking. Separable: one horizontal pass over
 * the box's rows into the spare array, then one vertical pass back into {@code data}. The per-axis taps
 * are computed once per call, so the pixel loops only multiply and add.
 */
final class Resampler {
    private Resampler() {
    }

    /** Replaces {@code image} by its {@code box} resized to {@code outHeight x outWidth}. */
    static void resample(ImageBuffer image, Box box, int outHeight, int outWidth) {
        if (box.top() == 0 && box.left() == 0 && box.height() == image.height && box.width() == image.width
                && outHeight == image.height && outWidth == image.width) {
            return; // the filter's weights are exactly the identity here
        }
        double scaleX = box.width() / (double) outWidth;
        double scaleY = box.height() / (double) outHeight;
        int tapsX = maxTaps(scaleX);
        int tapsY = maxTaps(scaleY);
        float[] weights = image.floatTable(outWidth * tapsX + outHeight * tapsY);
        int[] spans = image.intTable(2 * (outWidth + outHeight));
        axisWeights(box.width(), outWidth, scaleX, tapsX, weights, 0, spans, 0);
        int yWeights = outWidth * tapsX;
        int ySpans = 2 * outWidth;
        axisWeights(box.height(), outHeight, scaleY, tapsY, weights, yWeights, spans, ySpans);

        int channels = image.channels;
        int boxHeight = box.height();
        float[] source = image.data;
        float[] rows = image.spare(channels * boxHeight * outWidth);
        for (int c = 0; c < channels; c++) {
            for (int r = 0; r < boxHeight; r++) {
                int sourceRow = (c * image.height + box.top() + r) * image.width + box.left();
                int targetRow = (c * boxHeight + r) * outWidth;
                for (int x = 0; x < outWidth; x++) {
                    int first = sourceRow + spans[2 * x];
                    int count = spans[2 * x + 1];
                    int w = x * tapsX;
                    float sum = 0f;
                    for (int t = 0; t < count; t++) {
                        sum += weights[w + t] * source[first + t];
                    }
                    rows[targetRow + x] = sum;
                }
            }
        }

        image.ensureCapacity(channels * outHeight * outWidth); // the source is no longer needed
        float[] target = image.data;
        for (int c = 0; c < channels; c++) {
            for (int y = 0; y < outHeight; y++) {
                int first = spans[ySpans + 2 * y];
                int count = spans[ySpans + 2 * y + 1];
                int w = yWeights + y * tapsY;
                int targetRow = (c * outHeight + y) * outWidth;
                int rowBase = (c * boxHeight + first) * outWidth;
                float w0 = weights[w];
                for (int x = 0; x < outWidth; x++) {
                    target[targetRow + x] = w0 * rows[rowBase + x];
                }
                for (int t = 1; t < count; t++) {
                    float wt = weights[w + t];
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

    /** Largest number of source pixels one output pixel can draw on (PIL's {@code ksize}). */
    static int maxTaps(double scale) {
        return (int) Math.ceil(Math.max(scale, 1.0)) * 2 + 1;
    }

    /**
     * For each output coordinate {@code o}: the first source index ({@code spans[2o]}), the number of
     * source pixels ({@code spans[2o+1]}) and their normalised weights ({@code weights[o * taps + t]}).
     * Follows PIL's {@code precompute_coeffs} for the bilinear filter (support 1).
     */
    static void axisWeights(int inSize, int outSize, double scale, int taps, float[] weights, int weightOffset,
            int[] spans, int spanOffset) {
        double filterScale = Math.max(scale, 1.0);
        double support = filterScale;
        double inverseFilterScale = 1.0 / filterScale;
        for (int o = 0; o < outSize; o++) {
            double center = (o + 0.5) * scale;
            int first = Math.max(0, (int) (center - support + 0.5));
            int end = Math.min(inSize, (int) (center + support + 0.5));
            int count = end - first;
            int w = weightOffset + o * taps;
            double total = 0;
            for (int t = 0; t < count; t++) {
                double weight = Math.max(0.0, 1.0 - Math.abs((first + t - center + 0.5) * inverseFilterScale));
                weights[w + t] = (float) weight;
                total += weight;
            }
            for (int t = 0; t < count; t++) {
                weights[w + t] = (float) (weights[w + t] / total);
            }
            spans[spanOffset + 2 * o] = first;
            spans[spanOffset + 2 * o + 1] = count;
        }
    }
}
