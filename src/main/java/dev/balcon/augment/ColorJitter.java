package dev.balcon.augment;

import java.util.SplittableRandom;

/**
 * torchvision's {@code RandomApply([ColorJitter(brightness, contrast, saturation, hue)], p)}: with
 * probability {@code p}, the four adjustments in a random order, each with a factor drawn as torchvision
 * does (brightness, contrast, saturation uniform in {@code [max(0, 1 - v), 1 + v]}; hue uniform in
 * {@code [-hue, hue]}); every step clamps to [0, 1]. A parameter of 0 disables its adjustment. On
 * 1-channel images saturation and hue change nothing (as torchvision).
 */
public final class ColorJitter implements Augmentation {
    private static final float RED_WEIGHT = 0.2989f;
    private static final float GREEN_WEIGHT = 0.587f;
    private static final float BLUE_WEIGHT = 0.114f;
    private static final int BRIGHTNESS = 0;
    private static final int CONTRAST = 1;
    private static final int SATURATION = 2;
    private static final int HUE = 3;

    private final double brightness;
    private final double contrast;
    private final double saturation;
    private final double hue;
    private final double p;

    public ColorJitter(double brightness, double contrast, double saturation, double hue, double p) {
        this.brightness = Params.nonNegative("jitter brightness", brightness);
        this.contrast = Params.nonNegative("jitter contrast", contrast);
        this.saturation = Params.nonNegative("jitter saturation", saturation);
        this.hue = Params.hue(hue);
        this.p = Params.probability("jitter probability", p);
    }

    @Override
    public ImageBuffer apply(ImageBuffer image, SplittableRandom random) {
        if (!(random.nextDouble() < p)) {
            return image;
        }
        int[] order = {BRIGHTNESS, CONTRAST, SATURATION, HUE};
        for (int i = order.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int swap = order[i];
            order[i] = order[j];
            order[j] = swap;
        }
        float brightnessFactor = (float) factor(random, brightness);
        float contrastFactor = (float) factor(random, contrast);
        float saturationFactor = (float) factor(random, saturation);
        float hueShift = (float) Params.uniform(random, -hue, hue);
        for (int step : order) {
            switch (step) {
                case BRIGHTNESS -> {
                    if (brightness > 0) {
                        adjustBrightness(image, brightnessFactor);
                    }
                }
                case CONTRAST -> {
                    if (contrast > 0) {
                        adjustContrast(image, contrastFactor);
                    }
                }
                case SATURATION -> {
                    if (saturation > 0 && image.channels == 3) {
                        adjustSaturation(image, saturationFactor);
                    }
                }
                default -> {
                    if (hue > 0 && image.channels == 3) {
                        adjustHue(image, hueShift);
                    }
                }
            }
        }
        return image;
    }

    private static double factor(SplittableRandom random, double strength) {
        return Params.uniform(random, Math.max(0, 1 - strength), 1 + strength);
    }

    /**
     * Clamp for loops over one array, which the JIT vectorises with Math.min/max (4x faster than
     * comparisons there).
     */
    private static float clamp01(float value) {
        return Math.min(1f, Math.max(0f, value));
    }

    /** Clamp for loops the JIT leaves scalar, where comparisons are 3x faster than Math.min/max. */
    private static float clamp01Scalar(float value) {
        return value < 0f ? 0f : value > 1f ? 1f : value;
    }

    /** torchvision's {@code adjust_brightness}: blend with black. */
    static void adjustBrightness(ImageBuffer image, float factor) {
        float[] data = image.data;
        for (int i = 0, n = image.length(); i < n; i++) {
            data[i] = clamp01(data[i] * factor);
        }
    }

