package dev.balcon.augment;

import dev.balcon.BalconException;
import dev.balcon.InvalidField;

/**
 * The augmentation group of a run's configuration ({@code augmentation} in config.json): a named recipe and the
 * random-resized-crop area range that replaces the recipe's own ({@link #toRecipe()} is the result).
 *
 * @param recipe       augmentation recipe name (see {@link AugmentationRecipe#names()})
 * @param cropScaleMin random-resized-crop lower area bound
 * @param cropScaleMax random-resized-crop upper area bound
 */
public record AugmentationSettings(String recipe, double cropScaleMin, double cropScaleMax) {

    public AugmentationSettings {
        if (recipe == null || !AugmentationRecipe.names().contains(recipe)) {
            throw new InvalidField("augmentation.recipe", "must be one of " + AugmentationRecipe.names() + ", got '"
                    + recipe + "'");
        }
        try {
            AugmentationRecipe.named(recipe).withCropScale(cropScaleMin, cropScaleMax);
        } catch (BalconException e) {
            throw new InvalidField("augmentation.cropScaleMin", "and cropScaleMax are not a crop area range ["
                    + cropScaleMin + ", " + cropScaleMax + "]: " + e.getMessage());
        }
    }

    /** The defaults: the simclr recipe with crops of 20% to 100% of the image's area. */
    public static AugmentationSettings defaults() {
        return new AugmentationSettings("simclr", 0.2, 1.0);
    }

    /** The recipe these settings name, with their crop area range. */
    public AugmentationRecipe toRecipe() {
        return AugmentationRecipe.named(recipe).withCropScale(cropScaleMin, cropScaleMax);
    }
}
