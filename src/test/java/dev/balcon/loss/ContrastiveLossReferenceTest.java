package dev.balcon.loss;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.balcon.testing.SharedManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The vectorised loss against the per-anchor loop of {@link LossTestSupport#referenceLoss} on random
 * batches, for every combination of similarity x candidates x include_positive x 1/alpha scaling, including
 * the combinations no preset or golden case covers.
 */
class ContrastiveLossReferenceTest {

    private static final int SEEDS_PER_COMBINATION = 3;

    @RegisterExtension
    static final SharedManager MANAGER = new SharedManager();

    static List<Arguments> everyCombination() {
        List<Arguments> combinations = new ArrayList<>();
        for (Similarity similarity : Similarity.values()) {
            for (Candidates candidates : Candidates.values()) {
                for (boolean includePositive : new boolean[] {true, false}) {
                    for (boolean scaleByInvAlpha : new boolean[] {true, false}) {
                        for (int seed = 0; seed < SEEDS_PER_COMBINATION; seed++) {
                            combinations.add(Arguments.of(similarity, candidates, includePositive, scaleByInvAlpha,
                                    seed));
                        }
                    }
                }
            }
        }
        return combinations;
    }

    @ParameterizedTest(name = "{0} {1} includePositive={2} scaleByInvAlpha={3} seed={4}")
    @MethodSource("everyCombination")
    void valueAndGradientsMatchThePerAnchorLoop(Similarity similarity, Candidates candidates,
                                                boolean includePositive, boolean scaleByInvAlpha, int seed) {
        Random random = new Random(31L * seed + similarity.ordinal() * 7L + candidates.ordinal());
        int n = 2 + random.nextInt(5);
        int d = 1 + random.nextInt(6);
        double alpha = 0.25 + 8 * random.nextDouble();
        double lambda = 0.25 + 4 * random.nextDouble();
        double nu = 0.5 + 1.5 * random.nextDouble();
        LossConfig config = new LossConfig("custom", similarity, candidates, includePositive, scaleByInvAlpha,
                alpha, lambda, nu);
        double[][] z1 = LossTestSupport.randomMatrix(random, n, d);
        double[][] z2 = LossTestSupport.randomMatrix(random, n, d);

        LossTestSupport.Evaluation result = LossTestSupport.evaluate(MANAGER.get(), config, z1, z2, DataType.FLOAT64);

        double expected = LossTestSupport.referenceLoss(config, z1, z2);
        assertThat(LossTestSupport.relativeDeviation(result.value(), expected)).isLessThan(1e-10);
        assertThat(LossTestSupport.maxRelativeDeviation(result.gradZ1(),
                LossTestSupport.referenceGradient(config, z1, z2, true))).isLessThan(1e-6);
        assertThat(LossTestSupport.maxRelativeDeviation(result.gradZ2(),
                LossTestSupport.referenceGradient(config, z1, z2, false))).isLessThan(1e-6);

        double float32Value = LossTestSupport.value(MANAGER.get(), config, z1, z2, DataType.FLOAT32);
        assertThat(LossTestSupport.relativeDeviation(float32Value, expected)).isLessThan(1e-4);
    }
}
