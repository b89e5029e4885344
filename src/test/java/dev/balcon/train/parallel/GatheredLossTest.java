package dev.balcon.train.parallel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.balcon.BalconException;
import dev.balcon.loss.Candidates;
import dev.balcon.loss.ContrastiveLoss;
import dev.balcon.loss.LossConfig;
import dev.balcon.loss.Similarity;
import dev.balcon.testing.SharedManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The gathered loss and its reduce-scatter against the loss of the whole batch on one device. */
class GatheredLossTest {
    private static final int BATCH = 8;
    private static final int DIM = 5;
    private static final double TOLERANCE = 1e-5;

    @RegisterExtension
    static final SharedManager MANAGER = new SharedManager();

    /** Every preset of the family, the balanced loss without its 1/alpha factor, and the other similarities. */
    static List<LossConfig> family() {
        return List.of(LossConfig.ntXent(0.5), LossConfig.generalizedNtXent(2, 2), LossConfig.dcl(0.5),
                LossConfig.balanced(4, 2), LossConfig.balanced(4, 2).withScaleByInvAlpha(false),
                LossConfig.ntXent(0.5).withCandidates(Candidates.CROSS_VIEW),
                LossConfig.ntXent(0.5).withSimilarity(Similarity.DOT),
                LossConfig.generalizedNtXent(2, 2).withSimilarity(Similarity.NEG_EUCLIDEAN).withNu(2));
    }

    static Stream<Arguments> lossesAndShards() {
        List<Arguments> cases = new ArrayList<>();
        for (LossConfig config : family()) {
            for (int shards : new int[] {2, 4}) {
                cases.add(Arguments.of(config.describe(), config, shards));
            }
        }
        return cases.stream();
    }

    /**
     * DDP's average over devices of the reduce-scattered gradient is the whole-batch gradient, and the mean of
     * the shard losses is the whole-batch loss; a device's own gradient alone (lightly's old GatherLayer) is not.
     */
    @ParameterizedTest(name = "{0}, {2} shards")
    @MethodSource("lossesAndShards")
    void averagedShardGradientsEqualTheWholeBatchGradient(String name, LossConfig config, int shards) {
        ContrastiveLoss loss = new ContrastiveLoss(config);
        Random random = new Random(11);
        float[] z1 = random(random, BATCH * DIM);
        float[] z2 = random(random, BATCH * DIM);
        try (NDManager scope = MANAGER.get().newSubManager()) {
            NDArray whole1 = scope.create(z1, new Shape(BATCH, DIM));
            NDArray whole2 = scope.create(z2, new Shape(BATCH, DIM));
            whole1.setRequiresGradient(true);
            whole2.setRequiresGradient(true);
            double wholeLoss;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray value = loss.compute(whole1, whole2);
                wholeLoss = value.getFloat();
                collector.backward(value);
            }
            float[] expected1 = whole1.getGradient().toFloatArray();
            float[] expected2 = whole2.getGradient().toFloatArray();

            int n = BATCH / shards;
            List<NDArray> shards1 = new ArrayList<>();
            List<NDArray> shards2 = new ArrayList<>();
            for (int k = 0; k < shards; k++) {
                shards1.add(scope.create(slice(z1, k * n * DIM, n * DIM), new Shape(n, DIM)));
                shards2.add(scope.create(slice(z2, k * n * DIM, n * DIM), new Shape(n, DIM)));
            }
            GatheredLoss.Result result;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                result = GatheredLoss.lossAndGradients(loss, shards1, shards2, collector);
            }
            assertEquals(wholeLoss, result.loss(), 1e-5 * Math.max(1, Math.abs(wholeLoss)), name);
            float[] actual1 = concatenated(result.gradientsZ1(), 1.0 / shards);
            float[] actual2 = concatenated(result.gradientsZ2(), 1.0 / shards);
            assertTrue(maxAbsDeviation(actual1, expected1) <= TOLERANCE,
                    name + " z1: " + maxAbsDeviation(actual1, expected1));
            assertTrue(maxAbsDeviation(actual2, expected2) <= TOLERANCE,
                    name + " z2: " + maxAbsDeviation(actual2, expected2));

            double ownOnly = maxAbsDeviation(ownGradientsOnly(loss, z1, z2, shards, scope), expected1);
            assertTrue(ownOnly > 1e-3, name + ": without the sum over devices the gradient should differ, by "
                    + ownOnly);
        }
    }

    @Test
    void refusesShardsOfDifferentSizes() {
        ContrastiveLoss loss = new ContrastiveLoss(LossConfig.ntXent(0.5));
        try (NDManager scope = MANAGER.get().newSubManager();
             GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            List<NDArray> z1 = List.of(scope.ones(new Shape(2, DIM)), scope.ones(new Shape(3, DIM)));
            BalconException e = assertThrows(BalconException.class,
                    () -> GatheredLoss.lossAndGradients(loss, z1, z1, collector));
            assertTrue(e.getMessage().startsWith("every shard of z1Shards and z2Shards must have shape (2, 5)"),
                    e.getMessage());
            assertThrows(BalconException.class, () -> GatheredLoss.lossAndGradients(loss, List.of(), List.of(),
                    collector));
        }
    }

    @Test
    void shardLossRefusesAShardOutsideTheBatch() {
        ContrastiveLoss loss = new ContrastiveLoss(LossConfig.ntXent(0.5));
        try (NDManager scope = MANAGER.get().newSubManager()) {
            NDArray z = scope.ones(new Shape(4, DIM));
            BalconException e = assertThrows(BalconException.class, () -> loss.computeShard(z, z, 3, 2));
            assertEquals("a shard of imageCount = 2 images from firstImage = 3 must lie within the batch of N = 4 "
                    + "images", e.getMessage());
            assertThrows(BalconException.class, () -> loss.computeShard(z, z, 0, 0));
        }
    }

    /** View-1 gradients [N, d] each device would keep with an all-gather whose backward does not sum, / K. */
    private static float[] ownGradientsOnly(ContrastiveLoss loss, float[] z1, float[] z2, int shards,
                                            NDManager scope) {
        int n = BATCH / shards;
        List<NDArray> own = new ArrayList<>();
        for (int k = 0; k < shards; k++) {
            NDArray gathered1 = scope.create(z1, new Shape(BATCH, DIM));
            NDArray gathered2 = scope.create(z2, new Shape(BATCH, DIM));
            gathered1.setRequiresGradient(true);
            gathered2.setRequiresGradient(true);
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                collector.backward(loss.computeShard(gathered1, gathered2, k * n, n));
            }
            own.add(gathered1.getGradient().get("{}:{}", k * n, (k + 1) * n));
        }
        return concatenated(own, 1.0 / shards);
    }

    private static float[] concatenated(List<NDArray> parts, double scale) {
        float[] flat = new float[BATCH * DIM];
        int offset = 0;
        for (NDArray part : parts) {
            float[] values = part.toFloatArray();
            for (float value : values) {
                flat[offset++] = (float) (value * scale);
            }
        }
        assertEquals(flat.length, offset);
        return flat;
    }

    private static float[] random(Random random, int count) {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }

    private static float[] slice(float[] values, int from, int count) {
        float[] slice = new float[count];
        System.arraycopy(values, from, slice, 0, count);
        return slice;
    }

    private static double maxAbsDeviation(float[] actual, float[] expected) {
        double deviation = 0;
        for (int i = 0; i < expected.length; i++) {
            deviation = Math.max(deviation, Math.abs(actual[i] - expected[i]));
        }
        return deviation;
    }
}
