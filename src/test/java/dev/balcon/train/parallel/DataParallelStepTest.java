package dev.balcon.train.parallel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.balcon.BalconException;
import dev.balcon.augment.TwoViewBatch;
import dev.balcon.loss.ContrastiveLoss;
import dev.balcon.loss.LossConfig;
import dev.balcon.model.ContrastiveModel;
import dev.balcon.model.ModelConfig;
import dev.balcon.model.ResNetConfig;
import dev.balcon.testing.SharedManager;
import dev.balcon.train.Method;
import dev.balcon.train.Methods;
import dev.balcon.train.PretrainConfig;
import dev.balcon.train.RunDirectory;
import dev.balcon.train.SgdMomentum;
import dev.balcon.train.SimClr;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Data parallel with gathered negatives on a real (small) ResNet: the update of K = 2 and 4 emulated devices
 * against the single-device update of the whole batch, for every loss of the family.
 */
class DataParallelStepTest {
    private static final int BATCH = 8;
    private static final int SIZE = 8;
    private static final ModelConfig MODEL = new ModelConfig(ResNetConfig.named("resnet-small", 4), 1, 16, 8);
    private static final double TOLERANCE = 1e-5;

    @RegisterExtension
    static final SharedManager MANAGER = new SharedManager();
    /** The trainable parameters of the first model built, at initialisation. */
    private static float[] initialParameters;

    static Stream<Arguments> lossesAndShards() {
        List<Arguments> cases = new ArrayList<>();
        for (LossConfig config : GatheredLossTest.family()) {
            for (int shards : new int[] {2, 4}) {
                cases.add(Arguments.of(config.describe(), config, shards));
            }
        }
        return cases.stream();
    }

    /**
     * Batch norm in inference mode (fixed running statistics) takes the per-shard statistics out of the
     * comparison, so the sharded update must equal the unsplit one up to float32 rounding.
     */
    @ParameterizedTest(name = "{0}, {2} shards")
    @MethodSource("lossesAndShards")
    void shardedUpdateEqualsTheUnsplitUpdate(String name, LossConfig config, int shards) {
        float[][] views = randomViews(3);
        float[] unsplit = updateAfterOneStep(config, views, model -> unsplitGradients(model, config, views, false));
        float[] sharded = updateAfterOneStep(config, views, model -> simClrStep(model, config, shards).accumulateGradients(images(views[0]), images(views[1]), false));
        double deviation = FlatParameters.maxAbsDeviation(sharded, unsplit);
        assertTrue(deviation <= TOLERANCE,
                name + ": update deviates by " + deviation + ", largest update " + maxAbs(unsplit));
        assertTrue(maxAbs(unsplit) > 1e-3, "the update is not trivially zero");
    }

    /**
     * With batch statistics each shard is normalised by its own mean and variance (DDP without SyncBatchNorm):
     * the update differs from the unsplit one, and equals the gradient of the whole-batch loss over projections
     * that were each computed in their shard's forward pass. The first shard's running statistics are kept.
     */
    @Test
    void batchNormUsesEachShardsStatisticsAndKeepsTheFirstShardsRunningStatistics() {
        LossConfig config = LossConfig.ntXent(0.5);
        int shards = 2;
        float[][] views = randomViews(5);
        float[] sharded = updateAfterOneStep(config, views, model -> simClrStep(model, config, shards).accumulateGradients(images(views[0]), images(views[1]), true));
        float[] perShardForwards = updateAfterOneStep(config, views,
                model -> perShardForwardGradients(model, config, views, shards));
        float[] unsplit = updateAfterOneStep(config, views, model -> unsplitGradients(model, config, views, true));
        assertTrue(FlatParameters.maxAbsDeviation(sharded, perShardForwards) <= TOLERANCE,
                "deviation " + FlatParameters.maxAbsDeviation(sharded, perShardForwards));
        assertTrue(FlatParameters.maxAbsDeviation(sharded, unsplit) > 1e-3,
                "per-shard batch norm should change the update, deviation " + FlatParameters.maxAbsDeviation(sharded, unsplit));

        float[] afterShards = runningStatistics(config, model -> simClrStep(model, config, shards).accumulateGradients(images(views[0]), images(views[1]), true));
        float[] afterFirstShard = runningStatistics(config, model -> model.forward(
                new ParameterStore(MANAGER.get(), false), images(views[0]).get("0:4").concat(images(views[1]).get("0:4")),
                true));
        float[] initial = runningStatistics(config, model -> null);
        assertEquals(0, FlatParameters.maxAbsDeviation(afterShards, afterFirstShard));
        assertTrue(FlatParameters.maxAbsDeviation(afterShards, initial) > 1e-3, "the running statistics were updated");
    }

