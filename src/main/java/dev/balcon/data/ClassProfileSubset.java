package dev.balcon.data;

import dev.balcon.BalconException;
import dev.balcon.InvalidField;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The class sizes of a run's training subset: a long-tailed profile over the classes in id order (class 0
 * is the head), or its balanced twin, a class-balanced subset with exactly the same total.
 *
 * @param profile          exp or pareto
 * @param rho              imbalance ratio n_max / n_min
 * @param paretoShape      Pareto shape (pareto only, else null)
 * @param maxPerClass      n_max, the head class size
 * @param balancedTwin     whether {@link #counts} is the balanced twin of {@link #longTailedCounts}
 * @param longTailedCounts the profile's per-class counts
 * @param counts           the per-class counts drawn: the long-tailed ones, or the balanced twin's
 */
public record ClassProfileSubset(String profile, double rho, Double paretoShape, int maxPerClass, boolean balancedTwin,
                                 int[] longTailedCounts, int[] counts) {
    /** The path in config.json of each parameter of {@link #longTailedCounts} that it names in an error. */
    private static final Map<String, String> CONFIG_FIELDS = Map.of("profile", "data.classProfile", "rho", "data.rho");

    /**
     * The counts {@code config} asks for on {@code train}. n_max is {@code profileMax}, or the smallest class
     * size when that is 0; the Pareto profile's smallest class is {@code floor(n_max / rho)}.
     *
     * @throws InvalidField naming the field's path in config.json ({@code data.classProfile}, {@code data.rho},
     *     {@code data.profileMax}, {@code data.paretoShape}) when the profile cannot be drawn from {@code train}
     */
    public static ClassProfileSubset plan(RunData config, ImageDataset train) {
        int[] available = train.classCounts();
        int smallest = Arrays.stream(available).min().orElse(0);
        if (smallest < 1) {
            int empty = indexOf(available, 0);
            throw new InvalidField("data.classProfile", "needs images of every class, and class '"
                    + train.classNames().get(empty) + "' of " + train.name() + " has none");
        }
        int maxPerClass = config.profileMax() == 0 ? smallest : config.profileMax();
        int numClasses = train.numClasses();
        double rho = config.rho();
        int[] longTailed;
        try {
            longTailed = longTailedCounts(config.classProfile(), numClasses, maxPerClass, rho, config.paretoShape());
        } catch (InvalidField e) {
            throw new InvalidField(CONFIG_FIELDS.get(e.field()), e.detail());
        }
        int[] counts = config.balancedTwin()
                ? ClassProfiles.balancedCounts(numClasses, Arrays.stream(longTailed).sum())
                : longTailed;
        for (int c = 0; c < numClasses; c++) {
            if (counts[c] > available[c]) {
                throw new InvalidField("data.profileMax", maxPerClass + " is too many: the class profile asks "
                        + "for " + counts[c] + " images of class '" + train.classNames().get(c) + "' of " + train.name()
                        + ", which has " + available[c] + "; lower it (0 takes the smallest class size, " + smallest
                        + ")");
            }
        }
        Double shape = config.classProfile().equals("pareto") ? config.paretoShape() : null;
        return new ClassProfileSubset(config.classProfile(), rho, shape, maxPerClass, config.balancedTwin(),
                longTailed, counts);
    }

    /**
     * The per-class counts of a long-tailed profile: {@code exp} is
     * {@link ClassProfiles#exponentialCounts}, {@code pareto} is {@link ClassProfiles#paretoCounts} from
     * {@code maxPerClass} down to {@code floor(maxPerClass / rho)}.
     *
     * @throws InvalidField naming the parameter ({@code profile}, {@code rho}) of a profile that is not long-tailed
     *     or that leaves a class without images
     */
    public static int[] longTailedCounts(String profile, int numClasses, int maxPerClass, double rho,
                                         double paretoShape) {
        if (!profile.equals("exp") && !profile.equals("pareto")) {
            throw new InvalidField("profile", "must be exp or pareto here, got '" + profile + "'");
        }
        if (maxPerClass / rho < 1) {
            throw new InvalidField("rho", rho + " leaves the tail class without images at n_max " + maxPerClass
                    + ": need rho <= " + maxPerClass);
        }
        try {
            return profile.equals("exp") ? ClassProfiles.exponentialCounts(numClasses, maxPerClass, rho)
                    : ClassProfiles.paretoCounts(numClasses, maxPerClass, paretoShape, (int) Math.floor(maxPerClass / rho));
        } catch (BalconException e) {
            throw new InvalidField("profile", profile + " cannot be drawn: " + e.getMessage());
        }
    }

    /**
     * Draws the subset: for each class, that many of its images uniformly without replacement, the same images
     * whatever their order ({@link Subsets#perClass}), kept in their original order.
     *
     * @param seed the data seed
     */
    public ImageDataset draw(ImageDataset train, long seed) {
        String name = train.name() + "-" + profile + (balancedTwin ? "-balanced-twin" : "") + "[seed " + seed + "]";
        return train.subset(Subsets.perClass(train, counts, seed), name);
    }

    /** One line for the user. */
    public String describe() {
        String head = String.format("class profile %s (rho %s%s, n_max %d): per-class counts %s", profile,
                trim(rho), paretoShape == null ? "" : ", shape " + trim(paretoShape), maxPerClass,
                Datasets.counts(longTailedCounts));
        return balancedTwin ? head + "; training on its balanced twin " + Datasets.counts(counts) : head;
    }

    /** What is stored with the run. */
    public Map<String, Object> summary() {
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("profile", profile);
        summary.put("rho", rho);
        summary.put("pareto_shape", paretoShape);
        summary.put("n_max", maxPerClass);
        summary.put("balanced_twin", balancedTwin);
        summary.put("long_tailed_counts", longTailedCounts);
        summary.put("total", Arrays.stream(counts).sum());
        return summary;
    }

    private static int indexOf(int[] values, int value) {
        for (int i = 0; i < values.length; i++) {
            if (values[i] == value) {
                return i;
            }
        }
        return -1;
    }

    private static String trim(double value) {
        return value == Math.rint(value) ? String.valueOf((long) value) : String.valueOf(value);
    }
}
