package dev.balcon.augment;

import dev.balcon.BalconException;
import dev.balcon.InvalidField;
import dev.balcon.data.Datasets;
import java.util.List;

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

    /** The recipe colour photos get by default (see {@link #defaultsFor}). */
    public static final String PHOTOS = "simclr-photos";

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

    /**
     * The defaults for a dataset: for colour photos (an image folder, list or unlabelled folder read with 3
     * channels; {@code channels} 0 means the kind's default, 3) the {@code simclr-photos} recipe with its own crop
     * range, found by measurement on tiny-imagenet-20 (docs/data.md, "Colour photos"); otherwise {@link #defaults()}.
     *
     * @param datasetKind a dataset kind (data.selection.kind)
     * @param channels    the channels the images are read with, 0 for the kind's default
     */
    public static AugmentationSettings defaultsFor(String datasetKind, int channels) {
        boolean folder = List.of(Datasets.IMAGE_FOLDER, Datasets.IMAGE_LIST, Datasets.UNLABELLED_FOLDER)
                .contains(datasetKind);
        return folder && channels != 1 ? defaultsForRecipe(PHOTOS) : defaults();
    }

    /**
     * The settings of recipe {@code recipe} left at its defaults: {@code simclr-photos} with its own crop range
     * (0.08-1), every other recipe with {@link #defaults()}' 0.2-1; the recipe's own jitter.
     *
     * @throws InvalidField for an unknown recipe
     */
    public static AugmentationSettings defaultsForRecipe(String recipe) {
        if (PHOTOS.equals(recipe)) {
            AugmentationRecipe photos = AugmentationRecipe.named(PHOTOS);
            return new AugmentationSettings(PHOTOS, photos.cropScale().min(), photos.cropScale().max(), null);
        }
        AugmentationSettings defaults = defaults();
        return new AugmentationSettings(recipe, defaults.cropScaleMin(), defaults.cropScaleMax(), null);
    }

    /** The recipe these settings name, with their crop area range. */
    public AugmentationRecipe toRecipe() {
        AugmentationRecipe named = AugmentationRecipe.named(recipe).withCropScale(cropScaleMin, cropScaleMax);
        return jitterStrength == null ? named : named.withJitterStrength(jitterStrength);
    }
}