    @Test
    void runUpdatesTheParametersAndReturnsTheWholeBatchLoss() {
        LossConfig config = LossConfig.balanced(4, 2);
        float[][] views = randomViews(7);
        TwoViewBatch batch = new TwoViewBatch(views[0], views[1], new int[BATCH], BATCH, 1, SIZE, SIZE);
        try (NDManager scope = MANAGER.get().newSubManager();
             ContrastiveModel model = ContrastiveModel.create(MODEL, SIZE, SIZE, scope, 1)) {
            float[] before = FlatParameters.values(model.trainableParameters());
            double expected;
            try (NDManager forward = scope.newSubManager()) {
                NDArray projections = perShardProjections(model, views, 4, forward);
                expected = new ContrastiveLoss(config).compute(projections.get("0:{}", BATCH),
                        projections.get("{}:", BATCH)).getFloat();
            }
            double value = simClrStep(model, config, 4).run(batch, 0.1, 0, 1);
            assertEquals(expected, value, 1e-5);
            assertTrue(FlatParameters.maxAbsDeviation(FlatParameters.values(model.trainableParameters()), before) > 1e-4, "the step changed the parameters");
        }
    }

    @Test
    void refusesShardsThatDoNotDivideTheBatch() {
        float[][] views = randomViews(1);
        try (NDManager scope = MANAGER.get().newSubManager();
             ContrastiveModel model = ContrastiveModel.create(MODEL, SIZE, SIZE, scope, 1)) {
            DataParallelStep step = simClrStep(model, LossConfig.ntXent(0.5), 3);
            BalconException e = assertThrows(BalconException.class,
                    () -> step.accumulateGradients(images(views[0]), images(views[1]), true));
            assertEquals("shards = 3 does not divide the batch size 8: every device must get the same number of "
                    + "images", e.getMessage());
            assertThrows(BalconException.class, () -> simClrStep(model, LossConfig.ntXent(0.5), 0));
        }
    }

    @Test
    void refusesAMethodWithoutNegatives() {
        PretrainConfig config = PretrainConfig.builder().method("byol").width(4).projectorHidden(16).projectorOut(8)
                .batchSize(BATCH).build();
        try (NDManager scope = MANAGER.get().newSubManager(); Method byol = Methods.create(config, 1, SIZE, SIZE, scope)) {
            BalconException e = assertThrows(BalconException.class, () -> new DataParallelStep(byol, 2));
            assertEquals("shards = 2 splits the negatives of a batch; method byol compares no negatives",
                    e.getMessage());
        }
    }

    /** shards is a run setting: recorded in config.json, checked naming the field, absent (older runs) = 1. */
    @Test
    void shardsAreAConfigFieldCheckedNamingIt() throws Exception {
        PretrainConfig.Builder small = PretrainConfig.builder().width(4).projectorHidden(16).projectorOut(8)
                .batchSize(16);
        assertEquals(1, small.build().shards());
        PretrainConfig four = small.shards(4).build();
        assertEquals(4, four.shards());
        assertEquals(2, small.method("moco").queueSize(32).shards(2).build().shards());
        assertEquals(List.of("shards"), four.differingFields(four.toBuilder().shards(2).build()));

        BalconException notDividing = assertThrows(BalconException.class, () -> small.method("simclr")
                .queueSize(null).shards(3).build());
        assertEquals("shards = 3 must be >= 1 and divide batchSize 16: every shard gets the same number of images",
                notDividing.getMessage());
        assertThrows(BalconException.class, () -> small.shards(0).build());
        BalconException byol = assertThrows(BalconException.class, () -> small.method("byol").shards(2).build());
        assertEquals("shards = 2 splits the negatives of a batch (simclr, moco); method byol compares no negatives",
                byol.getMessage());

        ObjectNode older = RunDirectory.JSON.valueToTree(four);
        older.remove("shards");
        assertEquals(1, RunDirectory.JSON.treeToValue(older, PretrainConfig.class).shards());
        assertEquals(4, RunDirectory.JSON.<ObjectNode>valueToTree(four).get("shards").asInt());
    }

    /** The data-parallel step of simclr training {@code model} with {@code config} (momentum 0.9, no decay). */
    private static DataParallelStep simClrStep(ContrastiveModel model, LossConfig config, int shards) {
        return new DataParallelStep(new SimClr(model, config, 0.9, 0), shards);
    }

