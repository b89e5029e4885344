package dev.balcon.cli;

import dev.balcon.BalconException;
import dev.balcon.augment.AugmentationSettings;
import picocli.CommandLine.Option;

/** The augmentation recipe, shared by the verbs that augment. */
final class RecipeOptions {
    @Option(names = "--recipe",
            description = "Augmentation recipe: simclr, simclr-no-blur, simclr-no-color, simclr+rotation, simclr+cutout, "
                    + "simclr-photos, none (default: simclr; simclr-photos for colour image folders and lists).")
    String recipe;

    @Option(names = "--crop-scale", split = ",",
            description = "Random-resized-crop area range MIN,MAX (default: 0.2,1.0; simclr-photos' own 0.08,1.0 for "
                    + "colour image folders and lists and with --recipe simclr-photos).")
    double[] cropScale;

    @Option(names = "--jitter-strength", description = "Colour-jitter strength s (SimCLR's colour distortion: "
            + "brightness, contrast, saturation 0.8 s, hue 0.2 s), 0 to 2.5 (default: the recipe's own, s = 1 for simclr).")
    Double jitterStrength;

    /**
     * The settings the options give for images of {@code datasetKind} read with {@code channels} channels: what is
     * not given comes from {@link AugmentationSettings#defaultsFor}, the crop range of a recipe given without one
     * from {@link AugmentationSettings#defaultsForRecipe}.
     */
    AugmentationSettings toSettings(String datasetKind, int channels) {
        AugmentationSettings defaults = recipe == null ? AugmentationSettings.defaultsFor(datasetKind, channels)
                : AugmentationSettings.defaultsForRecipe(recipe);
        if (cropScale != null && cropScale.length != 2) {
            throw new BalconException("--crop-scale expects MIN,MAX, got " + cropScale.length + " values");
        }
        return new AugmentationSettings(defaults.recipe(),
                cropScale == null ? defaults.cropScaleMin() : cropScale[0],
                cropScale == null ? defaults.cropScaleMax() : cropScale[1], jitterStrength);
    }
}
