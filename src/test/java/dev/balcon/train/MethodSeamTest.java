package dev.balcon.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.balcon.BalconException;
import dev.balcon.model.ContrastiveModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static dev.balcon.train.TestCheckpoints.NORMALIZATION;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The method seam: the registry, the method field of the configuration, and a method's state in checkpoints. */
class MethodSeamTest {

    /** A method with a state of its own (a step counter), to check what checkpoints do with method state. */
    private static final class CountingMethod extends Method {
        long afterSteps;

        CountingMethod(String name, ContrastiveModel model) {
            super(name, model, List.of(), 0.9, 0);
        }

        @Override
        public NDArray loss(ParameterStore parameters, NDArray view1, NDArray view2) {
            throw new UnsupportedOperationException("not trained here");
        }

        @Override
        public void afterStep(long step, long totalSteps) {
            afterSteps++;
        }

        @Override
        public void saveState(DataOutputStream out) throws IOException {
            out.writeLong(afterSteps);
        }

        @Override
        public void loadState(DataInputStream in) throws IOException {
            afterSteps = in.readLong();
        }
    }

    @Test
    void theFactoryBuildsSimclrByDefaultWithTheConfiguredModelAndOptimiser() {
        PretrainConfig config = TestCheckpoints.config();
        assertThat(config.method().name()).isEqualTo("simclr");
        try (NDManager manager = NDManager.newBaseManager(); Method method = Methods.create(config, 1, 16, 16, manager)) {
            assertThat(method).isInstanceOf(SimClr.class);
            assertThat(method.name()).isEqualTo("simclr");
            assertThat(method.model().config()).isEqualTo(config.modelConfig(1));
            assertThat(method.trainableParameters()).containsExactlyElementsOf(method.model().trainableParameters());
            // the same seed gives the same initial weights as the model alone
            try (ContrastiveModel alone = TestCheckpoints.model(manager, config.seed())) {
                assertThat(TestCheckpoints.parameterBytes(method.model())).isEqualTo(TestCheckpoints.parameterBytes(alone));
            }
        }
    }

    @Test
    void aConfigJsonWrittenBeforeMethodsReadsAsSimclr(@TempDir Path dir) throws Exception {
        RunDirectory run = new RunDirectory(dir);
        run.create();
        PretrainConfig config = TestCheckpoints.config();
        ObjectNode json = config.toFlatJson();
        assertThat(json.get("method").asText()).isEqualTo("simclr");
        assertThat(json.get("momentumTau").isNull()).isTrue();
        json.remove(List.of("method", "momentumTau"));
        Files.writeString(run.config(), json.toString());
        assertThat(run.readConfig()).isEqualTo(config);
    }

    @Test
    void badMethodSettingsAreErrorsNamingTheField() {
        assertThatThrownBy(() -> PretrainConfig.builder().method("moco3").build())
                .isInstanceOf(BalconException.class)
                .hasMessage("method.name must be one of " + Methods.NAMES + ", got 'moco3'");
        assertThatThrownBy(() -> PretrainConfig.builder().momentumTau(0.99).build())
                .isInstanceOf(BalconException.class)
                .hasMessage("method.momentumTau applies to methods with a momentum encoder only; method simclr has none");
    }

    @Test
    void byolsMomentumTauDefaultsTo099AndOthersHaveNone() {
        assertThat(PretrainConfig.builder().method("byol").build().method().momentumTau()).isEqualTo(0.99);
        assertThat(PretrainConfig.builder().method("byol").momentumTau(0.996).build().method().momentumTau()).isEqualTo(0.996);
        assertThat(PretrainConfig.builder().method("simsiam").build().method().momentumTau()).isNull();
        assertThatThrownBy(() -> PretrainConfig.builder().method("byol").momentumTau(1.5).build())
                .isInstanceOf(BalconException.class).hasMessage("method.momentumTau must be in [0, 1], got 1.5");
        assertThatThrownBy(() -> PretrainConfig.builder().method("simsiam").momentumTau(0.9).build())
                .isInstanceOf(BalconException.class)
                .hasMessage("method.momentumTau applies to methods with a momentum encoder only; method simsiam has none");
    }

