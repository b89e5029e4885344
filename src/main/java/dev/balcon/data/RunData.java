package dev.balcon.data;

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

    /** The dataset kind, {@link DataSelection#kind}. */
    public String dataset() {
        return selection.kind();
    }

    /** The data seed, {@link DataSelection#seed}. */
    public long dataSeed() {
        return selection.seed();
    }
}
