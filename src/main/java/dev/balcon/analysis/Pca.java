package dev.balcon.analysis;

import dev.balcon.BalconException;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * Principal component analysis of row vectors: the eigenvectors of their d x d sample covariance, found with the
 * cyclic Jacobi method (exact to rounding, O(d^3) per sweep: meant for d up to a few hundred, as embeddings have).
 * Rows are streamed through an {@link Accumulator}, so their number is not bounded by memory.
 */
public final class Pca {
    private static final int MAX_SWEEPS = 60;

    private Pca() {}

    /**
     * A fitted PCA.
     *
     * @param mean       the mean row, length d
     * @param components {@code [d][d]}: row k is the unit-length k-th principal direction, by decreasing variance;
     *                   its sign makes its largest-magnitude entry positive, so the result is deterministic
     * @param variances  length d: the variance along each component (the covariance's eigenvalues, descending, >= 0
     *                   up to rounding)
     * @param rows       how many rows were fitted
     */
    public record Result(double[] mean, double[][] components, double[] variances, long rows) {
        /** Sum of the variances: the trace of the covariance. */
        public double totalVariance() {
            return Arrays.stream(variances).sum();
        }

        /** Fraction (0 to 1) of the total variance along component {@code k}; NaN if the rows are all equal. */
        public double explainedRatio(int k) {
            double total = totalVariance();
            return total > 0 ? variances[k] / total : Double.NaN;
        }

        /** The first {@code k} coordinates of {@code row} in the component basis (centred on the mean). */
        public double[] project(float[] row, int k) {
            if (row.length != mean.length) {
                throw new IllegalArgumentException("row of length " + row.length + ", expected " + mean.length);
            }
            double[] coordinates = new double[k];
            for (int c = 0; c < k; c++) {
                double[] direction = components[c];
                double sum = 0;
                for (int j = 0; j < row.length; j++) {
                    sum += (row[j] - mean[j]) * direction[j];
                }
                coordinates[c] = sum;
            }
            return coordinates;
        }
    }

    /**
     * Sums for the sample covariance of rows given one at a time. Rows are shifted by the first one before their
     * products are summed, which keeps the rounding of {@code E[xx^T] - mean mean^T} small when the mean is far
     * from 0.
     */
    public static final class Accumulator {
        private final int dim;
        private final double[] shift;
        private final double[] sum;
        private final double[][] products;
        private final double[] centred;
        private long rows;

        /** @param dim the length of every row, >= 1 */
        public Accumulator(int dim) {
            if (dim < 1) {
                throw new BalconException("PCA needs rows of at least 1 value, got dim " + dim);
            }
            this.dim = dim;
            this.shift = new double[dim];
            this.sum = new double[dim];
            this.products = new double[dim][dim];
            this.centred = new double[dim];
        }

        /**
         * Adds one row.
         *
         * @throws BalconException if it has another length or a non-finite value
         */
        public void add(float[] row) {
            if (row.length != dim) {
                throw new BalconException("row " + rows + " has " + row.length + " values, expected " + dim);
            }
            for (int j = 0; j < dim; j++) {
                if (!Float.isFinite(row[j])) {
                    throw new BalconException("row " + rows + " holds a non-finite value (" + row[j] + ") at column " + j);
                }
                if (rows == 0) {
                    shift[j] = row[j];
                }
                centred[j] = row[j] - shift[j];
                sum[j] += centred[j];
            }
            for (int i = 0; i < dim; i++) {
                double xi = centred[i];
                double[] productRow = products[i];
                for (int j = i; j < dim; j++) {
                    productRow[j] += xi * centred[j];
                }
            }
            rows++;
        }

        /** Rows added so far. */
        public long rows() {
            return rows;
        }

        /**
         * The PCA of the rows added.
         *
         * @throws BalconException if fewer than two rows were added
         */
        public Result fit() {
            if (rows < 2) {
                throw new BalconException("PCA needs at least 2 rows, got " + rows);
            }
            double[][] covariance = new double[dim][dim];
            double[] mean = new double[dim];
            for (int i = 0; i < dim; i++) {
                mean[i] = shift[i] + sum[i] / rows;
                for (int j = i; j < dim; j++) {
                    double value = (products[i][j] - sum[i] * sum[j] / rows) / (rows - 1);
                    covariance[i][j] = value;
                    covariance[j][i] = value;
                }
            }
            Eigen eigen = symmetricEigen(covariance);
            return new Result(mean, eigen.vectors(), eigen.values(), rows);
        }
    }