    @Test
    void mocosQueueAndMomentumDefaultAndAreCheckedNamingTheField() {
        PretrainConfig moco = PretrainConfig.builder().method("moco").build();
        assertThat(moco.method().momentumTau()).isEqualTo(0.99);
        assertThat(moco.method().queueSize()).isEqualTo(4096);
        assertThat(PretrainConfig.builder().method("moco").queueSize(100).batchSize(50).build().method().queueSize())
                .isEqualTo(100);
        assertThat(PretrainConfig.builder().method("simclr").build().method().queueSize()).isNull();
        assertThatThrownBy(() -> PretrainConfig.builder().method("byol").queueSize(64).build())
                .isInstanceOf(BalconException.class).hasMessage("method.queueSize applies to moco only; method byol has no queue");
        assertThatThrownBy(() -> PretrainConfig.builder().method("moco").queueSize(0).build())
                .isInstanceOf(BalconException.class).hasMessage("method.queueSize must be >= 1, got 0");
        assertThatThrownBy(() -> PretrainConfig.builder().method("moco").queueSize(99).batchSize(50).build())
                .isInstanceOf(BalconException.class).hasMessage("method.queueSize must be >= 2 x batchSize (a step enqueues the"
                        + " keys of both views), got 99 with batchSize 50");
    }

    @Test
    void mocoTakesTheLossFamilyButOnlyTheCosineSimilarity() {
        PretrainConfig balanced = PretrainConfig.builder().method("moco").loss("balanced").alpha(5.0).lambda(1.5).build();
        assertThat(balanced.lossConfig().describe()).startsWith("balanced(alpha=5, lambda=1.5");
        PretrainConfig dot = PretrainConfig.builder().method("moco").similarity("dot").batchSize(4).queueSize(8).build();
        try (NDManager manager = NDManager.newBaseManager()) {
            assertThatThrownBy(() -> Methods.create(dot, 1, 8, 8, manager)).isInstanceOf(BalconException.class)
                    .hasMessage("similarity must be cosine for moco (its keys and queue are unit vectors), got dot");
        }
    }

