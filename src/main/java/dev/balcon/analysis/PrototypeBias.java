package dev.balcon.analysis;

import dev.balcon.BalconException;

/**
 * Prototype representation bias: how far the self-supervised surrogate prototype of an image (the mean
 * of its augmented views) lies from the true prototype of its class.
 *
 * <pre>
 *   bias  = mean over x of | mu~_x - mu_{y(x)} |_2
 *   mu~_x = mean of f over the K views of x
 *   mu_y  = mean of mu~_x over the images x of class y
 * </pre>
 *
 * With {@code normalize = false} f is the embedding as given (the paper's scale: unnormalised backbone
 * features). With {@code normalize = true} every view embedding is first divided by its L2 norm, so both
 * prototypes lie in the unit ball and 0 <= bias <= 2, comparable across models of different widths.
 * Means and distances are accumulated in float64. See docs/instruments.md.
 */
public final class PrototypeBias {

    private PrototypeBias() {}

    /**
     * @param e          the view embeddings (K >= 1; K = 1 makes mu~_x a single draw, noisier)
     * @param normalize  L2-normalise each view embedding before averaging
     * @param spaceLabel name of the embedding space, copied into the result
     */
    public static BiasResult compute(ViewEmbeddings e, boolean normalize, String spaceLabel) {
        if (spaceLabel == null || spaceLabel.isBlank()) {
            throw new BalconException("spaceLabel must name the embedding space (e.g. \"backbone\"), got "
                    + (spaceLabel == null ? "null" : "a blank string"));
        }
        int n = e.images();
        int d = e.dimension();
        int[] labels = e.labels();
        double[] surrogates = Prototypes.imageMeans(e.views(), normalize);
        double[] prototypes = Prototypes.classMeans(surrogates, labels, e.numClasses(), d);

        double total = 0;
        double[] perClassTotal = new double[e.numClasses()];
        int[] perClassCount = new int[e.numClasses()];
        for (int i = 0; i < n; i++) {
            int y = labels[i];
            double squares = 0;
            for (int j = 0; j < d; j++) {
                double diff = surrogates[i * d + j] - prototypes[y * d + j];
                squares += diff * diff;
            }
            double distance = Math.sqrt(squares);
            total += distance;
            perClassTotal[y] += distance;
            perClassCount[y]++;
        }
        for (int y = 0; y < perClassTotal.length; y++) {
            perClassTotal[y] /= perClassCount[y];
        }
        return new BiasResult(total / n, perClassTotal, n, e.viewsPerImage(), spaceLabel);
    }
}
