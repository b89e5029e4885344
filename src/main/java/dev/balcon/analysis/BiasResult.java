package dev.balcon.analysis;

/**
 * Prototype representation bias of one embedding space.
 *
 * @param bias          mean over images x of |mu~_x - mu_{y(x)}|_2
 * @param perClassBias  the same mean restricted to the images of each class, indexed by class
 * @param images        N, the number of images averaged over
 * @param viewsPerImage K, the number of augmented views behind each mu~_x
 * @param space         the caller's name for the embedding space (e.g. "backbone", "backbone-l2", "projector")
 */
public record BiasResult(double bias, double[] perClassBias, int images, int viewsPerImage, String space) {}
