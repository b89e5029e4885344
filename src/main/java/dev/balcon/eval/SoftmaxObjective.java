package dev.balcon.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import java.util.stream.IntStream;

/**
 * Mean softmax cross-entropy of a linear classifier plus an L2 penalty on its weights,
 * f(W, b) = (1/N) sum_i -log softmax(x_i W + b)[y_i] + (l2 / 2) |W|^2, with its analytic gradient
 * (1/N) X'(P - Y) + l2 W and (1/N) sum_i (p_i - y_i). The parameters are one flat vector: W row-major
 * [D, C], then b [C]. The two matrix products per evaluation run on the NDArray engine, the rest in Java.
 */
final class SoftmaxObjective implements Lbfgs.Objective {
    private static final int SOFTMAX_BLOCKS = 16;

    private final NDArray features;
    private final int[] labels;
    private final int featureDim;
    private final int numClasses;
    private final double l2;

    /**
     * @param features float32 [N, D]; its manager hosts the per-evaluation temporaries
     * @param labels   N class indices in [0, numClasses)
     */
    SoftmaxObjective(NDArray features, int[] labels, int numClasses, double l2) {
        this.features = features;
        this.featureDim = (int) features.getShape().get(1);
        this.numClasses = numClasses;
        this.l2 = l2;
        this.labels = labels;
    }

    int parameterCount() {
        return (featureDim + 1) * numClasses;
    }

    @Override
    public double evaluate(double[] parameters, double[] gradient) {
        int rows = labels.length;
        try (NDManager step = features.getManager().newSubManager()) {
            float[] logits = logits(features, parameters, step).toFloatArray();
            // The row-wise softmax is done here rather than as engine ops: with ten classes each engine op is a
            // full pass allocating [N, C], and this pass also accumulates the loss in double. Fixed row blocks,
            // summed in block order, keep the result independent of thread scheduling.
            int blocks = Math.min(SOFTMAX_BLOCKS, rows);
            double[][] partials = new double[blocks][];
            IntStream.range(0, blocks).parallel().forEach(block ->
                    partials[block] = softmaxResiduals(logits, rows * block / blocks, rows * (block + 1) / blocks));
            double lossSum = 0;
            double[] biasGradient = new double[numClasses];
            for (double[] partial : partials) {
                lossSum += partial[numClasses];
                for (int c = 0; c < numClasses; c++) {
                    biasGradient[c] += partial[c];
                }
            }
            NDArray residuals = step.create(logits, new Shape(rows, numClasses));
            // (P - Y)' X is [C, D], the transpose of the weight gradient's layout.
            float[] weightGradientT = residuals.transpose().matMul(features).toFloatArray();
            int weightCount = featureDim * numClasses;
            double penalty = 0;
            for (int d = 0; d < featureDim; d++) {
                for (int c = 0; c < numClasses; c++) {
                    double weight = parameters[d * numClasses + c];
                    penalty += weight * weight;
                    gradient[d * numClasses + c] = weightGradientT[c * featureDim + d] / (double) rows + l2 * weight;
                }
            }
            for (int c = 0; c < numClasses; c++) {
                gradient[weightCount + c] = biasGradient[c] / rows;
            }
            return lossSum / rows + l2 / 2 * penalty;
        }
    }

    /**
     * Overwrites rows [from, to) of the logits with the residuals softmax - one-hot; returns their column sums
     * (the bias gradient's share) followed by the rows' summed cross-entropy.
     */
    private double[] softmaxResiduals(float[] logits, int from, int to) {
        double[] sums = new double[numClasses + 1];
        for (int i = from; i < to; i++) {
            int offset = i * numClasses;
            int label = labels[i];
            float max = logits[offset];
            for (int c = 1; c < numClasses; c++) {
                max = Math.max(max, logits[offset + c]);
            }
            double labelLogit = logits[offset + label];
            double sum = 0;
            for (int c = 0; c < numClasses; c++) {
                double e = Math.exp(logits[offset + c] - max);
                logits[offset + c] = (float) e;
                sum += e;
            }
            sums[numClasses] += Math.log(sum) + max - labelLogit;
            for (int c = 0; c < numClasses; c++) {
                float residual = (float) (logits[offset + c] / sum) - (c == label ? 1 : 0);
                logits[offset + c] = residual;
                sums[c] += residual;
            }
        }
        return sums;
    }

    /** x W + b for every row of {@code inputs}, attached to {@code manager}. */
    NDArray logits(NDArray inputs, double[] parameters, NDManager manager) {
        int weightCount = featureDim * numClasses;
        float[] weights = new float[weightCount];
        float[] bias = new float[numClasses];
        for (int i = 0; i < weightCount; i++) {
            weights[i] = (float) parameters[i];
        }
        for (int c = 0; c < numClasses; c++) {
            bias[c] = (float) parameters[weightCount + c];
        }
        NDArray product = inputs.matMul(manager.create(weights, new Shape(featureDim, numClasses)));
        // An op's result joins its first operand's manager; move it into the caller's scope.
        product.attach(manager);
        return product.add(manager.create(bias));
    }
}