    /** torchvision's {@code adjust_contrast}: blend with the mean of the grayscale image. */
    static void adjustContrast(ImageBuffer image, float factor) {
        float[] data = image.data;
        int plane = image.height * image.width;
        double sum = 0;
        if (image.channels == 3) {
            for (int i = 0; i < plane; i++) {
                sum += luma(data[i], data[plane + i], data[2 * plane + i]);
            }
        } else {
            for (int i = 0, n = image.length(); i < n; i++) {
                sum += data[i];
            }
            plane = image.length();
        }
        float offset = (float) ((1 - factor) * (sum / plane));
        for (int i = 0, n = image.length(); i < n; i++) {
            data[i] = clamp01(factor * data[i] + offset);
        }
    }

    /** torchvision's {@code adjust_saturation} (3 channels): blend each pixel with its grayscale value. */
    static void adjustSaturation(ImageBuffer image, float factor) {
        float[] data = image.data;
        int plane = image.height * image.width;
        float[] gray = grayPlane(image);
        float keep = 1 - factor;
        for (int c = 0; c < 3; c++) {
            int base = c * plane;
            for (int i = 0; i < plane; i++) {
                data[base + i] = clamp01Scalar(factor * data[base + i] + keep * gray[i]);
            }
        }
    }

    /**
     * The luma of every pixel of a 3-channel image, in the buffer's float table. Computing it apart lets
     * the per-channel loops that use it run on contiguous arrays, which the JIT vectorises.
     */
    static float[] grayPlane(ImageBuffer image) {
        float[] data = image.data;
        int plane = image.height * image.width;
        float[] gray = image.floatTable(plane);
        for (int i = 0; i < plane; i++) {
            gray[i] = luma(data[i], data[plane + i], data[2 * plane + i]);
        }
        return gray;
    }

    /**
     * torchvision's {@code adjust_hue} (3 channels): rotate the hue in HSV space by {@code shift} turns.
     * RGB to HSV as torchvision's {@code _rgb2hsv}; back with the branch-free form of its
     * {@code _hsv2rgb}: channel n (R 5, G 3, B 1) is {@code v - v s clamp(min(k, 4 - k), 0, 1)} with
     * {@code k = (n + 6h) mod 6}.
     */
    static void adjustHue(ImageBuffer image, float shift) {
        float[] data = image.data;
        int plane = image.height * image.width;
        float offset = shift + 1f; // keeps the shifted hue positive, so (int) truncation is floor
        for (int i = 0; i < plane; i++) {
            float r = data[i];
            float g = data[plane + i];
            float b = data[2 * plane + i];
            // comparisons, not Math.max/min: this loop is scalar, where their NaN handling only costs
            float max = r > g ? (r > b ? r : b) : (g > b ? g : b);
            float min = r < g ? (r < b ? r : b) : (g < b ? g : b);
            if (max == min) {
                continue; // gray pixel: no hue to rotate
            }
            float chroma = max - min;
            float sixthOverChroma = (1f / 6f) / chroma;
            float h;
            if (max == r) {
                h = (g - b) * sixthOverChroma;
            } else if (max == g) {
                h = 1f / 3f + (b - r) * sixthOverChroma;
            } else {
                h = 2f / 3f + (r - g) * sixthOverChroma;
            }
            h += offset; // in (1/3, 7/3): h is in [-1/6, 5/6], the shift in [-1/2, 1/2]
            h -= (int) h;
            float sixths = h * 6f;
            data[i] = hsvChannel(max, chroma, sixths + 5f);
            data[plane + i] = hsvChannel(max, chroma, sixths + 3f);
            data[2 * plane + i] = hsvChannel(max, chroma, sixths + 1f);
        }
    }

    /** One channel of HSV to RGB; {@code chroma = v s}, {@code k} in [0, 12) before the mod 6. */
    private static float hsvChannel(float value, float chroma, float k) {
        if (k >= 6f) {
            k -= 6f;
        }
        float ramp = k < 4f - k ? k : 4f - k;
        ramp = clamp01Scalar(ramp);
        return value - chroma * ramp;
    }

    /** ITU-R 601 luma, as torchvision's {@code rgb_to_grayscale}. */
    static float luma(float r, float g, float b) {
        return RED_WEIGHT * r + GREEN_WEIGHT * g + BLUE_WEIGHT * b;
    }
}