    private interface GradientStep {
        Object accumulate(ContrastiveModel model);
    }

    /**
     * w_before - w_after over all trainable parameters after one SGD step (lr 1, weight decay 5e-4), from the seeded
     * initialisation, which is checked to be the same as in every other call: two steps compared must start from
     * the same weights, else their deviation says nothing about the steps.
     */
    private static float[] updateAfterOneStep(LossConfig config, float[][] views, GradientStep step) {
        try (NDManager scope = MANAGER.get().newSubManager();
             ContrastiveModel model = ContrastiveModel.create(MODEL, SIZE, SIZE, scope, 1)) {
            float[] before = FlatParameters.values(model.trainableParameters());
            if (initialParameters == null) {
                initialParameters = before.clone();
            }
            assertEquals(0, FlatParameters.maxAbsDeviation(before, initialParameters), "the seeded initialisation changed");
            step.accumulate(model);
            new SgdMomentum(model.trainableParameters(), 0.9, 5e-4).step(1);
            float[] after = FlatParameters.values(model.trainableParameters());
            for (int i = 0; i < before.length; i++) {
                before[i] -= after[i];
            }
            return before;
        }
    }

    private static float[] runningStatistics(LossConfig config, GradientStep step) {
        try (NDManager scope = MANAGER.get().newSubManager();
             ContrastiveModel model = ContrastiveModel.create(MODEL, SIZE, SIZE, scope, 1)) {
            step.accumulate(model);
            List<Float> values = new ArrayList<>();
            for (Pair<String, Parameter> named : model.namedParameters()) {
                if (!named.getValue().requiresGradient()) {
                    for (float value : named.getValue().getArray().toFloatArray()) {
                        values.add(value);
                    }
                }
            }
            float[] flat = new float[values.size()];
            for (int i = 0; i < flat.length; i++) {
                flat[i] = values.get(i);
            }
            return flat;
        }
    }

    /** The single-device step: one forward pass of all 2N views, the loss of the whole batch, backward. */
    private static Object unsplitGradients(ContrastiveModel model, LossConfig config, float[][] views,
                                           boolean training) {
        try (NDManager step = MANAGER.get().newSubManager();
             GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDArray both = images(views[0]).concat(images(views[1]));
            both.attach(step);
            NDArray projections = model.forward(new ParameterStore(step, false), both, training).get(1);
            collector.backward(new ContrastiveLoss(config).compute(projections.get("0:{}", BATCH),
                    projections.get("{}:", BATCH)));
        }
        return null;
    }

    /** One graph: every shard's own forward pass (training mode), then the whole batch's loss and backward. */
    private static Object perShardForwardGradients(ContrastiveModel model, LossConfig config, float[][] views,
                                                   int shards) {
        try (NDManager step = MANAGER.get().newSubManager();
             GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDArray projections = perShardProjections(model, views, shards, step);
            collector.backward(new ContrastiveLoss(config).compute(projections.get("0:{}", BATCH),
                    projections.get("{}:", BATCH)));
        }
        return null;
    }

    /** [2B, d]: view-1 projections then view-2 projections, each shard's from its own training-mode forward. */
    private static NDArray perShardProjections(ContrastiveModel model, float[][] views, int shards, NDManager step) {
        int n = BATCH / shards;
        NDList first = new NDList();
        NDList second = new NDList();
        for (int k = 0; k < shards; k++) {
            NDIndex rows = new NDIndex("{}:{}", k * n, (k + 1) * n);
            NDArray shardImages = images(views[0]).get(rows).concat(images(views[1]).get(rows));
            shardImages.attach(step);
            NDArray projections = model.forward(new ParameterStore(step, false), shardImages, true).get(1);
            first.add(projections.get("0:{}", n));
            second.add(projections.get("{}:", n));
        }
        return NDArrays.concat(first.addAll(second));
    }

    private static float[][] randomViews(long seed) {
        Random random = new Random(seed);
        float[][] views = new float[2][BATCH * SIZE * SIZE];
        for (float[] view : views) {
            for (int i = 0; i < view.length; i++) {
                view[i] = (float) random.nextGaussian();
            }
        }
        return views;
    }

    private static NDArray images(float[] values) {
        return MANAGER.get().create(values, new Shape(BATCH, 1, SIZE, SIZE));
    }

    private static double maxAbs(float[] values) {
        double max = 0;
        for (float value : values) {
            max = Math.max(max, Math.abs(value));
        }
        return max;
    }
}