    /** The PCA of the rows of {@code data} ({@code [n][d]}, n >= 2). */
    public static Result fit(float[][] data) {
        if (data.length == 0) {
            throw new BalconException("PCA needs at least 2 rows, got 0");
        }
        Accumulator accumulator = new Accumulator(data[0].length);
        for (float[] row : data) {
            accumulator.add(row);
        }
        return accumulator.fit();
    }

    /**
     * Eigen-decomposition of a real symmetric matrix.
     *
     * @param values  eigenvalues, descending
     * @param vectors {@code vectors[k]} is the unit eigenvector of {@code values[k]}, largest-magnitude entry positive
     */
    public record Eigen(double[] values, double[][] vectors) {}

    /**
     * Eigenvalues and eigenvectors of the symmetric {@code matrix} ({@code [n][n]}, not modified) by cyclic Jacobi
     * rotations, until the off-diagonal part is negligible next to the whole (relative 1e-15 in Frobenius norm).
     */
    public static Eigen symmetricEigen(double[][] matrix) {
        int n = matrix.length;
        double[][] a = new double[n][];
        double[][] v = new double[n][n];
        double norm = 0;
        for (int i = 0; i < n; i++) {
            if (matrix[i].length != n) {
                throw new IllegalArgumentException("matrix is not square: row " + i + " has " + matrix[i].length + " of " + n);
            }
            a[i] = matrix[i].clone();
            v[i][i] = 1;
            for (double value : a[i]) {
                norm += value * value;
            }
        }
        for (int sweep = 0; sweep < MAX_SWEEPS; sweep++) {
            double off = 0;
            for (int p = 0; p < n; p++) {
                for (int q = p + 1; q < n; q++) {
                    off += a[p][q] * a[p][q];
                }
            }
            if (off <= 1e-30 * norm) {
                break;
            }
            for (int p = 0; p < n - 1; p++) {
                for (int q = p + 1; q < n; q++) {
                    if (a[p][q] != 0) {
                        rotate(a, v, p, q);
                    }
                }
            }
        }
        Integer[] order = IntStream.range(0, n).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingDouble((Integer k) -> a[k][k]).reversed());
        double[] values = new double[n];
        double[][] vectors = new double[n][n];
        for (int rank = 0; rank < n; rank++) {
            int k = order[rank];
            values[rank] = a[k][k];
            int largest = 0;
            for (int i = 0; i < n; i++) {
                vectors[rank][i] = v[i][k];
                if (Math.abs(v[i][k]) > Math.abs(v[largest][k])) {
                    largest = i;
                }
            }
            if (v[largest][k] < 0) {
                for (int i = 0; i < n; i++) {
                    vectors[rank][i] = -vectors[rank][i];
                }
            }
        }
        return new Eigen(values, vectors);
    }

    /** One Jacobi rotation: A = J^T A J with J chosen to zero A[p][q]; V = V J accumulates the eigenvectors. */
    private static void rotate(double[][] a, double[][] v, int p, int q) {
        int n = a.length;
        double theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
        // the smaller root of t^2 + 2 t theta - 1 = 0: a rotation angle of at most 45 degrees, for stability
        double t = theta == 0 ? 1 : Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        double c = 1 / Math.sqrt(t * t + 1);
        double s = t * c;
        for (int k = 0; k < n; k++) {
            double akp = a[k][p];
            double akq = a[k][q];
            a[k][p] = c * akp - s * akq;
            a[k][q] = s * akp + c * akq;
        }
        double[] rowP = a[p];
        double[] rowQ = a[q];
        for (int k = 0; k < n; k++) {
            double apk = rowP[k];
            double aqk = rowQ[k];
            rowP[k] = c * apk - s * aqk;
            rowQ[k] = s * apk + c * aqk;
        }
        for (int k = 0; k < n; k++) {
            double vkp = v[k][p];
            double vkq = v[k][q];
            v[k][p] = c * vkp - s * vkq;
            v[k][q] = s * vkp + c * vkq;
        }
    }
}