    @Test
    void mocosStateRoundTripsAndAQueueOfAnotherSizeIsRefusedNamingTheFields() throws IOException {
        PretrainConfig small = PretrainConfig.builder().method("moco").width(2).projectorHidden(8).projectorOut(4)
                .batchSize(4).queueSize(8).build();
        try (NDManager manager = NDManager.newBaseManager();
             MoCo first = (MoCo) Methods.create(small, 1, 8, 8, manager);
             MoCo same = (MoCo) Methods.create(small.toBuilder().seed(small.seed() + 5).build(), 1, 8, 8, manager);
             MoCo larger = (MoCo) Methods.create(small.toBuilder().queueSize(12).build(), 1, 8, 8, manager)) {
            float[] queue = first.queue().toFloatArray();
            assertThat(same.queue().toFloatArray()).isNotEqualTo(queue);
            for (int row = 0; row < 8; row++) {
                double squares = 0;
                for (int j = 0; j < 4; j++) {
                    squares += queue[row * 4 + j] * queue[row * 4 + j];
                }
                assertThat(squares).as("squared norm of queue row %d", row).isCloseTo(1, within(1e-5));
            }
            java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                first.saveState(out);
            }
            same.loadState(new DataInputStream(new java.io.ByteArrayInputStream(bytes.toByteArray())));
            assertThat(same.queue().toFloatArray()).isEqualTo(queue);
            assertThat(same.nonFiniteStateValues()).isZero();
            assertThatThrownBy(() -> larger.loadState(new DataInputStream(
                    new java.io.ByteArrayInputStream(bytes.toByteArray())))).isInstanceOf(BalconException.class)
                    .hasMessage("the stored queue is [8, 4]; this run's queueSize and projectorOut make it [12, 4]");
        }
    }

    @Test
    void methodsWithALossOfTheirOwnRefuseTheContrastiveLossSettings() {
        assertThatThrownBy(() -> PretrainConfig.builder().method("byol").loss("balanced").build())
                .isInstanceOf(BalconException.class)
                .hasMessage("method.loss (preset, tau, alpha, lambda, nu, similarity, scaleByInvAlpha) is simclr's and moco's;"
                        + " method byol has a loss of its own, so leave it at its defaults");
        assertThatThrownBy(() -> PretrainConfig.builder().method("simsiam").tau(0.2).build())
                .isInstanceOf(BalconException.class).hasMessageContaining("method simsiam has a loss of its own");
    }

    @Test
    void resumingWithAnotherMethodIsAConflictNamingTheField() {
        PretrainConfig stored = TestCheckpoints.config();
        PretrainConfig requested = stored.toBuilder().method("simsiam").build();
        assertThatThrownBy(() -> Pretrainer.checkResumable(stored, requested, Path.of("runs/x")))
                .isInstanceOf(Pretrainer.ResumeConflict.class)
                .satisfies(e -> assertThat(((Pretrainer.ResumeConflict) e).fields()).containsExactly("method.name"))
                .hasMessageContaining("method.name (stored simclr, asked simsiam)");
    }

    @Test
    void byolsEmaRateRisesFromTauBaseToOneByACosine() {
        PretrainConfig config = TestCheckpoints.config().toBuilder().method("byol").build();
        try (NDManager manager = NDManager.newBaseManager();
             Byol byol = (Byol) Methods.create(config, 1, 16, 16, manager)) {
            assertThat(byol.tau(0, 100)).isEqualTo(0.99);
            assertThat(byol.tau(50, 100)).isCloseTo(0.995, org.assertj.core.api.Assertions.within(1e-12));
            assertThat(byol.tau(100, 100)).isEqualTo(1.0);
            // the target starts as a copy of the model, and the EMA moves it towards the model's new weights
            assertThat(TestCheckpoints.parameterBytes(byol.target()))
                    .isEqualTo(TestCheckpoints.parameterBytes(byol.model()));
            ai.djl.ndarray.NDArray weight = byol.model().trainableParameters().get(0).getArray();
            float before = byol.target().trainableParameters().get(0).getArray().toFloatArray()[0];
            weight.addi(1f);
            byol.afterStep(0, 100);
            float after = byol.target().trainableParameters().get(0).getArray().toFloatArray()[0];
            assertThat((double) after).isCloseTo(before + 0.01, org.assertj.core.api.Assertions.within(1e-6));
        }
    }

    @Test
    void aMethodsStateTravelsWithTheCheckpointAndAnotherMethodCannotLoadIt(@TempDir Path dir) {
        Path file = dir.resolve("checkpoint.bin");
        try (NDManager manager = NDManager.newBaseManager();
             ContrastiveModel savedModel = TestCheckpoints.model(manager, 1);
             ContrastiveModel loadedModel = TestCheckpoints.model(manager, 2)) {
            CountingMethod saved = new CountingMethod("counting", savedModel);
            saved.afterStep(0, 10);
            saved.afterStep(1, 10);
            Checkpoint.save(file, new Checkpoint.Progress(1, 2), NORMALIZATION, saved);

            CountingMethod loaded = new CountingMethod("counting", loadedModel);
            Checkpoint.load(file, loaded);
            assertThat(loaded.afterSteps).isEqualTo(2);
            assertThat(TestCheckpoints.parameterBytes(loadedModel)).isEqualTo(TestCheckpoints.parameterBytes(savedModel));

            assertThatThrownBy(() -> Checkpoint.load(file, TestCheckpoints.method(loadedModel)))
                    .isInstanceOf(BalconException.class)
                    .hasMessage("checkpoint " + file + " holds a counting run, not simclr");
            // evaluation reads the model whatever the method
            Checkpoint.loadModel(file, loadedModel);
        }
    }
}
