package dev.balcon.analysis;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Random;

/** Builders of view embeddings for the tests: plain float[N][K][D] arrays and their NDArray form. */
final class TestViews {

    private TestViews() {}

    static NDArray toArray(NDManager manager, float[][][] views) {
        int n = views.length;
        int k = views[0].length;
        int d = views[0][0].length;
        float[] flat = new float[n * k * d];
        for (int i = 0; i < n; i++) {
            for (int v = 0; v < k; v++) {
                System.arraycopy(views[i][v], 0, flat, (i * k + v) * d, d);
            }
        }
        return manager.create(flat, new Shape(n, k, d));
    }

    static ViewEmbeddings embeddings(NDManager manager, float[][][] views, int[] labels, int numClasses) {
        return new ViewEmbeddings(toArray(manager, views), labels, numClasses);
    }

    /** Labels 0, 1, ..., numClasses-1, 0, 1, ...: balanced when n is a multiple of numClasses. */
    static int[] roundRobinLabels(int n, int numClasses) {
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % numClasses;
        }
        return labels;
    }

    /**
     * Clustered views: class centre (Gaussian, scale centreScale) + image offset (scale imageScale) + view
     * noise (scale viewScale), every coordinate independent.
     */
    static float[][][] clustered(Random random, int[] labels, int numClasses, int k, int d, double centreScale,
            double imageScale, double viewScale) {
        double[][] centres = new double[numClasses][d];
        for (double[] centre : centres) {
            for (int j = 0; j < d; j++) {
                centre[j] = centreScale * random.nextGaussian();
            }
        }
        float[][][] views = new float[labels.length][k][d];
        for (int i = 0; i < labels.length; i++) {
            double[] image = new double[d];
            for (int j = 0; j < d; j++) {
                image[j] = centres[labels[i]][j] + imageScale * random.nextGaussian();
            }
            for (int v = 0; v < k; v++) {
                for (int j = 0; j < d; j++) {
                    views[i][v][j] = (float) (image[j] + viewScale * random.nextGaussian());
                }
            }
        }
        return views;
    }
}
