package dev.balcon.cli;

import dev.balcon.BalconException;
import dev.balcon.augment.AugmentationRecipe;
import dev.balcon.augment.AugmentationSettings;
import picocli.CommandLine.Option;

/** The augmentation recipe, shared by the verbs that augment. */
final class RecipeOptions {
    @Option(names = "--recipe",
            description = "Augmentation recipe: simclr, simclr-no-blur, simclr-no-color, simclr+rotation, simclr+cutout, none (default: ${DEFAULT-VALUE}).")
    String recipe = AugmentationSettings.defaults().recipe();

    /** {@link AugmentationSettings#defaults()}'s crop area range (a constant for picocli; a test holds them equal). */
    static final String DEFAULT_CROP_SCALE = "0.2,1.0";

    @Option(names = "--crop-scale", split = ",", defaultValue = DEFAULT_CROP_SCALE,
            description = "Random-resized-crop area range MIN,MAX (default: ${DEFAULT-VALUE}).")
    double[] cropScale;

    @Option(names = "--jitter-strength", description = "Colour-jitter strength s (SimCLR's colour distortion: "
            + "brightness, contrast, saturation 0.8 s, hue 0.2 s), 0 to 2.5 (default: the recipe's own, s = 1 for simclr).")
    Double jitterStrength;

    double cropScaleMin() {
        requirePair();
        return cropScale[0];
    }

    double cropScaleMax() {
        requirePair();
        return cropScale[1];
    }

    AugmentationRecipe toRecipe() {
        return new AugmentationSettings(recipe, cropScaleMin(), cropScaleMax(), jitterStrength).toRecipe();
    }

    private void requirePair() {
        if (cropScale.length != 2) {
            throw new BalconException("--crop-scale expects MIN,MAX, got " + cropScale.length + " values");
        }
    }
}
