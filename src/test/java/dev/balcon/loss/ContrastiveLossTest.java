package dev.balcon.loss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.balcon.BalconException;
import dev.balcon.testing.SharedManager;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Input validation, resource handling and the degenerate inputs where a naive formula produces NaN. */
class ContrastiveLossTest {

    private static final ContrastiveLoss NT_XENT = new ContrastiveLoss(LossConfig.ntXent(0.5));

    @RegisterExtension
    static final SharedManager MANAGER = new SharedManager();

    @Test
    void rejectsABatchOfOneImage() {
        try (NDManager scope = MANAGER.get().newSubManager()) {
            NDArray single = scope.ones(new Shape(1, 4));
            assertThatThrownBy(() -> NT_XENT.compute(single, single))
                    .isInstanceOf(BalconException.class).hasMessageContaining("N >= 2").hasMessageContaining("N = 1");
        }
    }

    @Test
    void rejectsViewsOfDifferentShapes() {
        try (NDManager scope = MANAGER.get().newSubManager()) {
            NDArray z1 = scope.ones(new Shape(4, 8));
            NDArray z2 = scope.ones(new Shape(4, 6));
            assertThatThrownBy(() -> NT_XENT.compute(z1, z2)).isInstanceOf(BalconException.class)
                    .hasMessageContaining("z1 and z2").hasMessageContaining("(4, 8)").hasMessageContaining("(4, 6)");
        }
    }

    @Test
    void rejectsInputsThatAreNotMatrices() {
        try (NDManager scope = MANAGER.get().newSubManager()) {
            NDArray vector = scope.ones(new Shape(8));
            assertThatThrownBy(() -> NT_XENT.compute(vector, vector)).isInstanceOf(BalconException.class)
                    .hasMessageContaining("z1 must have shape [N, d]");
        }
    }

