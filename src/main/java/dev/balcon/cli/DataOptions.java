package dev.balcon.cli;

import dev.balcon.BalconException;
import dev.balcon.data.DataSelection;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** Which images to load and how, shared by the verbs that read a dataset. */
final class DataOptions {
    @Option(names = "--dataset", defaultValue = "fashion-mnist",
            description = "Dataset: fashion-mnist, cifar10, cifar100, imagefolder, list or unlabelled-folder "
                    + "(default: ${DEFAULT-VALUE}; layouts in docs/data.md).")
    String dataset;

    @Option(names = "--data", description = "Dataset directory: the IDX files (default /usr/share/datasets/fashion-mnist), "
            + "the extracted CIFAR binary files, an image folder (train/ and test/ of class folders, or class folders), "
            + "the image root of a list, or a folder of unlabelled images.")
    String dataDir;

    @Option(names = "--train-list", description = "For --dataset list: the file of '<image path relative to --data> <label>' lines.")
    String trainList;

    @Option(names = "--test-list", description = "For --dataset list: the test list (default: hold out --test-fraction of --train-list).")
    String testList;

    @Option(names = "--image-size", defaultValue = "0",
            description = "Side length image folders and lists are resized to on load (default: 32; Fashion-MNIST and CIFAR keep their size).")
    int imageSize;

    @Option(names = "--channels", defaultValue = "0",
            description = "1 (grayscale) or 3 (RGB) for image folders and lists (default: 3; Fashion-MNIST has 1, CIFAR 3).")
    int channels;

    @Option(names = "--strict", description = "Fail on a corrupt or truncated image instead of skipping and counting it.")
    boolean strict;

    @Option(names = "--max-image-pixels", defaultValue = "89478485",
            description = "Largest width x height of an image file that is decoded; larger files are skipped and counted "
                    + "as undecodable, an error with --strict (default: ${DEFAULT-VALUE}, Pillow's decompression-bomb limit).")
    long maxImagePixels;

    /** --max-image-pixels, checked: 0 would read as "the default" in a stored configuration. */
    long maxImagePixels() {
        if (maxImagePixels < 1) {
            throw new BalconException("--max-image-pixels must be >= 1, got " + maxImagePixels);
        }
        return maxImagePixels;
    }

    @Option(names = "--test-fraction", defaultValue = "0.2",
            description = "Share of each class held out as test set when an image folder has no test/ sub-folder "
                    + "or a list no --test-list (default: ${DEFAULT-VALUE}; seeded by --data-seed).")
    double testFraction;

    @Option(names = "--validation-fraction", defaultValue = "0",
            description = "Share of each class of the train split held out as a validation set: the run trains and "
                    + "builds its k-NN bank without those images and is evaluated on them instead of the test split, "
                    + "which stays unseen (what 'balcon tune' selects on; default: ${DEFAULT-VALUE} = none; seeded by "
                    + "--data-seed).")
    double validationFraction;

    @Option(names = "--data-seed", defaultValue = "0",
            description = "Seed of every subset of the images: the held-out test split, --train-limit, --class-profile "
                    + "(default: ${DEFAULT-VALUE}; kept apart from --seed so that runs with different seeds see the same "
                    + "images).")
    long dataSeed;

    @Option(names = "--cache-dir", description = "Cache of decoded image folders (default: $XDG_CACHE_HOME/balcon or ~/.cache/balcon).")
    Path cacheDir;

    @Option(names = "--no-cache", description = "Decode image folders on every load; write no cache.")
    boolean noCache;

    /** The cache directory to use, or null with --no-cache. */
    String cacheDirOrNull() {
        if (noCache) {
            return null;
        }
        if (cacheDir != null) {
            return cacheDir.toAbsolutePath().toString();
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("balcon").toAbsolutePath().toString();
    }

    DataSelection toSelection() {
        return new DataSelection(dataset, dataDir, trainList, testList, imageSize, channels, strict, testFraction,
                cacheDirOrNull(), dataSeed, maxImagePixels(), validationFraction);
    }
}
