package dev.balcon.data;

import dev.balcon.BalconException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Fashion-MNIST (Xiao et al. 2017): 60,000 training and 10,000 test grayscale 28x28 images of 10
 * clothing classes, read from the four IDX files of the Debian package {@code dataset-fashion-mnist}.
 */
public final class FashionMnist {
    /** Where the Debian package installs the IDX files. */
    public static final Path DEFAULT_DIR = Path.of("/usr/share/datasets/fashion-mnist");

    /** Class names by label, as published with the data set. */
    public static final List<String> CLASS_NAMES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    /** Per-channel mean of the training pixels scaled to [0, 1], for input normalisation. */
    public static final float[] MEAN = {0.2860f};

    /** Per-channel standard deviation of the training pixels scaled to [0, 1]. */
    public static final float[] STD = {0.3530f};

    private static final String INSTALL_HINT =
            "install it with 'sudo apt-get install -y dataset-fashion-mnist', or set the data directory to a copy";

    private FashionMnist() {
    }

    /**
     * Loads the train and test splits.
     *
     * @param dirOrNull directory holding {@code train-images-idx3-ubyte}, {@code train-labels-idx1-ubyte},
     *                  {@code t10k-images-idx3-ubyte} and {@code t10k-labels-idx1-ubyte}, each either
     *                  gzipped with a {@code .gz} suffix or unzipped without it; null for {@link #DEFAULT_DIR}
     * @throws BalconException if the files are missing or malformed
     */
    public static DatasetSplits load(Path dirOrNull) {
        Path dir = dirOrNull == null ? DEFAULT_DIR : dirOrNull;
        String[] baseNames = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
            "t10k-labels-idx1-ubyte"};
        Path[] files = new Path[baseNames.length];
        List<String> missing = new ArrayList<>();
        for (int i = 0; i < baseNames.length; i++) {
            files[i] = locate(dir, baseNames[i]);
            if (files[i] == null) {
                missing.add(baseNames[i] + "[.gz]");
            }
        }
        if (missing.size() == baseNames.length) {
            throw new BalconException("Fashion-MNIST not found in " + dir + ": " + INSTALL_HINT);
        }
        if (!missing.isEmpty()) {
            throw new BalconException("Fashion-MNIST incomplete in " + dir + " (missing " + String.join(", ", missing)
                    + "): " + INSTALL_HINT);
        }
        ImageDataset train = IdxReader.read(files[0], files[1], "fashion-mnist-train", CLASS_NAMES);
        ImageDataset test = IdxReader.read(files[2], files[3], "fashion-mnist-test", CLASS_NAMES);
        return new DatasetSplits(train, test);
    }

    /** The gzipped file if present, else the unzipped one, else null. */
    private static Path locate(Path dir, String baseName) {
        Path gzipped = dir.resolve(baseName + ".gz");
        if (Files.isRegularFile(gzipped)) {
            return gzipped;
        }
        Path plain = dir.resolve(baseName);
        return Files.isRegularFile(plain) ? plain : null;
    }
}
