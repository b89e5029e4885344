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
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
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
                    randomBatch(8, 8), 1, 3, null);

            assertThat(result.millis()).containsOnlyKeys(StepBreakdown.PHASES);
            assertThat(result.millis().values()).allSatisfy(ms -> assertThat(ms).isNotNegative().isFinite());
            assertThat(result.millis().get("forward")).isPositive();
            assertThat(result.millis().get("backward")).isPositive();
            // every step's total covers each of its phases, so the median total is at least each phase's median (a
            // sum-of-medians bound would be a timing assertion: one slow phase in two different steps breaks it)
            double longestPhase = result.millis().values().stream().mapToDouble(Double::doubleValue).max().orElseThrow();
            assertThat(result.totalMillis()).isPositive().isGreaterThanOrEqualTo(longestPhase);
            assertThat(result.arraysPerStep()).isPositive();
            // four optimiser steps ran (one warm-up, three timed): the weights moved
            assertThat(Arrays.equals(before, model.trainableParameters().get(0).getArray().toFloatArray())).isFalse();
        }
    }

    @Test
    void writesLibtorchsProfileOfTheTimedStepsWithTheStepsOperators(@TempDir Path dir) {
        ModelConfig config = new ModelConfig(ResNetConfig.named("resnet-small", 4), 1, 16, 8);
        Path trace = dir.resolve("trace.json");
        try (NDManager manager = NDManager.newBaseManager();
             ContrastiveModel model = ContrastiveModel.create(config, 8, 8, manager, 0)) {
            StepBreakdown.measure(model, new SgdMomentum(model.trainableParameters(), 0.9, 5e-4),
                    new ContrastiveLoss(LossConfig.ntXent(0.5)), randomBatch(4, 8), 1, 2, trace);
        }
        Map<String, OpProfile.Op> ops = new HashMap<>();
        OpProfile.read(trace).forEach(op -> ops.put(op.name(), op));
        // one step only (not the warm-up step, not the two timed steps) of resnet-small's 12 convolutions (the stem,
        // two in each of the 4 stages' blocks, a projection shortcut in stages 2-4)
        assertThat(ops).containsKeys("aten::convolution_backward", "aten::native_batch_norm_backward", "aten::mm");
        assertThat(ops.get("aten::convolution_backward").calls()).isEqualTo(12);
        assertThat(ops.values()).allSatisfy(op -> assertThat(op.selfMillis()).isNotNegative());
    }

    @Test
    void rejectsNoTimedSteps() {
        assertThatThrownBy(() -> StepBreakdown.measure(null, null, null, randomBatch(2, 4), 0, 0, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("steps must be >= 1");
    }
}
