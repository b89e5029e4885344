package dev.balcon.train.parallel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import dev.balcon.augment.TwoViewBatch;
import dev.balcon.loss.ContrastiveLoss;
import dev.balcon.loss.LossConfig;
import dev.balcon.model.ContrastiveModel;
import dev.balcon.model.ModelConfig;
import dev.balcon.model.ResNetConfig;
import dev.balcon.testing.SharedManager;
import dev.balcon.train.MoCo;
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
 * MoCo v2 data parallel (MoCo's {@code concat_all_gather}): one step over K = 2 and 4 emulated devices against the
 * single-device step of the whole batch, batch norm in inference mode so that per-shard statistics do not enter.
 * After the optimiser's update and {@link MoCo#afterStep}, the query encoder, the key encoder (its EMA) and the
 * queue (the gathered keys, enqueued in the unsplit batch's order) must equal the unsplit step's.
 */
class MoCoDataParallelTest {
    private static final int BATCH = 8;
    private static final int SIZE = 8;
    private static final int QUEUE = 20;
    private static final ModelConfig MODEL = new ModelConfig(ResNetConfig.named("resnet-small", 4), 1, 16, 8);
    private static final double TOLERANCE = 1e-5;

    @RegisterExtension
    static final SharedManager MANAGER = new SharedManager();

    static Stream<Arguments> lossesAndShards() {
        List<Arguments> cases = new ArrayList<>();
        for (LossConfig config : List.of(LossConfig.ntXent(0.5), LossConfig.balanced(4, 2),
                LossConfig.balanced(4, 2).withScaleByInvAlpha(false))) {
            for (int shards : new int[] {2, 4}) {
                cases.add(Arguments.of(config.describe(), config, shards));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}, {2} shards")
    @MethodSource("lossesAndShards")
    void shardedStepEqualsTheUnsplitStep(String name, LossConfig config, int shards) {
        float[][] views = randomViews(11);
        try (NDManager scope = MANAGER.get().newSubManager();
             MoCo unsplit = newMoCo(scope, config);
             MoCo sharded = newMoCo(scope, config)) {
            float[] initialParameters = FlatParameters.values(unsplit.model().trainableParameters());
            float[] initialKeyEncoder = FlatParameters.values(keyEncoderArrays(unsplit));
            float[] initialQueue = unsplit.queue().toFloatArray();
            assertEquals(0, FlatParameters.maxAbsDeviation(FlatParameters.values(sharded.model().trainableParameters()), initialParameters),
                    "both methods start from the same parameters");

            float[] expectedQueue = unsplitStep(unsplit, config, views);
            new DataParallelStep(sharded, shards).accumulateGradients(images(views[0]), images(views[1]), false);
            sharded.optimizer().step(1);
            sharded.afterStep(0, 1);

            float[] expectedParameters = FlatParameters.values(unsplit.model().trainableParameters());
            double parameterDeviation = FlatParameters.maxAbsDeviation(FlatParameters.values(sharded.model().trainableParameters()),
                    expectedParameters);
            double keyDeviation = FlatParameters.maxAbsDeviation(FlatParameters.values(keyEncoderArrays(sharded)), FlatParameters.values(keyEncoderArrays(unsplit)));
            double queueDeviation = FlatParameters.maxAbsDeviation(sharded.queue().toFloatArray(), expectedQueue);
            assertTrue(parameterDeviation <= TOLERANCE, name + ": parameters deviate by " + parameterDeviation);
            assertTrue(keyDeviation <= TOLERANCE, name + ": key encoder deviates by " + keyDeviation);
            assertTrue(queueDeviation <= TOLERANCE, name + ": queue deviates by " + queueDeviation);
            assertEquals(2 * BATCH, sharded.queuePointer());
            assertTrue(FlatParameters.maxAbsDeviation(expectedParameters, initialParameters) > 1e-3, "the update is not zero");
            assertTrue(FlatParameters.maxAbsDeviation(FlatParameters.values(keyEncoderArrays(unsplit)), initialKeyEncoder) > 1e-4,
                    "the key encoder moved");
            assertTrue(FlatParameters.maxAbsDeviation(expectedQueue, initialQueue) > 0.1, "the queue took the keys");
        }
    }

    /** The step as the training loop runs it: batch statistics, the loss returned, the keys of all shards queued. */
    @Test
    void runEnqueuesTheKeysOfEveryShardAndReturnsTheWholeBatchLoss() {
        LossConfig config = LossConfig.ntXent(0.5);
        float[][] views = randomViews(13);
        TwoViewBatch batch = new TwoViewBatch(views[0], views[1], new int[BATCH], BATCH, 1, SIZE, SIZE);
        try (NDManager scope = MANAGER.get().newSubManager(); MoCo moco = newMoCo(scope, config)) {
            float[] initialQueue = moco.queue().toFloatArray();
            double value = new DataParallelStep(moco, 4).run(batch, 0.1, 0, 1);
            assertTrue(Double.isFinite(value) && value > 0, "loss " + value);
            assertEquals(2 * BATCH, moco.queuePointer());
            float[] queue = moco.queue().toFloatArray();
            int dim = MODEL.projectorOutDim();
            for (int row = 0; row < QUEUE; row++) {
                double change = 0;
                for (int j = 0; j < dim; j++) {
                    change = Math.max(change, Math.abs(queue[row * dim + j] - initialQueue[row * dim + j]));
                }
                assertTrue(row < 2 * BATCH ? change > 1e-3 : change == 0, "row " + row + " changed by " + change);
            }
        }
    }

    /**
     * The single-device step with inference-mode batch norm: the loss of all 2B queries against the queue, the
     * update, the key encoder's EMA; returns the queue expected after it (rows 0..2B-1: the unit keys, view 1's
     * then view 2's).
     */
    private static float[] unsplitStep(MoCo moco, LossConfig config, float[][] views) {
        float[] queue = moco.queue().toFloatArray();
        try (NDManager step = MANAGER.get().newSubManager();
             GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDArray both = images(views[0]).concat(images(views[1]));
            both.attach(step);
            ParameterStore parameters = new ParameterStore(step, false);
            NDArray queries = moco.model().forward(parameters, both, false).get(1);
            NDArray keys = moco.keyEncoder().forward(parameters, both, false).get(1).stopGradient();
            NDArray unitKeys = keys.div(keys.norm(new int[] {1}, true));
            NDArray positives = unitKeys.get("{}:", BATCH).concat(unitKeys.get("0:{}", BATCH));
            collector.backward(new ContrastiveLoss(config).computeAgainstQueue(queries, positives, moco.queue()));
            float[] keyValues = unitKeys.toFloatArray();
            System.arraycopy(keyValues, 0, queue, 0, keyValues.length);
        }
        moco.optimizer().step(1);
        moco.afterStep(0, 1);
        return queue;
    }

    /** MoCo with EMA rate 0.5 (so the key encoder's update shows), a queue of 20, SGD momentum 0.9, decay 5e-4. */
    private static MoCo newMoCo(NDManager scope, LossConfig config) {
        ContrastiveModel model = ContrastiveModel.create(MODEL, SIZE, SIZE, scope, 1);
        ContrastiveModel keyEncoder = ContrastiveModel.create(MODEL, SIZE, SIZE, scope, 2);
        return new MoCo(model, keyEncoder, config, 0.5, QUEUE, 3, 0.9, 5e-4);
    }

    private static List<Parameter> keyEncoderArrays(MoCo moco) {
        List<Parameter> parameters = new ArrayList<>();
        for (Pair<String, Parameter> named : moco.keyEncoder().namedParameters()) {
            parameters.add(named.getValue());
        }
        return parameters;
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
}
