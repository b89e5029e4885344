package dev.balcon.augment;

import java.util.SplittableRandom;

/**
 * One random image transformation. Implementations hold only their parameters, so one instance can be
 * shared by many threads; all per-image state lives in the {@link ImageBuffer}, which is per thread.
 */
public interface Augmentation {
    /**
     * Transforms {@code image}, drawing every random decision from {@code random}; may work in place or
     * return another buffer.
     */
    ImageBuffer apply(ImageBuffer image, SplittableRandom random);
}
