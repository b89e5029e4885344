package dev.balcon.augment;

import dev.balcon.BalconException;
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
        if (!(hue >= 0 && hue <= 0.5)) {
            throw new BalconException("jitter hue must be in [0, 0.5], got " + hue);
        }
        this.hue = hue;
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

    private static float clamp01(float value) {
        return Math.min(1f, Math.max(0f, value));
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
        float keep = 1 - factor;
        for (int i = 0; i < plane; i++) {
            float r = data[i];
            float g = data[plane + i];
            float b = data[2 * plane + i];
            float gray = keep * luma(r, g, b);
            data[i] = clamp01(factor * r + gray);
            data[plane + i] = clamp01(factor * g + gray);
            data[2 * plane + i] = clamp01(factor * b + gray);
        }
    }

    /** torchvision's {@code adjust_hue} (3 channels): rotate the hue in HSV space by {@code shift} turns. */
    static void adjustHue(ImageBuffer image, float shift) {
        float[] data = image.data;
        int plane = image.height * image.width;
        for (int i = 0; i < plane; i++) {
            float r = data[i];
            float g = data[plane + i];
            float b = data[2 * plane + i];
            float max = Math.max(r, Math.max(g, b));
            float min = Math.min(r, Math.min(g, b));
            if (max == min) {
                continue; // gray pixel: no hue to rotate
            }
            float chroma = max - min;
            float saturation = chroma / max;
            float rc = (max - r) / chroma;
            float gc = (max - g) / chroma;
            float bc = (max - b) / chroma;
            float h;
            if (max == r) {
                h = bc - gc;
            } else if (max == g) {
                h = 2f + rc - bc;
            } else {
                h = 4f + gc - rc;
            }
            h = h / 6f + 1f + shift;
            h -= (float) Math.floor(h);
            float sector = (float) Math.floor(h * 6f);
            float fraction = h * 6f - sector;
            float v = max;
            float pv = clamp01(v * (1f - saturation));
            float qv = clamp01(v * (1f - saturation * fraction));
            float tv = clamp01(v * (1f - saturation * (1f - fraction)));
            switch (((int) sector) % 6) {
                case 0 -> set(data, plane, i, v, tv, pv);
                case 1 -> set(data, plane, i, qv, v, pv);
                case 2 -> set(data, plane, i, pv, v, tv);
                case 3 -> set(data, plane, i, pv, qv, v);
                case 4 -> set(data, plane, i, tv, pv, v);
                default -> set(data, plane, i, v, pv, qv);
            }
        }
    }

    private static void set(float[] data, int plane, int i, float r, float g, float b) {
        data[i] = r;
        data[plane + i] = g;
        data[2 * plane + i] = b;
    }

    /** ITU-R 601 luma, as torchvision's {@code rgb_to_grayscale}. */
    static float luma(float r, float g, float b) {
        return RED_WEIGHT * r + GREEN_WEIGHT * g + BLUE_WEIGHT * b;
    }
}
