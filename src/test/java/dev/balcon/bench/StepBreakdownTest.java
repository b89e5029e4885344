package dev.balcon.bench;

import ai.djl.ndarray.NDManager;
import dev.balcon.augment.TwoViewBatch;
import dev.balcon.loss.ContrastiveLoss;
import dev.balcon.loss.LossConfig;
import dev.balcon.model.ContrastiveModel;
import dev.balcon.model.ModelConfig;
import dev.balcon.model.ResNetConfig;
import dev.balcon.train.SgdMomentum;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StepBreakdownTest {

    private static TwoViewBatch randomBatch(int batchSize, int size) {
        SplittableRandom random = new SplittableRandom(3);
        float[] view1 = new float[batchSize * size * size];
        float[] view2 = new float[view1.length];
        for (int i = 0; i < view1.length; i++) {
            view1[i] = (float) random.nextGaussian();
            view2[i] = (float) random.nextGaussian();
        }
        return new TwoViewBatch(view1, view2, new int[batchSize], batchSize, 1, size, size);
    }

    @Test
    void timesEveryPhaseOfRealStepsThatUpdateTheModel() {
        ModelConfig config = new ModelConfig(ResNetConfig.named("resnet-small", 4), 1, 16, 8);
        try (NDManager manager = NDManager.newBaseManager();
             ContrastiveModel model = ContrastiveModel.create(config, 8, 8, manager, 0)) {
            float[] before = model.trainableParameters().get(0).getArray().toFloatArray();

            StepBreakdown.Result result = StepBreakdown.measure(model,
                    new SgdMomentum(model.trainableParameters(), 0.9, 5e-4),
                    new ContrastiveLoss(LossConfig.ntXent(0.5)),
                    randomBatch(8, 8), 1, 3);

            assertThat(result.millis()).containsOnlyKeys(StepBreakdown.PHASES);
            assertThat(result.millis().values()).allSatisfy(ms -> assertThat(ms).isNotNegative().isFinite());
            assertThat(result.millis().get("forward")).isPositive();
            assertThat(result.millis().get("backward")).isPositive();
            double sum = result.millis().values().stream().mapToDouble(Double::doubleValue).sum();
            // medians of the parts need not add up to the median of the sums, but on 3 steps they are close
            assertThat(result.totalMillis()).isPositive().isBetween(0.5 * sum, 2.0 * sum);
            assertThat(result.arraysPerStep()).isPositive();
            // four optimiser steps ran (one warm-up, three timed): the weights moved
            assertThat(Arrays.equals(before, model.trainableParameters().get(0).getArray().toFloatArray())).isFalse();
        }
    }

    @Test
    void rejectsNoTimedSteps() {
        assertThatThrownBy(() -> StepBreakdown.measure(null, null, null, randomBatch(2, 4), 0, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("steps must be >= 1");
    }
}
