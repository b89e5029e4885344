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
            throw new BalconException(what + ": " + describe(bad, features.getShape().get(0), false));
        }
    }

    private static String describe(long bad, long rows, boolean firstRowsOnly) {
        return bad + " of " + (firstRowsOnly ? "the first " : "") + rows + " rows hold NaN or infinite values, as a "
                + "diverged model's do; refusing to score them";
    }

    /**
     * Thrown by {@link FeatureExtractor} at the first batch whose features hold a NaN or infinite value, so that a
     * diverged model is refused after one batch rather than after the whole split.
     */
    public static final class Found extends BalconException {
        private final String detail;

        /** {@code bad} rows of the first {@code rowsSoFar} of {@code rows} were found not finite. */
        Found(long bad, long rowsSoFar, long rows) {
            this(describe(bad, rowsSoFar, rowsSoFar < rows));
        }

        private Found(String detail) {
            super(detail);
            this.detail = detail;
        }

        /** The same finding, naming the features ({@code what}) as {@link #requireFiniteRows} does. */
        public BalconException naming(String what) {
            return new BalconException(what + ": " + detail, this);
        }
    }
}
