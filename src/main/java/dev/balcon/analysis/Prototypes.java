package dev.balcon.analysis;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;

/** Surrogate (per-image) and class prototypes, shared by {@link PrototypeBias} and {@link BoundGaps}. */
final class Prototypes {

    /** Vectors shorter than this are divided by it instead of their norm (as torch's F.normalize does). */
    static final double NORM_FLOOR = 1e-12;

    /** Upper bound on the elements of one temporary array: 8M doubles = 64 MB. */
    static final long CHUNK_ELEMENTS = 1L << 23;

    private Prototypes() {}

    /**
     * mu~_x for every image: the mean of its K view embeddings, accumulated in float64, optionally after
     * L2-normalising each view. Reads {@code views} in chunks of images so that no full float64 copy of
     * [N, K, D] is made.
     *
     * @return row-major [N, D]
     */
    static double[] imageMeans(NDArray views, boolean normalize) {
        return imageMeans(views, normalize, CHUNK_ELEMENTS);
    }

    /** {@link #imageMeans(NDArray, boolean)} reading blocks of at most the given number of elements. */
    static double[] imageMeans(NDArray views, boolean normalize, long chunkElements) {
        int n = Math.toIntExact(views.getShape().get(0));
        long k = views.getShape().get(1);
        int d = Math.toIntExact(views.getShape().get(2));
        int imagesPerChunk = (int) Math.max(1, Math.min(n, chunkElements / (k * d)));
        double[] means = new double[n * d];
        for (int start = 0; start < n; start += imagesPerChunk) {
            int end = Math.min(n, start + imagesPerChunk);
            try (NDManager chunk = views.getManager().newSubManager()) {
                NDArray block = views.get(chunk, new NDIndex("{}:{}", start, end)).toType(DataType.FLOAT64, false);
                if (normalize) {
                    block = block.normalize(2, 2, NORM_FLOOR);
                }
                double[] blockMeans = block.mean(new int[] {1}).toDoubleArray();
                System.arraycopy(blockMeans, 0, means, start * d, blockMeans.length);
            }
        }
        return means;
    }

    /**
     * mu_y for every class: the mean over the images of class y of their per-image means.
     *
     * @return row-major [numClasses, D]
     */
    static double[] classMeans(double[] imageMeans, int[] labels, int numClasses, int d) {
        double[] sums = new double[numClasses * d];
        int[] counts = new int[numClasses];
        for (int i = 0; i < labels.length; i++) {
            int y = labels[i];
            counts[y]++;
            for (int j = 0; j < d; j++) {
                sums[y * d + j] += imageMeans[i * d + j];
            }
        }
        for (int y = 0; y < numClasses; y++) {
            for (int j = 0; j < d; j++) {
                sums[y * d + j] /= counts[y];
            }
        }
        return sums;
    }

    /** Divides every row of a row-major [rows, d] matrix by max(its L2 norm, NORM_FLOOR), in place. */
    static void normalizeRows(double[] matrix, int d) {
        for (int row = 0; row < matrix.length / d; row++) {
            double squares = 0;
            for (int j = 0; j < d; j++) {
                squares += matrix[row * d + j] * matrix[row * d + j];
            }
            double norm = Math.max(Math.sqrt(squares), NORM_FLOOR);
            for (int j = 0; j < d; j++) {
                matrix[row * d + j] /= norm;
            }
        }
    }
}
