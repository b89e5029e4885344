package dev.balcon.augment;

import dev.balcon.BalconException;
import java.util.SplittableRandom;

/** Validation of augmentation parameters, with one-line messages that name the parameter. */
final class Params {
    private Params() {
    }

    static double probability(String name, double p) {
        if (!(p >= 0 && p <= 1)) {
            throw new BalconException(name + " must be a probability in [0, 1], got " + p);
        }
        return p;
    }

    static double nonNegative(String name, double value) {
        if (!(value >= 0) || Double.isInfinite(value)) {
            throw new BalconException(name + " must be a finite number >= 0, got " + value);
        }
        return value;
    }

    /** Checks {@code lower <= min <= max <= upper} (and {@code min > lower} when {@code openLower}). */
    static void range(String name, double min, double max, double lower, boolean openLower, double upper) {
        boolean lowerOk = openLower ? min > lower : min >= lower;
        if (!(lowerOk && min <= max && max <= upper)) {
            String bound = (openLower ? lower + " < min" : lower + " <= min") + " <= max"
                    + (Double.isInfinite(upper) ? "" : " <= " + upper);
            throw new BalconException(name + " must satisfy " + bound + ", got (" + min + ", " + max + ")");
        }
    }

    static double rotationDegrees(double degrees) {
        if (!(degrees >= 0 && degrees <= 180)) {
            throw new BalconException("rotation degrees must be in [0, 180], got " + degrees);
        }
        return degrees;
    }

    static double hue(double hue) {
        if (!(hue >= 0 && hue <= 0.5)) {
            throw new BalconException("jitter hue must be in [0, 0.5], got " + hue);
        }
        return hue;
    }

    static int positive(String name, int value) {
        if (value <= 0) {
            throw new BalconException(name + " must be > 0, got " + value);
        }
        return value;
    }

    /** Uniform in [min, max]; unlike {@code SplittableRandom.nextDouble(min, max)} also for min == max. */
    static double uniform(SplittableRandom random, double min, double max) {
        return min + (max - min) * random.nextDouble();
    }
}
