package dev.balcon.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.balcon.BalconException;
import dev.balcon.InvalidField;

/**
 * Linear evaluation of frozen features: multinomial logistic regression on the train split, top-1 and
 * top-5 accuracy on the test split. Features are standardised with the train split's per-dimension mean
 * and standard deviation (applied to both splits), so the result does not depend on each dimension's scale.
 * The objective, mean cross-entropy + (l2 / 2) |W|^2 (bias not penalised), is minimised from zero by
 * full-batch L-BFGS: convex, deterministic, and with no learning rate or schedule to tune.
 */
public final class LinearProbe {
    public static final int DEFAULT_ITERATIONS = 300;
    public static final double DEFAULT_L2 = 1e-3;
    /** Curvature pairs kept by L-BFGS (PyTorch's and SciPy's default range). */
    public static final int HISTORY = 10;
    /** The k of top-k accuracy beside top-1; reported only with more classes than this. */
    public static final int TOP5 = 5;
    /** Converged once no gradient entry exceeds this. */
    public static final double GRADIENT_TOLERANCE = 1e-5;
    /** Converged once an iteration lowers the objective by at most this, relatively (float32 noise level). */
    public static final double VALUE_TOLERANCE = 1e-9;
    // Keeps constant feature dimensions (dead ReLU units) at zero instead of dividing by zero.
    private static final float MIN_STD = 1e-12f;

    private final int maxIterations;
    private final double l2;

    /**
     * @param maxIterations L-BFGS iterations at most, &gt;= 1
     * @param l2            L2 weight on the weights, per training image, a finite number &gt;= 0
     * @throws InvalidField naming the parameter ({@code maxIterations}, {@code l2}) out of range
     */
    public LinearProbe(int maxIterations, double l2) {
        if (maxIterations < 1) {
            throw new InvalidField("maxIterations", "must be >= 1, got " + maxIterations);
        }
        if (!(l2 >= 0) || !Double.isFinite(l2)) {
            throw new InvalidField("l2", "must be a finite number >= 0, got " + l2);
        }
        this.maxIterations = maxIterations;
        this.l2 = l2;
    }

    /** The protocol in words, as printed next to results. */
    public String protocolDescription() {
        return "multinomial logistic regression on train-standardised features, full-batch L-BFGS (history "
                + HISTORY + ", Armijo backtracking) from zero, at most " + maxIterations + " iterations (or until max|grad| <= "
                + GRADIENT_TOLERANCE + " or a relative decrease <= " + VALUE_TOLERANCE + "), L2 " + l2 + " on weights (objective: mean cross-entropy + l2/2 |W|^2)";
    }

    /**
     * Trains on {@code trainFeatures} [N, D] and scores {@code testFeatures} [M, D].
     *
     * @param numClasses number of classes; labels must lie in [0, numClasses)
     * @return top-1 and, with more than 5 classes, top-5 accuracy (null otherwise: every label would be in it)
     * @throws BalconException if a feature is NaN or infinite
     */
    public LinearProbeResult evaluate(NDArray trainFeatures, int[] trainLabels, NDArray testFeatures, int[] testLabels,
                                      int numClasses) {
        checkShapes(trainFeatures, trainLabels, testFeatures, testLabels, numClasses);
        NonFinite.requireFiniteRows(trainFeatures, "the train features");
        NonFinite.requireFiniteRows(testFeatures, "the test features");
        int featureDim = (int) trainFeatures.getShape().get(1);
        try (NDManager scope = trainFeatures.getManager().newSubManager()) {
            // In place on private copies: at 60,000 x 784 every extra copy is 188 MB.
            NDArray trainStandardised = asFloat(trainFeatures, scope);
            NDArray mean = trainStandardised.mean(new int[] {0});
            trainStandardised.subi(mean);
            NDArray squares = trainStandardised.square();
            NDArray std = squares.mean(new int[] {0}).sqrt().maximum(MIN_STD);
            squares.close();
            trainStandardised.divi(std);
            NDArray testStandardised = asFloat(testFeatures, scope).subi(mean).divi(std);

            SoftmaxObjective objective = new SoftmaxObjective(trainStandardised, trainLabels, numClasses, l2);
            Lbfgs.Outcome fit = new Lbfgs(HISTORY, maxIterations, GRADIENT_TOLERANCE, VALUE_TOLERANCE)
                    .minimize(objective, new double[objective.parameterCount()]);
            float[] logits = objective.logits(testStandardised, fit.solution(), scope).toFloatArray();

            int top1 = 0;
            int top5 = 0;
            for (int i = 0; i < testLabels.length; i++) {
                int rank = rankOfLabel(logits, i * numClasses, numClasses, testLabels[i]);
                top1 += rank == 0 ? 1 : 0;
                top5 += rank < TOP5 ? 1 : 0;
            }
            Double top5Accuracy = numClasses > TOP5 ? top5 / (double) testLabels.length : null;
            return new LinearProbeResult(top1 / (double) testLabels.length, top5Accuracy,
                    protocolDescription(), trainLabels.length, testLabels.length, featureDim, fit.iterations(), fit.value());
        }
    }

    /**
     * Classes scored above the label; ties go to the lower class index, as an argmax would, and a NaN score
     * ranks below every number (a NaN label score is last, not first).
     */
    static int rankOfLabel(float[] logits, int offset, int numClasses, int label) {
        float labelScore = logits[offset + label];
        int rank = 0;
        for (int c = 0; c < numClasses; c++) {
            if (c != label && ranksAbove(logits[offset + c], c, labelScore, label)) {
                rank++;
            }
        }
        return rank;
    }

    private static boolean ranksAbove(float score, int index, float other, int otherIndex) {
        if (Float.isNaN(score) || Float.isNaN(other)) {
            return Float.isNaN(other) && (!Float.isNaN(score) || index < otherIndex);
        }
        return score > other || (score == other && index < otherIndex);
    }

    /** A float32 copy owned by {@code scope}, so every derived array lives and dies there too. */
    private static NDArray asFloat(NDArray features, NDManager scope) {
        NDArray copy = features.toType(DataType.FLOAT32, true);
        copy.attach(scope);
        return copy;
    }

    private static void checkShapes(NDArray trainFeatures, int[] trainLabels, NDArray testFeatures, int[] testLabels,
                                    int numClasses) {
        if (trainFeatures.getShape().dimension() != 2 || testFeatures.getShape().dimension() != 2
                || trainFeatures.getShape().get(1) != testFeatures.getShape().get(1)) {
            throw new IllegalArgumentException("features must be [N, D] with the same D, got "
                    + trainFeatures.getShape() + " and " + testFeatures.getShape());
        }
        if (trainFeatures.getShape().get(0) != trainLabels.length || testFeatures.getShape().get(0) != testLabels.length) {
            throw new IllegalArgumentException("features and labels differ in length");
        }
        if (trainLabels.length == 0 || testLabels.length == 0) {
            throw new IllegalArgumentException("train and test splits must not be empty");
        }
        for (int[] labels : new int[][] {trainLabels, testLabels}) {
            for (int label : labels) {
                if (label < 0 || label >= numClasses) {
                    throw new IllegalArgumentException("label " + label + " outside [0, " + numClasses + ")");
                }
            }
        }
    }
}
