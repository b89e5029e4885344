package dev.balcon.loss;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;

/** Properties the loss must have whatever the batch: symmetries of the formula and numerical safety. */
class ContrastiveLossInvarianceTest {

    private static final int TRIES = 25;

    @Property(tries = TRIES)
    void cosineLossIgnoresThePositiveLengthOfAnyEmbedding(@ForAll long seed, @ForAll @IntRange(min = 2, max = 8) int n,
                                                          @ForAll @DoubleRange(min = 0.01, max = 1000) double factor,
                                                          @ForAll boolean scaleViewOne) {
        Random random = new Random(seed);
        double[][] z1 = LossTestSupport.randomMatrix(random, n, 5);
        double[][] z2 = LossTestSupport.randomMatrix(random, n, 5);
        double[][] scaled = LossTestSupport.copy(scaleViewOne ? z1 : z2);
        int row = random.nextInt(n);
        for (int k = 0; k < scaled[row].length; k++) {
            scaled[row][k] *= factor;
        }
        LossConfig config = LossConfig.balanced(3, 2);
        try (NDManager manager = NDManager.newBaseManager()) {
            double original = LossTestSupport.value(manager, config, z1, z2, DataType.FLOAT64);
            double afterScaling = scaleViewOne
                    ? LossTestSupport.value(manager, config, scaled, z2, DataType.FLOAT64)
                    : LossTestSupport.value(manager, config, z1, scaled, DataType.FLOAT64);
            assertThat(LossTestSupport.relativeDeviation(afterScaling, original)).isLessThan(1e-12);
        }
    }

    @Property(tries = TRIES)
    void permutingTheBatchInBothViewsLeavesTheLossUnchanged(@ForAll long seed,
                                                            @ForAll @IntRange(min = 2, max = 8) int n,
                                                            @ForAll Similarity similarity,
                                                            @ForAll Candidates candidates,
                                                            @ForAll boolean includePositive) {
        Random random = new Random(seed);
        double[][] z1 = LossTestSupport.randomMatrix(random, n, 4);
        double[][] z2 = LossTestSupport.randomMatrix(random, n, 4);
        List<Integer> permutation = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            permutation.add(i);
        }
        Collections.shuffle(permutation, random);
        double[][] permuted1 = new double[n][];
        double[][] permuted2 = new double[n][];
        for (int i = 0; i < n; i++) {
            permuted1[i] = z1[permutation.get(i)];
            permuted2[i] = z2[permutation.get(i)];
        }
        LossConfig config = LossConfig.generalizedNtXent(2, 1.5).withSimilarity(similarity)
                .withCandidates(candidates).withIncludePositive(includePositive);
        try (NDManager manager = NDManager.newBaseManager()) {
            double original = LossTestSupport.value(manager, config, z1, z2, DataType.FLOAT64);
            double permuted = LossTestSupport.value(manager, config, permuted1, permuted2, DataType.FLOAT64);
            assertThat(LossTestSupport.relativeDeviation(permuted, original)).isLessThan(1e-12);
        }
    }

    @Property(tries = TRIES)
    void ntXentAtTauEqualsGeneralizedNtXentAtAlphaOneOverTauAndLambdaOne(
            @ForAll long seed, @ForAll @DoubleRange(min = 0.05, max = 5) double tau) {
        Random random = new Random(seed);
        double[][] z1 = LossTestSupport.randomMatrix(random, 6, 3);
        double[][] z2 = LossTestSupport.randomMatrix(random, 6, 3);
        try (NDManager manager = NDManager.newBaseManager()) {
            LossTestSupport.Evaluation ntXent = LossTestSupport.evaluate(manager, LossConfig.ntXent(tau), z1, z2,
                    DataType.FLOAT64);
            LossTestSupport.Evaluation generalized = LossTestSupport.evaluate(manager,
                    LossConfig.generalizedNtXent(1 / tau, 1), z1, z2, DataType.FLOAT64);
            assertThat(generalized.value()).isEqualTo(ntXent.value());
            assertThat(generalized.gradZ1()).isDeepEqualTo(ntXent.gradZ1());
            assertThat(generalized.gradZ2()).isDeepEqualTo(ntXent.gradZ2());
        }
    }

    @Property(tries = TRIES)
    void balancedWithoutTheInverseAlphaFactorIsAlphaTimesTheScaledLoss(
            @ForAll long seed, @ForAll @DoubleRange(min = 0.1, max = 20) double alpha,
            @ForAll @DoubleRange(min = 0.1, max = 8) double lambda) {
        Random random = new Random(seed);
        double[][] z1 = LossTestSupport.randomMatrix(random, 5, 4);
        double[][] z2 = LossTestSupport.randomMatrix(random, 5, 4);
        LossConfig scaled = LossConfig.balanced(alpha, lambda);
        try (NDManager manager = NDManager.newBaseManager()) {
            double scaledValue = LossTestSupport.value(manager, scaled, z1, z2, DataType.FLOAT64);
            double unscaledValue = LossTestSupport.value(manager, scaled.withScaleByInvAlpha(false), z1, z2,
                    DataType.FLOAT64);
            assertThat(unscaledValue).isCloseTo(alpha * scaledValue,
                    org.assertj.core.data.Offset.offset(1e-12 * Math.max(1, Math.abs(unscaledValue))));
        }
    }

    @Property(tries = TRIES)
    void alphaOneHundredGivesFiniteValueAndGradientsInFloat32(@ForAll long seed, @ForAll Similarity similarity,
                                                              @ForAll Candidates candidates,
                                                              @ForAll boolean includePositive) {
        Random random = new Random(seed);
        // Logits reach 100 * |z|^2 ~ 1e3 (dot) here: exp would overflow float32 without the max shift.
        double[][] z1 = LossTestSupport.randomMatrix(random, 8, 8);
        double[][] z2 = LossTestSupport.randomMatrix(random, 8, 8);
        LossConfig config = new LossConfig("custom", similarity, candidates, includePositive, false, 100, 2, 1);
        try (NDManager manager = NDManager.newBaseManager()) {
            LossTestSupport.Evaluation result = LossTestSupport.evaluate(manager, config, z1, z2, DataType.FLOAT32);
            assertThat(result.value()).isFinite();
            assertThat(allFinite(result.gradZ1()) && allFinite(result.gradZ2())).isTrue();
            double expected = LossTestSupport.referenceLoss(config, z1, z2);
            assertThat(LossTestSupport.relativeDeviation(result.value(), expected)).isLessThan(1e-4);
        }
    }

    private static boolean allFinite(double[][] matrix) {
        for (double[] row : matrix) {
            for (double value : row) {
                if (!Double.isFinite(value)) {
                    return false;
                }
            }
        }
        return true;
    }
}
