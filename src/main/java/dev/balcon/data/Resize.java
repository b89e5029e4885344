package dev.balcon.data;

/**
 * Resizes a channel-planar float image to a target size by scaling it so that it covers the target
 * (scale = max(targetH / srcH, targetW / srcW), i.e. short-side resize for a square target) and
 * keeping the centre; the crop is folded into the resampling, so no intermediate image is built.
 * Resampling is separable bilinear with antialiasing: when shrinking, the triangle filter is widened
 * by the shrink factor (as PIL's BILINEAR and torchvision's {@code Resize(antialias=True)}), so
 * downscaled images average all covered pixels instead of aliasing.
 */
final class Resize {
    private Resize() {
    }

    /** Filter taps of one axis: output i reads source[start[i] .. start[i] + count[i]) with weights. */
    private record Taps(int[] start, int[] count, float[] weights, int stride) {
    }

    /**
     * @param source    {@code channels x srcHeight x srcWidth} values in [0, 255]
     * @param out       receives {@code channels x height x width} rounded, clamped bytes at {@code offset}
     */
    static void coverAndCenterCrop(float[] source, int channels, int srcHeight, int srcWidth,
                                   byte[] out, int offset, int height, int width) {
        double scale = Math.max((double) height / srcHeight, (double) width / srcWidth);
        Taps horizontal = taps(srcWidth, width, scale);
        Taps vertical = taps(srcHeight, height, scale);
        // only the source rows the vertical taps read: a crop of a tall image needs few of them
        int firstRow = vertical.start[0];
        int endRow = vertical.start[height - 1] + vertical.count[height - 1];
        float[] rows = new float[Math.multiplyExact(endRow - firstRow, width)];
        long planeSize = (long) srcHeight * srcWidth;
        for (int c = 0; c < channels; c++) {
            for (int y = firstRow; y < endRow; y++) {
                int sourceRow = Math.toIntExact(c * planeSize + (long) y * srcWidth);
                for (int x = 0; x < width; x++) {
                    int tapBase = x * horizontal.stride;
                    int start = sourceRow + horizontal.start[x];
                    float sum = 0;
                    for (int k = 0; k < horizontal.count[x]; k++) {
                        sum += source[start + k] * horizontal.weights[tapBase + k];
                    }
                    rows[(y - firstRow) * width + x] = sum;
                }
            }
            int outPlane = offset + c * height * width;
            for (int y = 0; y < height; y++) {
                int tapBase = y * vertical.stride;
                for (int x = 0; x < width; x++) {
                    float sum = 0;
                    for (int k = 0; k < vertical.count[y]; k++) {
                        sum += rows[(vertical.start[y] - firstRow + k) * width + x] * vertical.weights[tapBase + k];
                    }
                    out[outPlane + y * width + x] = (byte) Math.min(255, Math.max(0, Math.round(sum)));
                }
            }
        }
    }

    /**
     * Taps for mapping {@code srcSize} source pixels, scaled by {@code scale} and centre-cropped, onto
     * {@code outSize} output pixels. Pixel centres sit at half-integers in both grids.
     */
    private static Taps taps(int srcSize, int outSize, double scale) {
        double filterScale = Math.max(1.0, 1.0 / scale);
        double support = filterScale;
        double cropOrigin = (srcSize - outSize / scale) / 2;
        int stride = (int) Math.ceil(2 * support) + 2;
        int[] start = new int[outSize];
        int[] count = new int[outSize];
        float[] weights = new float[Math.multiplyExact(outSize, stride)];
        for (int i = 0; i < outSize; i++) {
            double center = cropOrigin + (i + 0.5) / scale;
            int lo = Math.max(0, (int) Math.floor(center - support));
            int hi = Math.min(srcSize, (int) Math.ceil(center + support));
            double total = 0;
            for (int j = lo; j < hi; j++) {
                double weight = Math.max(0, 1 - Math.abs((j + 0.5 - center) / filterScale));
                weights[i * stride + j - lo] = (float) weight;
                total += weight;
            }
            for (int j = lo; j < hi; j++) {
                weights[i * stride + j - lo] /= (float) total;
            }
            start[i] = lo;
            count[i] = hi - lo;
        }
        return new Taps(start, count, weights, stride);
    }
}
