package dev.balcon.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class BatchNormTest {
    private static final double EPS = 1e-5;

    /** x[b][c] of a [B, C, 1, 2] input: channel c of image b at two positions. */
    private static final float[][][] X = {
            {{1, 3}, {-2, 0.5f}},
            {{4, -1}, {7, 2.5f}},
            {{0, 2}, {1, -3}}};

    private static float[] flat() {
        float[] values = new float[12];
        int i = 0;
        for (float[][] image : X) {
            for (float[] channel : image) {
                for (float v : channel) {
                    values[i++] = v;
                }
            }
        }
        return values;
    }

    @Test
    void trainingNormalisesEachChannelOverBatchAndPositionsAndUpdatesTheRunningStatisticsAsPytorch() {
        try (NDManager manager = NDManager.newBaseManager()) {
            BatchNorm norm = new BatchNorm();
            norm.initialize(manager, DataType.FLOAT32, new Shape(3, 2, 1, 2));
            NDArray gamma = norm.getParameters().get("gamma").getArray();
            NDArray beta = norm.getParameters().get("beta").getArray();
            gamma.set(new float[] {2, 0.5f});
            beta.set(new float[] {1, -1});

            float[] y = norm.forward(new ParameterStore(manager, false),
                    new NDList(manager.create(flat(), new Shape(3, 2, 1, 2))), true).singletonOrThrow().toFloatArray();

            float[] g = {2, 0.5f};
            float[] b = {1, -1};
            for (int c = 0; c < 2; c++) {
                double mean = 0;
                for (float[][] image : X) {
                    mean += image[c][0] + image[c][1];
                }
                mean /= 6;
                double squares = 0;
                for (float[][] image : X) {
                    squares += Math.pow(image[c][0] - mean, 2) + Math.pow(image[c][1] - mean, 2);
                }
                double biasedVar = squares / 6;
                for (int n = 0; n < 3; n++) {
                    for (int p = 0; p < 2; p++) {
                        double expected = (X[n][c][p] - mean) / Math.sqrt(biasedVar + EPS) * g[c] + b[c];
                        assertThat((double) y[n * 4 + c * 2 + p]).isCloseTo(expected, within(1e-5));
                    }
                }
                // torch.nn.BatchNorm2d: running = 0.9 running + 0.1 batch, the variance unbiased (n - 1)
                assertThat((double) norm.getParameters().get("runningMean").getArray().getFloat(c))
                        .isCloseTo(0.1 * mean, within(1e-6));
                assertThat((double) norm.getParameters().get("runningVar").getArray().getFloat(c))
                        .isCloseTo(0.9 + 0.1 * squares / 5, within(1e-5));
            }
        }
    }

    @Test
    void inferenceUsesTheRunningStatistics() {
        try (NDManager manager = NDManager.newBaseManager()) {
            BatchNorm norm = new BatchNorm();
            norm.initialize(manager, DataType.FLOAT32, new Shape(2, 3));
            norm.getParameters().get("runningMean").getArray().set(new float[] {1, 2, 3});
            norm.getParameters().get("runningVar").getArray().set(new float[] {4, 1, 0.25f});

            float[] y = norm.forward(new ParameterStore(manager, false),
                    new NDList(manager.create(new float[] {3, 2, 3, -1, 0, 4}, new Shape(2, 3))), false)
                    .singletonOrThrow().toFloatArray();

            double[] expected = {2 / Math.sqrt(4 + EPS), 0, 0, -2 / Math.sqrt(4 + EPS), -2 / Math.sqrt(1 + EPS),
                    1 / Math.sqrt(0.25 + EPS)};
            for (int i = 0; i < 6; i++) {
                assertThat((double) y[i]).isCloseTo(expected[i], within(1e-6));
            }
        }
    }

    @Test
    void anInPlaceAddOnTheOutputKeepsTheGradientOfTheOutOfPlaceAdd() {
        // The residual block adds its shortcut into the batch-norm output in place; the gradient must be the same as
        // with a separate sum (and, the output being no view, needs no CopySlices pass: docs/performance.md).
        float[][] gradients = new float[2][];
        for (int inPlace = 0; inPlace < 2; inPlace++) {
            try (NDManager manager = NDManager.newBaseManager()) {
                Engine.getInstance().setRandomSeed(5);
                BatchNorm norm = new BatchNorm();
                norm.initialize(manager, DataType.FLOAT32, new Shape(3, 2, 1, 2));
                NDArray x = manager.create(flat(), new Shape(3, 2, 1, 2));
                x.setRequiresGradient(true);
                NDArray shortcut = manager.arange(12f).reshape(3, 2, 1, 2);
                NDArray weights = manager.arange(12f).mul(0.25f).sub(1).reshape(3, 2, 1, 2);
                try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    NDArray y = norm.forward(new ParameterStore(manager, false), new NDList(x), true).singletonOrThrow();
                    NDArray sum = inPlace == 1 ? y.addi(shortcut) : y.add(shortcut);
                    collector.backward(sum.mul(weights).sum());
                }
                gradients[inPlace] = x.getGradient().toFloatArray();
            }
        }
        assertThat(gradients[1]).containsExactly(gradients[0], org.assertj.core.data.Offset.offset(1e-6f));
        assertThat(gradients[0]).isNotEqualTo(new float[12]);
    }
}
