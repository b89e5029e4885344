package dev.balcon.loss;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.function.BiFunction;

/** Test support: the gradient of a loss of two [6, 4] batches, with or without a garbage collection mid-way. */
public final class GradientLifetime {
    private GradientLifetime() {}

    /**
     * The gradient with respect to the first batch of {@code loss(z1, z2)} on seeded normal draws in {@code dataType}
     * (widened to double); {@code disturbed}
     * churns direct buffers and runs a full garbage collection between the forward and the backward pass.
     */
    public static double[] gradient(BiFunction<NDArray, NDArray, NDArray> loss, DataType dataType, boolean disturbed) {
        try (NDManager manager = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(5);
            NDArray z1 = manager.randomNormal(new Shape(6, 4)).toType(dataType, false);
            NDArray z2 = manager.randomNormal(new Shape(6, 4)).toType(dataType, false);
            z1.setRequiresGradient(true);
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray value = loss.apply(z1, z2);
                if (disturbed) {
                    churnAndCollect(manager);
                }
                collector.backward(value);
            }
            return z1.getGradient().toType(DataType.FLOAT64, false).toDoubleArray();
        }
    }

    /** Arrays over fresh Java buffers, written and closed, then a full collection: freed buffers get reused. */
    private static void churnAndCollect(NDManager manager) {
        for (int k = 0; k < 40; k++) {
            try (NDArray junk = manager.create(new float[1 + k % 4])) {
                junk.addi(1e9f);
            }
        }
        System.gc();
        for (int k = 0; k < 40; k++) {
            try (NDArray junk = manager.create(new double[1 + k % 3])) {
                junk.addi(-7.0);
            }
        }
    }
}
