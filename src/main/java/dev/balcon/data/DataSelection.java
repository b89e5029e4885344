package dev.balcon.data;

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
}
