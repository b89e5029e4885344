package dev.balcon.loss;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import java.util.Random;

/** Shared test helpers: run the loss with autograd, an independent per-anchor loop, array comparisons. */
final class LossTestSupport {

    /** The loss value and its gradients with respect to z1 and z2, all in float64. */
    record Evaluation(double value, double[][] gradZ1, double[][] gradZ2) {
    }

    private LossTestSupport() {
    }

    /** Runs {@code loss} on z1, z2 converted to {@code dataType}, with backward through DJL autograd. */
    static Evaluation evaluate(NDManager manager, LossConfig config, double[][] z1, double[][] z2,
                               DataType dataType) {
        ContrastiveLoss loss = new ContrastiveLoss(config);
        try (NDManager scope = manager.newSubManager()) {
            NDArray view1 = scope.create(z1).toType(dataType, false);
            NDArray view2 = scope.create(z2).toType(dataType, false);
            view1.setRequiresGradient(true);
            view2.setRequiresGradient(true);
            double value;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray lossValue = loss.compute(view1, view2);
                collector.backward(lossValue);
                value = lossValue.toType(DataType.FLOAT64, false).getDouble();
            }
            return new Evaluation(value, toMatrix(view1.getGradient()), toMatrix(view2.getGradient()));
        }
    }

    /** The loss value only, without autograd. */
    static double value(NDManager manager, LossConfig config, double[][] z1, double[][] z2, DataType dataType) {
        try (NDManager scope = manager.newSubManager()) {
            NDArray view1 = scope.create(z1).toType(dataType, false);
            NDArray view2 = scope.create(z2).toType(dataType, false);
            return new ContrastiveLoss(config).compute(view1, view2).toType(DataType.FLOAT64, false).getDouble();
        }
    }

    /**
     * The loss written as the spec states it, one anchor at a time in plain doubles, sharing no code with
     * {@link ContrastiveLoss}.
     */
    static double referenceLoss(LossConfig config, double[][] z1, double[][] z2) {
        int n = z1.length;
        double[][] views = new double[2 * n][];
        for (int i = 0; i < n; i++) {
            views[i] = z1[i];
            views[n + i] = z2[i];
        }
        double total = 0;
        for (int anchor = 0; anchor < 2 * n; anchor++) {
            int positive = anchor < n ? anchor + n : anchor - n;
            double maxLogit = Double.NEGATIVE_INFINITY;
            double[] logits = new double[2 * n];
            boolean[] isCandidate = new boolean[2 * n];
            for (int other = 0; other < 2 * n; other++) {
                boolean sameView = (anchor < n) == (other < n);
                boolean candidate = other != anchor
                        && !(config.candidates() == Candidates.CROSS_VIEW && sameView)
                        && (config.includePositive() || other != positive);
                if (candidate) {
                    isCandidate[other] = true;
                    logits[other] = config.alpha() * similarity(config.similarity(), views[anchor], views[other]);
                    maxLogit = Math.max(maxLogit, logits[other]);
                }
            }
            double sumExp = 0;
            for (int other = 0; other < 2 * n; other++) {
                if (isCandidate[other]) {
                    sumExp += Math.exp(logits[other] - maxLogit);
                }
            }
            double logSumExp = maxLogit + Math.log(sumExp);
            double anchorLoss = -config.alpha() * similarity(config.similarity(), views[anchor], views[positive])
                    + config.lambda() / config.nu() * logSumExp;
            total += config.scaleByInvAlpha() ? anchorLoss / config.alpha() : anchorLoss;
        }
        return total / (2 * n);
    }

    private static double similarity(Similarity similarity, double[] a, double[] b) {
        switch (similarity) {
            case COSINE:
                return dot(a, b) / (Math.max(Math.sqrt(dot(a, a)), 1e-12) * Math.max(Math.sqrt(dot(b, b)), 1e-12));
            case DOT:
                return dot(a, b);
            case NEG_EUCLIDEAN:
                double squared = 0;
                for (int k = 0; k < a.length; k++) {
                    squared += (a[k] - b[k]) * (a[k] - b[k]);
                }
                return -Math.sqrt(squared);
            default:
                throw new IllegalArgumentException(similarity.toString());
        }
    }

    private static double dot(double[] a, double[] b) {
        double sum = 0;
        for (int k = 0; k < a.length; k++) {
            sum += a[k] * b[k];
        }
        return sum;
    }

    /** Central finite differences of {@link #referenceLoss} with respect to every entry of z1 (or z2). */
    static double[][] referenceGradient(LossConfig config, double[][] z1, double[][] z2, boolean withRespectToZ1) {
        double step = 1e-6;
        double[][] target = withRespectToZ1 ? z1 : z2;
        double[][] gradient = new double[target.length][target[0].length];
        for (int i = 0; i < target.length; i++) {
            for (int k = 0; k < target[0].length; k++) {
                double original = target[i][k];
                target[i][k] = original + step;
                double up = referenceLoss(config, z1, z2);
                target[i][k] = original - step;
                double down = referenceLoss(config, z1, z2);
                target[i][k] = original;
                gradient[i][k] = (up - down) / (2 * step);
            }
        }
        return gradient;
    }

    static double[][] randomMatrix(Random random, int rows, int columns) {
        double[][] matrix = new double[rows][columns];
        for (double[] row : matrix) {
            for (int k = 0; k < columns; k++) {
                row[k] = random.nextGaussian();
            }
        }
        return matrix;
    }

    static double[][] copy(double[][] matrix) {
        double[][] copy = new double[matrix.length][];
        for (int i = 0; i < matrix.length; i++) {
            copy[i] = matrix[i].clone();
        }
        return copy;
    }

    /**
     * The largest deviation of {@code actual} from {@code expected}, relative to the largest magnitude in
     * {@code expected} (so entries near zero are judged on the scale of the whole gradient).
     */
    static double maxRelativeDeviation(double[][] actual, double[][] expected) {
        double scale = 0;
        double deviation = 0;
        for (int i = 0; i < expected.length; i++) {
            for (int k = 0; k < expected[i].length; k++) {
                scale = Math.max(scale, Math.abs(expected[i][k]));
                deviation = Math.max(deviation, Math.abs(actual[i][k] - expected[i][k]));
            }
        }
        return deviation / scale;
    }

    static double relativeDeviation(double actual, double expected) {
        return Math.abs(actual - expected) / Math.abs(expected);
    }

    private static double[][] toMatrix(NDArray array) {
        double[] flat = array.toType(DataType.FLOAT64, false).toDoubleArray();
        int rows = Math.toIntExact(array.getShape().get(0));
        int columns = Math.toIntExact(array.getShape().get(1));
        double[][] matrix = new double[rows][columns];
        for (int i = 0; i < rows; i++) {
            System.arraycopy(flat, i * columns, matrix[i], 0, columns);
        }
        return matrix;
    }
}
