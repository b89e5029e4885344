package dev.balcon.eval;

import ai.djl.ndarray.NDArray;
import dev.balcon.BalconException;

/**
 * The check every evaluation makes before it scores features: a diverged model yields NaN or infinite features,
 * and a classifier fed with them reports a meaningless accuracy (NaN compares false with everything).
 */
public final class NonFinite {
    private NonFinite() {}

    /** Rows (entries along the first axis) of {@code array} that hold at least one NaN or infinite value. */
    public static long rows(NDArray array) {
        if (array.size() == 0) {
            return 0;
        }
        try (NDArray nan = array.isNaN();
             NDArray infinite = array.isInfinite();
             NDArray bad = nan.logicalOr(infinite);
             NDArray byRow = bad.reshape(array.getShape().get(0), -1);
             NDArray badPerRow = byRow.countNonzero(1);
             NDArray badRows = badPerRow.countNonzero()) {
            return ((Number) badRows.toArray()[0]).longValue();
        }
    }

    /**
     * Throws unless every value of {@code features} is finite.
     *
     * @param what the features in words, naming where they come from (e.g. "the train features of RUN/checkpoint.bin")
     * @throws BalconException naming {@code what} and how many of its rows hold NaN or infinite values
     */
    public static void requireFiniteRows(NDArray features, String what) {
        long bad = rows(features);
        if (bad > 0) {
            throw new BalconException(what + ": " + bad + " of " + features.getShape().get(0) + " rows hold NaN or"
                    + " infinite values, as a diverged model's do; refusing to score them");
        }
    }
}
