package dev.balcon.data;

import dev.balcon.BalconException;
import java.util.Arrays;

/**
 * Per-class image counts for long-tailed and balanced subsets ({@link Subsets#perClass} draws them).
 * Class 0 is the head (most images); counts never increase with the class id.
 */
public final class ClassProfiles {
    private ClassProfiles() {
    }

    /**
     * Exponential profile of CIFAR-10-LT / CIFAR-100-LT (Cui et al. 2019; Cao et al. 2019):
     * {@code n_i = floor(maxPerClass * (1/rho)^(i/(numClasses-1)))}, so {@code n_0 = maxPerClass} and
     * {@code n_last = floor(maxPerClass / rho)}. With one class the profile is {@code [maxPerClass]}.
     *
     * @param rho imbalance ratio {@code n_0 / n_last}, at least 1 (1 gives a balanced profile)
     * @throws BalconException if an argument is out of range or the tail class would get no image
     */
    public static int[] exponentialCounts(int numClasses, int maxPerClass, double rho) {
        requireCounts(numClasses, maxPerClass);
        if (!(rho >= 1) || Double.isInfinite(rho)) {
            throw new BalconException("imbalance ratio rho must be a finite number >= 1, got " + rho);
        }
        int[] counts = new int[numClasses];
        for (int i = 0; i < numClasses; i++) {
            double exponent = numClasses == 1 ? 0 : i / (numClasses - 1.0);
            // same expression as the reference CIFAR-LT code, so that floor() lands on the same integers
            counts[i] = (int) Math.floor(maxPerClass * StrictMath.pow(1.0 / rho, exponent));
        }
        if (counts[numClasses - 1] < 1) {
            throw new BalconException("imbalance ratio rho must be <= maxPerClass (" + maxPerClass
                    + ") so that the tail class keeps at least one image, got " + rho);
        }
        return counts;
    }

    /**
     * Sorted Pareto profile in the spirit of ImageNet-LT (Liu et al. 2019), which sampled ImageNet "following
     * the Pareto distribution with power value alpha = 6" into classes of 1280 down to 5 images. Here the
     * class sizes are the Pareto quantiles at evenly spaced tail probabilities, mapped affinely onto
     * {@code [minPerClass, maxPerClass]}:
     * <pre>
     *   q_i = ((i + 0.5) / C)^(-1/shape)          (Pareto(shape) quantile at upper-tail probability (i+0.5)/C)
     *   n_i = round(minPerClass + (maxPerClass - minPerClass) * (q_i - q_{C-1}) / (q_0 - q_{C-1}))
     * </pre>
     * so {@code n_0 = maxPerClass}, {@code n_{C-1} = minPerClass}, and a larger shape gives a faster
     * drop from the head followed by a longer flat tail. With C = 1000, 1280 to 5 and shape 6 this gives
     * about 105k images with 350 classes above 100 images and 158 below 20 (ImageNet-LT: 115.8k, 385 and
     * 136). With one class the profile is {@code [maxPerClass]}.
     *
     * @param shape       Pareto shape (tail index) alpha, a finite number > 0
     * @param minPerClass size of the smallest class, in {@code [1, maxPerClass]}
     * @throws BalconException if an argument is out of range
     */
    public static int[] paretoCounts(int numClasses, int maxPerClass, double shape, int minPerClass) {
        requireCounts(numClasses, maxPerClass);
        if (!(shape > 0) || Double.isInfinite(shape)) {
            throw new BalconException("Pareto shape must be a finite number > 0, got " + shape);
        }
        if (minPerClass < 1 || minPerClass > maxPerClass) {
            throw new BalconException("minPerClass must be in [1, maxPerClass=" + maxPerClass + "], got "
                    + minPerClass);
        }
        if (numClasses == 1) {
            return new int[] {maxPerClass};
        }
        double[] quantiles = new double[numClasses];
        for (int i = 0; i < numClasses; i++) {
            quantiles[i] = Math.pow((i + 0.5) / numClasses, -1.0 / shape);
        }
        double head = quantiles[0];
        double tail = quantiles[numClasses - 1];
        int[] counts = new int[numClasses];
        for (int i = 0; i < numClasses; i++) {
            double fraction = (quantiles[i] - tail) / (head - tail);
            counts[i] = (int) Math.round(minPerClass + (maxPerClass - minPerClass) * fraction);
        }
        return counts;
    }

    /**
     * Balanced profile with the given total: every class gets {@code total / numClasses} images and the
     * first {@code total % numClasses} classes one more, so counts differ by at most one.
     *
     * @throws BalconException if numClasses &lt; 1 or total &lt; 0
     */
    public static int[] balancedCounts(int numClasses, int total) {
        if (numClasses < 1) {
            throw new BalconException("numClasses must be >= 1, got " + numClasses);
        }
        if (total < 0) {
            throw new BalconException("total image count must be >= 0, got " + total);
        }
        int[] counts = new int[numClasses];
        Arrays.fill(counts, total / numClasses);
        for (int i = 0; i < total % numClasses; i++) {
            counts[i]++;
        }
        return counts;
    }

    private static void requireCounts(int numClasses, int maxPerClass) {
        if (numClasses < 1) {
            throw new BalconException("numClasses must be >= 1, got " + numClasses);
        }
        if (maxPerClass < 1) {
            throw new BalconException("maxPerClass must be >= 1, got " + maxPerClass);
        }
    }
}
