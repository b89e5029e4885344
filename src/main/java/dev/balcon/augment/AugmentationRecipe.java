package dev.balcon.augment;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.balcon.BalconException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An immutable, named description of a SimCLR-style augmentation pipeline, serialisable with Jackson (it
 * is stored in run configurations). Members run in this order: crop (random resized crop, or a plain
 * resize when {@code randomCrop} is false), horizontal flip, rotation, colour jitter, grayscale, Gaussian
 * blur, normalisation, cutout. A member whose probability (or rotation degrees) is 0 is left out.
 *
 * <p>Defaults of {@code simclr} follow SimCLR (Chen et al. 2020) with torchvision's operations: crop scale
 * (0.08, 1) and ratio (3/4, 4/3), flip 0.5, colour jitter (0.8, 0.8, 0.8, 0.2) with probability 0.8,
 * grayscale 0.2, blur with probability 0.5 and sigma in (0.1, 2.0), kernel 10% of the image side. On
 * 1-channel images saturation, hue and grayscale change nothing, so {@code simclr} there is crop + flip +
 * brightness/contrast jitter + blur. The ablations: {@code simclr-no-blur}, {@code simclr-no-color} (no
 * jitter, no grayscale), {@code simclr+rotation} (uniform in [-90, 90] degrees; the paper gives no angle,
 * this project chose SimCLR's rotation range), {@code simclr+cutout} (torchvision's RandomErasing
 * defaults: p 0.5, scale (0.02, 0.33), ratio (0.3, 3.3)), and {@code none} (resize only, as evaluation).
 *
 * <p>Every member is required when reading one with Jackson, so a partial configuration fails instead of
 * silently taking zeros; start from {@link #named} and the with-ers to change a few.
 *
 * @param name            the recipe's name (kept by the with-ers, so it names the base recipe)
 * @param randomCrop      random resized crop if true, else a resize of the whole image
 * @param cropScale       crop area as a fraction of the image, {@code 0 < min <= max <= 1}
 * @param cropRatio       crop aspect ratio (width / height), {@code 0 < min <= max}
 * @param flipProb        probability of a horizontal flip
 * @param rotationDegrees rotation angle range [-d, d], {@code 0 <= d <= 180}; 0 leaves rotation out
 * @param jitterProb      probability of applying colour jitter
 * @param brightness      jitter brightness strength (factor in [max(0, 1-b), 1+b])
 * @param contrast        jitter contrast strength
 * @param saturation      jitter saturation strength
 * @param hue             jitter hue strength, in [0, 0.5]
 * @param grayscaleProb   probability of converting to grayscale
 * @param blurProb        probability of a Gaussian blur
 * @param blurSigma       blur sigma range in pixels, {@code 0 < min <= max}
 * @param cutoutProb      probability of erasing a rectangle (after normalisation)
 * @param cutoutScale     erased area as a fraction of the image, {@code 0 < min <= max <= 1}
 * @param cutoutRatio     erased rectangle aspect ratio (height / width), {@code 0 < min <= max}
 */
public record AugmentationRecipe(
        @JsonProperty(required = true) String name,
        @JsonProperty(required = true) boolean randomCrop,
        @JsonProperty(required = true) Range cropScale,
        @JsonProperty(required = true) Range cropRatio,
        @JsonProperty(required = true) double flipProb,
        @JsonProperty(required = true) double rotationDegrees,
        @JsonProperty(required = true) double jitterProb,
        @JsonProperty(required = true) double brightness,
        @JsonProperty(required = true) double contrast,
        @JsonProperty(required = true) double saturation,
        @JsonProperty(required = true) double hue,
        @JsonProperty(required = true) double grayscaleProb,
        @JsonProperty(required = true) double blurProb,
        @JsonProperty(required = true) Range blurSigma,
        @JsonProperty(required = true) double cutoutProb,
        @JsonProperty(required = true) Range cutoutScale,
        @JsonProperty(required = true) Range cutoutRatio) {

    /** A closed interval {@code [min, max]}. */
    public record Range(double min, double max) {
    }

    private static final AugmentationRecipe SIMCLR = new AugmentationRecipe("simclr", true,
            new Range(0.08, 1.0), new Range(3.0 / 4.0, 4.0 / 3.0), 0.5, 0,
            0.8, 0.8, 0.8, 0.8, 0.2, 0.2,
            0.5, new Range(0.1, 2.0),
            0, new Range(0.02, 0.33), new Range(0.3, 3.3));

    /** The largest {@link #withJitterStrength} strength: its hue, 0.2 s, stays within [0, 0.5]. */
    public static final double MAX_JITTER_STRENGTH = 2.5;

    private static final Map<String, AugmentationRecipe> NAMED = namedRecipes();

    private static Map<String, AugmentationRecipe> namedRecipes() {
        Map<String, AugmentationRecipe> named = new LinkedHashMap<>();
        named.put("simclr", SIMCLR);
        named.put("simclr-no-blur", SIMCLR.withName("simclr-no-blur").withBlurProb(0));
        named.put("simclr-no-color", SIMCLR.withName("simclr-no-color").withJitterProb(0).withGrayscaleProb(0));
        named.put("simclr+rotation", SIMCLR.withName("simclr+rotation").withRotationDegrees(90));
        named.put("simclr+cutout", SIMCLR.withName("simclr+cutout").withCutoutProb(0.5));
        // measured on tiny-imagenet-20 at 32x32 (experiments/photo-recipe.yaml, docs/data.md "Colour photos")
        named.put("simclr-photos", SIMCLR.withName("simclr-photos").withCropScale(0.08, 1.0).withJitterStrength(0.5));
        named.put("none", SIMCLR.withName("none").withRandomCrop(false).withFlipProb(0).withJitterProb(0)
                .withGrayscaleProb(0).withBlurProb(0));
        return Collections.unmodifiableMap(named);
    }

    public AugmentationRecipe {
        if (name == null || name.isBlank()) {
            throw new BalconException("augmentation recipe name must not be blank, got '" + name + "'");
        }
        requirePresent("cropScale", cropScale);
        requirePresent("cropRatio", cropRatio);
        requirePresent("blurSigma", blurSigma);
        requirePresent("cutoutScale", cutoutScale);
        requirePresent("cutoutRatio", cutoutRatio);
        Params.range("crop scale", cropScale.min(), cropScale.max(), 0, true, 1);
        Params.range("crop ratio", cropRatio.min(), cropRatio.max(), 0, true, Double.MAX_VALUE);
        Params.probability("flip probability", flipProb);
        Params.rotationDegrees(rotationDegrees);
        Params.probability("jitter probability", jitterProb);
        Params.nonNegative("jitter brightness", brightness);
        Params.nonNegative("jitter contrast", contrast);
        Params.nonNegative("jitter saturation", saturation);
        Params.hue(hue);
        Params.probability("grayscale probability", grayscaleProb);
        Params.probability("blur probability", blurProb);
        Params.range("blur sigma", blurSigma.min(), blurSigma.max(), 0, true, Double.MAX_VALUE);
        Params.probability("cutout probability", cutoutProb);
        Params.range("cutout scale", cutoutScale.min(), cutoutScale.max(), 0, true, 1);
        Params.range("cutout ratio", cutoutRatio.min(), cutoutRatio.max(), 0, true, Double.MAX_VALUE);
    }

    private static void requirePresent(String member, Range range) {
        if (range == null) {
            throw new BalconException("augmentation recipe member " + member + " is missing (expected {min, max})");
        }
    }

    /** The recipe called {@code name}; see {@link #names()}. */
    public static AugmentationRecipe named(String name) {
        AugmentationRecipe recipe = NAMED.get(name);
        if (recipe == null) {
            throw new BalconException("unknown augmentation recipe '" + name + "', expected one of " + names());
        }
        return recipe;
    }

    /** The names {@link #named} knows, the default ({@code simclr}) first. */
    public static List<String> names() {
        return List.copyOf(NAMED.keySet());
    }

    /**
     * The pipeline for {@code channels}-channel images, producing {@code outputHeight x outputWidth} views
     * normalised by {@code normalization}.
     */
    public AugmentationPipeline build(int channels, int outputHeight, int outputWidth, Normalization normalization) {
        Params.positive("image channels", channels);
        Params.positive("output height", outputHeight);
        Params.positive("output width", outputWidth);
        normalization.checkChannels(channels, "the augmented image");
        boolean colour = jitterProb > 0 && (saturation > 0 || hue > 0) || grayscaleProb > 0;
        boolean lightness = jitterProb > 0 && (brightness > 0 || contrast > 0);
        if ((colour || lightness) && channels != 1 && channels != 3) {
            throw new BalconException("augmentation recipe " + name + " adjusts colour, which needs 1 or 3 channels, got "
                    + channels);
        }
        List<Augmentation> steps = new ArrayList<>();
        steps.add(randomCrop
                ? new RandomResizedCrop(outputHeight, outputWidth, cropScale.min(), cropScale.max(), cropRatio.min(),
                        cropRatio.max())
                : new Resize(outputHeight, outputWidth));
        if (flipProb > 0) {
            steps.add(new RandomHorizontalFlip(flipProb));
        }
        if (rotationDegrees > 0) {
            steps.add(new RandomRotation(rotationDegrees));
        }
        if (jitterProb > 0 && (brightness > 0 || contrast > 0 || saturation > 0 || hue > 0)) {
            steps.add(new ColorJitter(brightness, contrast, saturation, hue, jitterProb));
        }
        if (grayscaleProb > 0 && channels == 3) {
            steps.add(new RandomGrayscale(grayscaleProb));
        }
        if (blurProb > 0) {
            int kernelSize = GaussianBlur.kernelSizeFor(Math.min(outputHeight, outputWidth));
            steps.add(new GaussianBlur(kernelSize, blurSigma.min(), blurSigma.max(), blurProb));
        }
        List<Augmentation> normalizedSteps = cutoutProb > 0
                ? List.of(new RandomErasing(cutoutProb, cutoutScale.min(), cutoutScale.max(), cutoutRatio.min(),
                        cutoutRatio.max()))
                : List.of();
        return new AugmentationPipeline(channels, outputHeight, outputWidth, steps, normalization, normalizedSteps);
    }

    public AugmentationRecipe withName(String newName) {
        return new AugmentationRecipe(newName, randomCrop, cropScale, cropRatio, flipProb, rotationDegrees,
                jitterProb, brightness, contrast, saturation, hue, grayscaleProb, blurProb, blurSigma, cutoutProb,
                cutoutScale, cutoutRatio);
    }

    public AugmentationRecipe withRandomCrop(boolean newRandomCrop) {
        return new AugmentationRecipe(name, newRandomCrop, cropScale, cropRatio, flipProb, rotationDegrees,
                jitterProb, brightness, contrast, saturation, hue, grayscaleProb, blurProb, blurSigma, cutoutProb,
                cutoutScale, cutoutRatio);
    }

    /** The CLI's {@code --crop-scale}. */
    public AugmentationRecipe withCropScale(double min, double max) {
        return new AugmentationRecipe(name, randomCrop, new Range(min, max), cropRatio, flipProb, rotationDegrees,
                jitterProb, brightness, contrast, saturation, hue, grayscaleProb, blurProb, blurSigma, cutoutProb,
                cutoutScale, cutoutRatio);
    }

    public AugmentationRecipe withCropRatio(double min, double max) {
        return new AugmentationRecipe(name, randomCrop, cropScale, new Range(min, max), flipProb, rotationDegrees,
                jitterProb, brightness, contrast, saturation, hue, grayscaleProb, blurProb, blurSigma, cutoutProb,
                cutoutScale, cutoutRatio);
    }

    public AugmentationRecipe withFlipProb(double p) {
        return new AugmentationRecipe(name, randomCrop, cropScale, cropRatio, p, rotationDegrees, jitterProb,
                brightness, contrast, saturation, hue, grayscaleProb, blurProb, blurSigma, cutoutProb, cutoutScale,
                cutoutRatio);
    }

    public AugmentationRecipe withRotationDegrees(double degrees) {
        return new AugmentationRecipe(name, randomCrop, cropScale, cropRatio, flipProb, degrees, jitterProb,
                brightness, contrast, saturation, hue, grayscaleProb, blurProb, blurSigma, cutoutProb, cutoutScale,
                cutoutRatio);
    }

    public AugmentationRecipe withJitterProb(double p) {
        return new AugmentationRecipe(name, randomCrop, cropScale, cropRatio, flipProb, rotationDegrees, p,
                brightness, contrast, saturation, hue, grayscaleProb, blurProb, blurSigma, cutoutProb, cutoutScale,
                cutoutRatio);
    }

    public AugmentationRecipe withJitter(double newBrightness, double newContrast, double newSaturation, double newHue) {
        return new AugmentationRecipe(name, randomCrop, cropScale, cropRatio, flipProb, rotationDegrees, jitterProb,
                newBrightness, newContrast, newSaturation, newHue, grayscaleProb, blurProb, blurSigma, cutoutProb,
                cutoutScale, cutoutRatio);
    }

    /**
     * SimCLR's colour-distortion strength {@code s} (Chen et al. 2020, appendix A, {@code get_color_distortion(s)};
     * lightly's {@code cj_strength}): brightness, contrast and saturation {@code 0.8 s}, hue {@code 0.2 s}. The
     * {@code simclr} recipe has {@code s = 1}; SimCLR used 0.5 on CIFAR-10. The jitter probability is unchanged.
     *
     * @param strength {@code s}, finite, in [0, 2.5] (beyond 2.5 the hue would leave [0, 0.5])
     * @throws BalconException for a strength outside that range
     */
    public AugmentationRecipe withJitterStrength(double strength) {
        if (!(strength >= 0 && strength <= MAX_JITTER_STRENGTH)) {
            throw new BalconException("colour-jitter strength must be in [0, " + MAX_JITTER_STRENGTH + "], got "
                    + strength);
        }
        return withJitter(0.8 * strength, 0.8 * strength, 0.8 * strength, 0.2 * strength);
    }

    public AugmentationRecipe withGrayscaleProb(double p) {
        return new AugmentationRecipe(name, randomCrop, cropScale, cropRatio, flipProb, rotationDegrees, jitterProb,
                brightness, contrast, saturation, hue, p, blurProb, blurSigma, cutoutProb, cutoutScale, cutoutRatio);
    }

    public AugmentationRecipe withBlurProb(double p) {
        return new AugmentationRecipe(name, randomCrop, cropScale, cropRatio, flipProb, rotationDegrees, jitterProb,
                brightness, contrast, saturation, hue, grayscaleProb, p, blurSigma, cutoutProb, cutoutScale,
                cutoutRatio);
    }

    public AugmentationRecipe withBlurSigma(double min, double max) {
        return new AugmentationRecipe(name, randomCrop, cropScale, cropRatio, flipProb, rotationDegrees, jitterProb,
                brightness, contrast, saturation, hue, grayscaleProb, blurProb, new Range(min, max), cutoutProb,
                cutoutScale, cutoutRatio);
    }

    public AugmentationRecipe withCutoutProb(double p) {
        return new AugmentationRecipe(name, randomCrop, cropScale, cropRatio, flipProb, rotationDegrees, jitterProb,
                brightness, contrast, saturation, hue, grayscaleProb, blurProb, blurSigma, p, cutoutScale,
                cutoutRatio);
    }

    public AugmentationRecipe withCutoutScale(double min, double max) {
        return new AugmentationRecipe(name, randomCrop, cropScale, cropRatio, flipProb, rotationDegrees, jitterProb,
                brightness, contrast, saturation, hue, grayscaleProb, blurProb, blurSigma, cutoutProb,
                new Range(min, max), cutoutRatio);
    }

    public AugmentationRecipe withCutoutRatio(double min, double max) {
        return new AugmentationRecipe(name, randomCrop, cropScale, cropRatio, flipProb, rotationDegrees, jitterProb,
                brightness, contrast, saturation, hue, grayscaleProb, blurProb, blurSigma, cutoutProb, cutoutScale,
                new Range(min, max));
    }
}
