package dev.balcon.data;

import dev.balcon.InvalidField;

import java.util.List;

/**
 * What a run's configuration says about its data, as {@link Datasets} and {@link ClassProfileSubset} read it: the
 * images to load, the training subset drawn from them and the images k-NN evaluates on. The run configuration
 * ({@code train.PretrainConfig#runData}) builds it, so that {@code data} does not depend on the packages above it.
 *
 * @param selection    the images to load; its {@code kind} is the dataset and its {@code seed} the data seed
 * @param trainLimit   train on this many images (0 = all), a stratified draw seeded by the data seed
 * @param classProfile class-size profile of the training subset: none, exp or pareto
 * @param rho          imbalance ratio n_max / n_min of the profile
 * @param paretoShape  shape (tail index) of the Pareto profile
 * @param profileMax   n_max, images of the head class; 0 = the smallest class size of the training split
 * @param balancedTwin train on a class-balanced subset of the profile's total size instead of the profile
 * @param evalData     labelled image folder for k-NN instead of the dataset's own splits, or null
 */
public record RunData(DataSelection selection, int trainLimit, String classProfile, double rho, double paretoShape,
                      int profileMax, boolean balancedTwin, String evalData) {

    /** The values of {@link #classProfile()}. */
    public static final List<String> CLASS_PROFILES = List.of("none", "exp", "pareto");

    public RunData {
        if (selection == null) {
            throw new InvalidField("data.selection", "is missing");
        }
        if (trainLimit < 0) {
            throw new InvalidField("data.trainLimit", "must be >= 0 (0 = all images), got " + trainLimit);
        }
        // a config.json written before the class-profile fields existed reads them as null / 0 / false
        classProfile = classProfile == null ? "none" : classProfile;
        if (!CLASS_PROFILES.contains(classProfile)) {
            throw new InvalidField("data.classProfile", "must be one of " + CLASS_PROFILES + ", got '" + classProfile
                    + "'");
        }
        boolean profiled = !classProfile.equals("none");
        // 0 stands for "absent" in a config.json older than these options
        if ((profiled || rho != 0) && !(rho >= 1 && Double.isFinite(rho))) {
            throw new InvalidField("data.rho", "(imbalance ratio n_max / n_min) must be a finite number >= 1, got "
                    + rho);
        }
        if ((classProfile.equals("pareto") || paretoShape != 0) && !(paretoShape > 0 && Double.isFinite(paretoShape))) {
            throw new InvalidField("data.paretoShape", "must be a finite number > 0, got " + paretoShape);
        }
        if (profileMax < 0) {
            throw new InvalidField("data.profileMax", "must be >= 1 (or 0 for the smallest class size), got "
                    + profileMax);
        }
        if (balancedTwin && !profiled) {
            throw new InvalidField("data.balancedTwin", "needs a long-tailed data.classProfile (exp or pareto) to take "
                    + "its total size from, got none");
        }
    }

    /** The defaults: {@link DataSelection#defaults()}, all images, no class profile (rho 100, Pareto shape 6). */
    public static RunData defaults() {
        return new RunData(DataSelection.defaults(), 0, "none", 100, 6, 0, false, null);
    }

    /** This data with the images of {@code newSelection}. */
    public RunData withSelection(DataSelection newSelection) {
        return new RunData(newSelection, trainLimit, classProfile, rho, paretoShape, profileMax, balancedTwin, evalData);
    }

    /** The dataset kind, {@link DataSelection#kind}. */
    public String dataset() {
        return selection.kind();
    }

    /** The data seed, {@link DataSelection#seed}. */
    public long dataSeed() {
        return selection.seed();
    }
}
