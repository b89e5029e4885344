package dev.balcon.data;

import dev.balcon.BalconException;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * Seeded subsets of an image set that do not depend on the order of its images: every subset balcon takes (train
 * limit, class profile, held-out test fraction, the evaluation's training images, probe sets, per-class samples)
 * is drawn here, never "the first N".
 *
 * <p>Each image gets a key, a 64-bit hash of its pixels mixed with the seed; a class's draw of k images is the k
 * images of that class with the smallest keys. That is a uniform draw without replacement for each seed, and the
 * same images whatever order the files were listed or stored in (an image's key depends on its pixels alone;
 * byte-identical images tie, and either is the same image). The draw changes with the seed and with the decoded
 * pixels (another imageSize or channels is another image set).
 *
 * <p>Selected indices are returned in ascending order, so a subset keeps the original order of its images and
 * reads them sequentially.
 */
public final class Subsets {
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private Subsets() {}

    /**
     * Per-class counts of a stratified subset of {@code size} images: class c gets
     * {@code floor(size * available[c] / total)}, and the images left over go one each to the classes with the
     * largest remainders (ties to the lower class id; largest-remainder rounding), so the counts sum to
     * {@code size} and each differs from its exact share by less than one.
     *
     * @param available images of each class, each >= 0
     * @param size      images wanted, in {@code [0, total]}
     * @throws BalconException if a count is negative or {@code size} is outside {@code [0, total]}
     */
    public static int[] proportionalCounts(int[] available, int size) {
        long total = 0;
        for (int count : available) {
            if (count < 0) {
                throw new BalconException("class sizes must be >= 0, got " + count);
            }
            total += count;
        }
        if (size < 0 || size > total) {
            throw new BalconException("subset size must be in [0, " + total + "], got " + size);
        }
        int[] counts = new int[available.length];
        long[] remainders = new long[available.length];
        int assigned = 0;
        for (int c = 0; c < available.length; c++) {
            long share = (long) size * available[c];
            counts[c] = (int) (share / total);
            remainders[c] = share % total;
            assigned += counts[c];
        }
        Integer[] byRemainder = IntStream.range(0, available.length).boxed()
                .sorted(Comparator.<Integer>comparingLong(c -> -remainders[c]).thenComparingInt(c -> c))
                .toArray(Integer[]::new);
        for (int k = 0; k < size - assigned; k++) {
            counts[byRemainder[k]]++;
        }
        return counts;
    }

    /**
     * A stratified draw of {@code size} images: {@link #proportionalCounts} of every class, each drawn as
     * {@link #perClass} does. With one class (unlabelled images) it is a uniform draw.
     *
     * @return ascending indices into {@code images}, {@code size} of them
     * @throws BalconException if {@code size} is outside {@code [0, images.size()]}
     */
    public static int[] stratified(ImageDataset images, int size, long seed) {
        return perClass(images, proportionalCounts(images.classCounts(), size), seed);
    }

    /**
     * Draws {@code counts[c]} distinct images of every class c, uniformly without replacement for the seed and
     * independent of the image order (see the class comment).
     *
     * @param counts one count per class of {@code images} (class id = index)
     * @return ascending indices into {@code images}
     * @throws BalconException if the count array has the wrong length, a count is negative, or a class has fewer
     *                         images than asked for
     */
    public static int[] perClass(ImageDataset images, int[] counts, long seed) {
        if (counts.length != images.numClasses()) {
            throw new BalconException("per-class counts for '" + images.name() + "' must have " + images.numClasses()
                    + " entries (one per class), got " + counts.length);
        }
        int[] available = images.classCounts();
        for (int c = 0; c < counts.length; c++) {
            if (counts[c] < 0 || counts[c] > available[c]) {
                throw new BalconException("class '" + images.classNames().get(c) + "' (id " + c + ") of '"
                        + images.name() + "' has " + available[c] + " images, asked for " + counts[c]);
            }
        }
        long[] keys = keys(images, seed);
        // Index breaks ties only between byte-identical images, which are interchangeable.
        int[] byKey = IntStream.range(0, images.size()).boxed()
                .sorted(Comparator.<Integer>comparingLong(i -> keys[i]).thenComparingInt(i -> i))
                .mapToInt(Integer::intValue).toArray();
        int[] wanted = counts.clone();
        boolean[] chosen = new boolean[images.size()];
        int total = 0;
        for (int index : byKey) {
            int label = images.label(index);
            if (wanted[label] > 0) {
                wanted[label]--;
                chosen[index] = true;
                total++;
            }
        }
        int[] selected = new int[total];
        int next = 0;
        for (int i = 0; i < chosen.length; i++) {
            if (chosen[i]) {
                selected[next++] = i;
            }
        }
        return selected;
    }

    /**
     * The images of a stratified draw of {@code size} ({@link #stratified}), or {@code images} itself when
     * {@code size} is 0 (no limit) or at least its size. The subset's name records the size and the seed.
     *
     * @throws BalconException if {@code size} is negative
     */
    public static ImageDataset limit(ImageDataset images, int size, long seed) {
        if (size < 0) {
            throw new BalconException("subset size must be >= 0 (0 = every image), got " + size);
        }
        if (size == 0 || size >= images.size()) {
            return images;
        }
        return images.subset(stratified(images, size, seed),
                images.name() + "[" + size + " stratified, seed " + seed + "]");
    }

    /** The seeded key of every image: a hash of its pixels and the seed. */
    static long[] keys(ImageDataset images, long seed) {
        long seedMix = mix(seed ^ 0x5EED_5B5E_7A11_D4A7L);
        long[] keys = new long[images.size()];
        IntStream.range(0, images.size()).parallel()
                .forEach(i -> keys[i] = mix(contentHash(images, i) ^ seedMix));
        return keys;
    }

    /** A 64-bit hash of image {@code index}'s pixels, independent of where the image is in the set. */
    static long contentHash(ImageDataset images, int index) {
        byte[] pixels = images.pixels();
        int offset = images.pixelOffset(index);
        int length = images.imageSize();
        long hash = mix(length);
        int i = 0;
        for (; i + Long.BYTES <= length; i += Long.BYTES) {
            hash = mix(hash ^ (long) LONGS.get(pixels, offset + i)) + 0x9E37_79B9_7F4A_7C15L;
        }
        long tail = 0;
        for (int shift = 0; i < length; i++, shift += 8) {
            tail |= (pixels[offset + i] & 0xFFL) << shift;
        }
        return mix(hash ^ tail);
    }

    /** The MurmurHash3 64-bit finaliser: a bijection with full avalanche. */
    private static long mix(long z) {
        z = (z ^ (z >>> 33)) * 0xFF51_AFD7_ED55_8CCDL;
        z = (z ^ (z >>> 33)) * 0xC4CE_B9FE_1A85_EC53L;
        return z ^ (z >>> 33);
    }
}