    @Test
    void rejectsViewsOfDifferentDataTypes() {
        try (NDManager scope = MANAGER.get().newSubManager()) {
            NDArray z1 = scope.ones(new Shape(3, 2), DataType.FLOAT32);
            NDArray z2 = scope.ones(new Shape(3, 2), DataType.FLOAT64);
            assertThatThrownBy(() -> NT_XENT.compute(z1, z2)).isInstanceOf(BalconException.class)
                    .hasMessageContaining("data type").hasMessageContaining("float32").hasMessageContaining("float64");
        }
    }

    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"FLOAT32", "FLOAT64"})
    void returnsAScalarOfTheInputTypeAndAttachesNothingElseToTheCallersManager(DataType dataType) {
        Random random = new Random(3);
        try (NDManager scope = MANAGER.get().newSubManager()) {
            NDArray z1 = scope.create(LossTestSupport.randomMatrix(random, 6, 5)).toType(dataType, false);
            NDArray z2 = scope.create(LossTestSupport.randomMatrix(random, 6, 5)).toType(dataType, false);
            for (String preset : LossConfig.presetNames()) {
                for (Similarity similarity : Similarity.values()) {
                    int before = scope.getManagedArrays().size();
                    LossConfig config = LossConfig.fromPreset(preset, null, null, null, null, similarity.cliName());
                    NDArray loss = new ContrastiveLoss(config).compute(z1, z2);
                    assertThat(loss.getShape()).as(config.describe()).isEqualTo(new Shape());
                    assertThat(loss.getDataType()).as(config.describe()).isEqualTo(dataType);
                    assertThat(loss.getManager()).isSameAs(scope);
                    assertThat(z1.getManager()).isSameAs(scope);
                    assertThat(z2.getManager()).isSameAs(scope);
                    assertThat(scope.getManagedArrays()).hasSize(before + 1).contains(loss);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Similarity.class)
    void identicalViewsPassedAsOneArrayGiveFiniteGradients(Similarity similarity) {
        // z1 == z2: every positive pair coincides, the self and positive distances are exactly 0.
        double[][] z = LossTestSupport.randomMatrix(new Random(5), 4, 3);
        try (NDManager scope = MANAGER.get().newSubManager()) {
            NDArray views = scope.create(z);
            views.setRequiresGradient(true);
            ContrastiveLoss loss = new ContrastiveLoss(LossConfig.ntXent(0.5).withSimilarity(similarity));
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray value = loss.compute(views, views);
                collector.backward(value);
                assertThat(value.getDouble()).isFinite()
                        .isCloseTo(LossTestSupport.referenceLoss(loss.config(), z, z),
                                org.assertj.core.data.Offset.offset(1e-12));
            }
            assertThat(views.getGradient().isInfinite().any().getBoolean()).isFalse();
            assertThat(views.getGradient().isNaN().any().getBoolean()).isFalse();
            assertThat(views.getManager()).isSameAs(scope);
        }
    }

    @Test
    void cosineOfAZeroEmbeddingIsZeroWithFiniteGradients() {
        double[][] z1 = LossTestSupport.randomMatrix(new Random(9), 3, 4);
        double[][] z2 = LossTestSupport.randomMatrix(new Random(10), 3, 4);
        z1[1] = new double[4];
        LossConfig config = LossConfig.balanced(4, 2);
        LossTestSupport.Evaluation result = LossTestSupport.evaluate(MANAGER.get(), config, z1, z2, DataType.FLOAT64);
        assertThat(result.value()).isCloseTo(LossTestSupport.referenceLoss(config, z1, z2),
                org.assertj.core.data.Offset.offset(1e-12));
        for (double[][] gradient : new double[][][] {result.gradZ1(), result.gradZ2()}) {
            for (double[] row : gradient) {
                for (double entry : row) {
                    assertThat(entry).isFinite();
                }
            }
        }
    }

    /**
     * The loss against a queue, by hand in double precision: per query the positive's cosine, the log-sum-exp over the
     * queue (and the positive, unless dcl drops it), weights and 1/alpha as the configuration says; the candidate set
     * of the configuration plays no part.
     */
    @Test
    void computeAgainstQueueIsTheFamilyWithTheQueueAsCandidates() {
        float[] queries = {3, 4, -1, 2};
        float[] keys = {1, 0, 0.6f, 0.8f};
        float[] queue = {0, 1, -1, 0, 0.8f, -0.6f};
        for (LossConfig config : new LossConfig[] {LossConfig.ntXent(0.2), LossConfig.dcl(0.5),
                LossConfig.balanced(4, 2), LossConfig.generalizedNtXent(2, 3).withNu(2)}) {
            double expected = 0;
            for (int i = 0; i < 2; i++) {
                double qx = queries[2 * i];
                double qy = queries[2 * i + 1];
                double norm = Math.hypot(qx, qy);
                double positive = (qx * keys[2 * i] + qy * keys[2 * i + 1]) / norm;
                double sum = config.includePositive() ? Math.exp(config.alpha() * positive) : 0;
                for (int j = 0; j < 3; j++) {
                    sum += Math.exp(config.alpha() * (qx * queue[2 * j] + qy * queue[2 * j + 1]) / norm);
                }
                double term = -config.alpha() * positive + config.repellingWeight() * Math.log(sum);
                expected += (config.scaleByInvAlpha() ? term / config.alpha() : term) / 2;
            }
            try (NDManager scope = MANAGER.get().newSubManager()) {
                double actual = new ContrastiveLoss(config).computeAgainstQueue(scope.create(queries, new Shape(2, 2)),
                        scope.create(keys, new Shape(2, 2)), scope.create(queue, new Shape(3, 2))).getFloat();
                assertThat(actual).as(config.describe()).isCloseTo(expected, org.assertj.core.api.Assertions.within(1e-5));
            }
        }
    }

    @Test
    void computeAgainstQueueRefusesAnotherSimilarityNamingTheField() {
        try (NDManager scope = MANAGER.get().newSubManager()) {
            NDArray two = scope.ones(new Shape(2, 2));
            assertThatThrownBy(() -> new ContrastiveLoss(LossConfig.ntXent(0.5).withSimilarity(Similarity.DOT))
                    .computeAgainstQueue(two, two, two)).isInstanceOf(BalconException.class)
                    .hasMessage("similarity must be cosine for a loss against a queue of unit keys (moco), got dot");
            assertThatThrownBy(() -> NT_XENT.computeAgainstQueue(two, two, scope.ones(new Shape(3, 4))))
                    .isInstanceOf(BalconException.class).hasMessageContaining("queue [K, d]");
        }
    }
}
