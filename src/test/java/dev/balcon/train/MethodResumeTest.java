package dev.balcon.train;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import dev.balcon.augment.Normalization;
import dev.balcon.data.ImageDataset;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** A moco, byol or simsiam run killed after an epoch and resumed ends as the uninterrupted run: its state is checkpointed. */
class MethodResumeTest {
    private static final ImageDataset IMAGES = SyntheticImages.quadrants(96, 16, 3);
    private static final Normalization NORMALIZATION = new Normalization(new float[] {0.4f}, new float[] {0.3f});

    private static PretrainConfig config(String method) {
        return PretrainConfig.builder().method(method).width(4).projectorHidden(16).projectorOut(8).batchSize(16)
                .epochs(2).learningRate(0.1).warmupEpochs(0.5).seed(7).workers(2).boundMonitor(false)
                // 80 keys, not a multiple of a step's 32: the queue pointer stops mid-queue at the epoch's end
                .queueSize(method.equals("moco") ? 80 : null).build();
    }

    @ParameterizedTest
    @ValueSource(strings = {"moco", "byol", "simsiam"})
    void aRunStoppedAfterAnEpochResumesToTheSameResult(String method, @TempDir Path dir) {
        PretrainConfig config = config(method);
        RunDirectory straight = new RunDirectory(dir.resolve("straight"));
        PretrainResult uninterrupted = new Pretrainer(config, IMAGES, NORMALIZATION, straight).showProgress(false)
                .run(false);

        RunDirectory interrupted = new RunDirectory(dir.resolve("interrupted"));
        Pretrainer crashing = new Pretrainer(config, IMAGES, NORMALIZATION, interrupted).showProgress(false)
                .addMonitor((epoch, model) -> {
                    throw new IllegalStateException("killed after epoch " + epoch);
                });
        assertThatThrownBy(() -> crashing.run(false)).hasMessageContaining("killed after epoch 1");
        assertThat(Files.exists(interrupted.checkpoint())).isTrue();
        PretrainResult resumed = new Pretrainer(config, IMAGES, NORMALIZATION, interrupted).showProgress(false)
                .run(true);

        assertThat(resumed.globalStep()).isEqualTo(uninterrupted.globalStep());
        assertThat(resumed.finalLoss()).isCloseTo(uninterrupted.finalLoss(),
                within(1e-4 * Math.abs(uninterrupted.finalLoss())));
        float[] straightState = state(config, straight);
        float[] resumedState = state(config, interrupted);
        assertThat(resumedState).hasSameSizeAs(straightState);
        for (int i = 0; i < straightState.length; i++) {
            assertThat((double) resumedState[i]).as("value %d of the model, predictor, target, key encoder and queue", i)
                    .isCloseTo(straightState[i], within(1e-4 * Math.max(1, Math.abs(straightState[i]))));
        }
    }

    /**
     * Every value of the method's networks (model, predictor, target, key encoder) and of moco's queue and pointer, as
     * the run's checkpoint restores them.
     */
    private static float[] state(PretrainConfig config, RunDirectory run) {
        try (NDManager manager = NDManager.newBaseManager();
             Method method = Methods.create(config, 1, 16, 16, manager)) {
            Checkpoint.load(run.checkpoint(), method);
            List<Pair<String, Parameter>> all = new ArrayList<>(method.model().namedParameters());
            if (method instanceof Byol byol) {
                all.addAll(byol.predictor().namedParameters());
                all.addAll(byol.target().namedParameters());
            } else if (method instanceof SimSiam simSiam) {
                all.addAll(simSiam.predictor().namedParameters());
            }
            List<Float> values = new ArrayList<>();
            if (method instanceof MoCo moco) {
                all.addAll(moco.keyEncoder().namedParameters());
                for (float value : moco.queue().toFloatArray()) {
                    values.add(value);
                }
                values.add((float) moco.queuePointer());
            }
            for (Pair<String, Parameter> named : all) {
                for (float value : named.getValue().getArray().toFloatArray()) {
                    values.add(value);
                }
            }
            float[] flat = new float[values.size()];
            for (int i = 0; i < flat.length; i++) {
                flat[i] = values.get(i);
            }
            return flat;
        }
    }
}
