package dev.balcon.data;

import dev.balcon.InvalidField;

/**
 * Which images to load and how: what {@link Datasets#load} needs, without the training subset choices
 * (class profile, train limit, see {@link RunData}). The {@code preview} verb uses it alone; runs take it from their
 * configuration ({@code train.PretrainConfig#dataSelection}).
 *
 * @param kind         fashion-mnist, cifar10, cifar100, imagefolder, list or unlabelled-folder
 * @param dataDir      the dataset's directory (image root for list), or null for the dataset's default place
 * @param trainList    list file of the training images (kind list only)
 * @param testList     list file of the test images (kind list), or null to hold out {@code testFraction}
 * @param imageSize    side length image folders are resized to; 0 = the dataset's default
 * @param channels     1 or 3 for image folders; 0 = the dataset's default
 * @param strict       fail on an undecodable image instead of skipping it
 * @param testFraction share of each class held out when an image folder or list has no test split
 * @param cacheDir     cache directory for decoded image folders, or null for none
 * @param seed         the data seed: seed of the held-out split
 * @param maxImagePixels largest width x height of an image file that is decoded (larger ones are skipped as
 *                     undecodable); 0 = the default
 * @param validationFraction share of each class of the train split held out as a validation set that replaces the
 *                     test split (seeded by {@code seed}); 0 = none, the test split as it is
 */
public record DataSelection(String kind, String dataDir, String trainList, String testList, int imageSize,
                            int channels, boolean strict, double testFraction, String cacheDir, long seed,
                            long maxImagePixels, double validationFraction) {

    public DataSelection {
        if (imageSize < 0) {
            throw new InvalidField("data.selection.imageSize", "must be >= 1 (or 0 for the dataset's default), got "
                    + imageSize);
        }
        if (channels != 0 && channels != 1 && channels != 3) {
            throw new InvalidField("data.selection.channels", "must be 1 (grayscale) or 3 (RGB), got " + channels);
        }
        // 0 (absent from an older config.json) is rejected only where a split is actually made
        if (!(testFraction >= 0 && testFraction < 1)) {
            throw new InvalidField("data.selection.testFraction", "must be > 0 and < 1, got " + testFraction);
        }
        // 0 (absent from an older config.json) stands for the default
        if (maxImagePixels < 0) {
            throw new InvalidField("data.selection.maxImagePixels", "must be >= 1, got " + maxImagePixels);
        }
        // 0 (also what a config.json written before this field existed reads as) holds nothing out
        if (!(validationFraction >= 0 && validationFraction < 1)) {
            throw new InvalidField("data.selection.validationFraction", "must be >= 0 and < 1, got "
                    + validationFraction);
        }
    }

    /**
     * The defaults: Fashion-MNIST in its default place, native size and channels, 20% held out where a dataset has
     * no test split, no cache, data seed 0, maxImagePixels 0 ({@link ImageFolder#DEFAULT_MAX_IMAGE_PIXELS}), no
     * validation split.
     */
    public static DataSelection defaults() {
        return new DataSelection("fashion-mnist", null, null, null, 0, 0, false, 0.2, null, 0, 0, 0);
    }
}
