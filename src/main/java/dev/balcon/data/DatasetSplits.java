package dev.balcon.data;

import dev.balcon.BalconException;
import java.util.Objects;

/**
 * A train and a test set with the same classes and image shape.
 *
 * @param train the training images
 * @param test  the held-out images
 */
public record DatasetSplits(ImageDataset train, ImageDataset test) {
    /** @throws BalconException if the two sets differ in class names or image shape */
    public DatasetSplits {
        Objects.requireNonNull(train, "train");
        Objects.requireNonNull(test, "test");
        if (!train.classNames().equals(test.classNames())) {
            throw new BalconException("train set '" + train.name() + "' and test set '" + test.name()
                    + "' must have the same class names, got " + train.classNames() + " vs " + test.classNames());
        }
        if (train.channels() != test.channels() || train.height() != test.height()
                || train.width() != test.width()) {
            throw new BalconException("train set '" + train.name() + "' and test set '" + test.name()
                    + "' must have the same image shape, got " + train.channels() + "x" + train.height() + "x"
                    + train.width() + " vs " + test.channels() + "x" + test.height() + "x" + test.width());
        }
    }
}
