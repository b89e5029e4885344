package dev.balcon.augment;

import dev.balcon.BalconException;
import dev.balcon.InvalidField;

/**
 * The augmentation group of a run's configuration ({@code augmentation} in config.json): a named recipe, the
 * random-resized-crop area range that replaces the recipe's own and optionally a colour-jitter strength that
 * replaces the recipe's jitter ({@link #toRecipe()} is the result).
 *
 * @param recipe         augmentation recipe name (see {@link AugmentationRecipe#names()})
 * @param cropScaleMin   random-resized-crop lower area bound
 * @param cropScaleMax   random-resized-crop upper area bound
 * @param jitterStrength SimCLR's colour-distortion strength s in [0, 2.5] (see
 *                       {@link AugmentationRecipe#withJitterStrength}), or null for the recipe's own jitter (a
 *                       config.json written before the field existed has none)
 */
public record AugmentationSettings(String recipe, double cropScaleMin, double cropScaleMax, Double jitterStrength) {

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
        if (jitterStrength != null && !(jitterStrength >= 0 && jitterStrength <= AugmentationRecipe.MAX_JITTER_STRENGTH)) {
            throw new InvalidField("augmentation.jitterStrength", "must be in [0, " + AugmentationRecipe.MAX_JITTER_STRENGTH
                    + "], got " + jitterStrength);
        }
    }

    /** The defaults: the simclr recipe with crops of 20% to 100% of the image's area and its own jitter. */
    public static AugmentationSettings defaults() {
        return new AugmentationSettings("simclr", 0.2, 1.0, null);
    }

    /** The recipe these settings name, with their crop area range. */
    public AugmentationRecipe toRecipe() {
        AugmentationRecipe named = AugmentationRecipe.named(recipe).withCropScale(cropScaleMin, cropScaleMax);
        return jitterStrength == null ? named : named.withJitterStrength(jitterStrength);
    }
}
