package dev.balcon.data;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Image sets stored class after class, as an image folder lists them, where every image has its own identity: a
 * 1x2x2 image whose four bytes spell its number, so a selection can be checked by which images it holds.
 */
public final class ClassOrderedImages {
    private ClassOrderedImages() {}

    /** {@code counts[c]} images of class c, class 0 first; image i holds the number i. */
    public static ImageDataset of(int... counts) {
        int total = Arrays.stream(counts).sum();
        int[] labels = new int[total];
        byte[] pixels = new byte[total * 4];
        int next = 0;
        for (int c = 0; c < counts.length; c++) {
            for (int k = 0; k < counts[c]; k++, next++) {
                labels[next] = c;
                for (int b = 0; b < 4; b++) {
                    pixels[next * 4 + b] = (byte) (next >>> (8 * b));
                }
            }
        }
        List<String> names = IntStream.range(0, counts.length).mapToObj(c -> "c" + c).toList();
        return new ImageDataset("class-ordered", pixels, labels, 1, 2, 2, names);
    }

    /** The same images in a random order (as another file listing would give them). */
    public static ImageDataset shuffled(ImageDataset images, long seed) {
        int[] order = IntStream.range(0, images.size()).toArray();
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = order.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int swap = order[i];
            order[i] = order[j];
            order[j] = swap;
        }
        return images.subset(order, images.name() + "-shuffled");
    }

    /** The numbers of the images in {@code images}. */
    public static Set<Integer> identities(ImageDataset images) {
        Set<Integer> ids = new HashSet<>();
        for (int i = 0; i < images.size(); i++) {
            ids.add(identity(images, i));
        }
        return ids;
    }

    /** The numbers of images {@code indices} of {@code images}. */
    public static Set<Integer> identities(ImageDataset images, int[] indices) {
        return identities(images.subset(indices, "selected"));
    }

    /** The number image {@code index} holds. */
    public static int identity(ImageDataset images, int index) {
        int offset = images.pixelOffset(index);
        int id = 0;
        for (int b = 0; b < 4; b++) {
            id |= (images.pixels()[offset + b] & 0xFF) << (8 * b);
        }
        return id;
    }
}
