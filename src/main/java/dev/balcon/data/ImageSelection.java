package dev.balcon.data;

import dev.balcon.BalconException;
import dev.balcon.InvalidField;

import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * Which images of a labelled split the instruments look at: all of them, or the same number from every class. Public
 * since it moved down from {@code experiment} into {@code data}: the instruments ({@code BiasMeasurement},
 * {@code BoundMonitor}) call it from above.
 */
public final class ImageSelection {
    private ImageSelection() {}

    /** Every image of the split, after checking that each class has at least one (its prototype needs it). */
    public static int[] all(ImageDataset split) {
        requireEveryClass(split);
        return IntStream.range(0, split.size()).toArray();
    }

    /**
     * {@code perClass} images of every class, drawn uniformly without replacement with {@code seed}, the same
     * images whatever their order ({@link Subsets#perClass}), in ascending index order.
     *
     * @param field the field that set {@code perClass}, named in the error
     * @throws InvalidField    naming {@code field} if {@code perClass} &lt; 1 or a class has fewer images
     * @throws BalconException if a class of the split has no image
     */
    public static int[] balanced(ImageDataset split, int perClass, long seed, String field) {
        requireEveryClass(split);
        if (perClass < 1) {
            throw new InvalidField(field, "must be >= 1, got " + perClass);
        }
        int[] counts = split.classCounts();
        for (int c = 0; c < counts.length; c++) {
            if (counts[c] < perClass) {
                throw new InvalidField(field, "asks for " + perClass + " images of each class, but class "
                        + describe(split, c) + " has only " + counts[c] + " images in " + split.name());
            }
        }
        int[] wanted = new int[counts.length];
        Arrays.fill(wanted, perClass);
        return Subsets.perClass(split, wanted, seed);
    }

    /** The fewest images any class has in the split. */
    public static int smallestClass(ImageDataset split) {
        return Arrays.stream(split.classCounts()).min().orElse(0);
    }

    /**
     * @throws BalconException if the split has fewer than 2 classes (no labels to speak of) or a class without
     *     images
     */
    public static void requireEveryClass(ImageDataset split) {
        requireEveryClass(split, IntStream.range(0, split.size()).toArray());
    }

    /** As {@link #requireEveryClass(ImageDataset)} for the images {@code indices} of the split. */
    public static void requireEveryClass(ImageDataset split, int[] indices) {
        if (split.numClasses() < 2) {
            throw new BalconException("the instruments compare images with their class prototypes and need a labelled"
                    + " dataset with at least 2 classes; " + split.name() + " has " + split.numClasses());
        }
        int[] counts = new int[split.numClasses()];
        for (int index : indices) {
            counts[split.label(index)]++;
        }
        for (int c = 0; c < counts.length; c++) {
            if (counts[c] == 0) {
                throw new BalconException("class " + describe(split, c) + " has no images in " + split.name()
                        + "; every class needs images to define its prototype");
            }
        }
    }

    private static String describe(ImageDataset split, int label) {
        return label + " ('" + split.classNames().get(label) + "')";
    }
}
