package dev.balcon.cli;

import dev.balcon.BalconException;
import dev.balcon.augment.AugmentationRecipe;
import picocli.CommandLine.Option;

/** The augmentation recipe, shared by the verbs that augment. */
final class RecipeOptions {
    @Option(names = "--recipe", defaultValue = "simclr",
            description = "Augmentation recipe: simclr, simclr-no-blur, simclr-no-color, simclr+rotation, simclr+cutout, none (default: ${DEFAULT-VALUE}).")
    String recipe;

    @Option(names = "--crop-scale", split = ",", defaultValue = "0.2,1.0",
            description = "Random-resized-crop area range MIN,MAX (default: ${DEFAULT-VALUE}).")
    double[] cropScale;

    double cropScaleMin() {
        requirePair();
        return cropScale[0];
    }

    double cropScaleMax() {
        requirePair();
        return cropScale[1];
    }

    AugmentationRecipe toRecipe() {
        return AugmentationRecipe.named(recipe).withCropScale(cropScaleMin(), cropScaleMax());
    }

    private void requirePair() {
        if (cropScale.length != 2) {
            throw new BalconException("--crop-scale expects MIN,MAX, got " + cropScale.length + " values");
        }
    }
}
