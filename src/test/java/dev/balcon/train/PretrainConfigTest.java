package dev.balcon.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.balcon.BalconException;
import dev.balcon.InvalidField;
import dev.balcon.augment.AugmentationSettings;
import dev.balcon.data.DataSelection;
import dev.balcon.data.RunData;
import dev.balcon.loss.LossSettings;
import dev.balcon.model.ModelSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The run configuration's groups, their checks, and config.json in its nested and its old flat form. */
class PretrainConfigTest {

    private static JsonNode fixture(String name) throws Exception {
        try (InputStream in = PretrainConfigTest.class.getResourceAsStream("/config/" + name)) {
            return RunDirectory.JSON.readTree(in);
        }
    }

    private static void assertInvalid(Runnable make, String field, String message) {
        assertThatThrownBy(make::run).isInstanceOfSatisfying(InvalidField.class,
                invalid -> assertThat(invalid.field()).isEqualTo(field)).hasMessage(message);
    }

    @Test
    void eachGroupsChecksNameTheField() {
        OptimizerConfig optimizer = OptimizerConfig.defaults();
        assertInvalid(() -> optimizer.withLr(-1), "optimizer.lr", "optimizer.lr must be a finite number > 0, got -1.0");
        assertInvalid(() -> new OptimizerConfig(0.3, 1, 0, 0), "optimizer.momentum",
                "optimizer.momentum must be in [0, 1), got 1.0");
        assertInvalid(() -> new OptimizerConfig(0.3, 0.9, -1, 0), "optimizer.weightDecay",
                "optimizer.weightDecay must be a finite number >= 0, got -1.0");
        assertInvalid(() -> new MonitorConfig(true, 1, 4), "monitor.probeSize", "monitor.probeSize must be >= 2 images, got 1");
        assertInvalid(() -> new ModelSettings("resnet-small", 0, 512, 128), "model.width", "model.width must be >= 1, got 0");
        assertThatThrownBy(() -> new ModelSettings("resnet-huge", 16, 512, 128))
                .isInstanceOfSatisfying(InvalidField.class, e -> assertThat(e.field()).isEqualTo("model.arch"));
        assertInvalid(() -> new AugmentationSettings("blurry", 0.2, 1, null), "augmentation.recipe",
                "augmentation.recipe must be one of " + dev.balcon.augment.AugmentationRecipe.names() + ", got 'blurry'");
        assertInvalid(() -> new MethodConfig("moco3", null, null, null), "method.name",
                "method.name must be one of " + Methods.NAMES + ", got 'moco3'");
        assertInvalid(() -> new LossSettings("nt_xent", null, 2.0, null, null, "cosine", null), "method.loss.alpha",
                "method.loss.alpha does not apply to loss preset nt_xent: it takes tau (alpha = 1/tau)");
        assertThatThrownBy(() -> new LossSettings("triplet", null, null, null, null, "cosine", null))
                .isInstanceOfSatisfying(InvalidField.class, e -> assertThat(e.field()).isEqualTo("method.loss"));
        assertInvalid(() -> new RunData(DataSelection.defaults(), -1, "none", 100, 6, 0, false, null), "data.trainLimit",
                "data.trainLimit must be >= 0 (0 = all images), got -1");
        DataSelection data = DataSelection.defaults();
        assertInvalid(() -> new DataSelection(data.kind(), null, null, null, 0, 2, false, 0.2, null, 0, 0, 0),
                "data.selection.channels", "data.selection.channels must be 1 (grayscale) or 3 (RGB), got 2");
    }

    @Test
    void crossGroupChecksLiveInTheConfiguration() {
        PretrainConfig defaults = PretrainConfig.defaults();
        assertInvalid(() -> defaults.withEpochs(0), "epochs", "epochs must be >= 1, got 0");
        assertInvalid(() -> defaults.withOptimizer(OptimizerConfig.defaults().withWarmupEpochs(30)),
                "optimizer.warmupEpochs", "optimizer.warmupEpochs must be between 0 and epochs (20), got 30.0");
        assertInvalid(() -> defaults.withMethod(new MethodConfig("moco", null, 256, null)), "method.queueSize",
                "method.queueSize must be >= 2 x batchSize (a step enqueues the keys of both views), got 256 with "
                        + "batchSize 256");
        assertInvalid(() -> defaults.withMethod(MethodConfig.defaults().withName("byol")
                .withLoss(new LossSettings("balanced", null, null, null, null, "cosine", null))), "method.loss",
                "method.loss (preset, tau, alpha, lambda, nu, similarity, scaleByInvAlpha) is simclr's and moco's; "
                        + "method byol has a loss of its own, so leave it at its defaults");
    }

    @Test
    void theDefaultsAreTheGroupsDefaults() {
        PretrainConfig defaults = PretrainConfig.defaults();
        assertThat(defaults.optimizer()).isEqualTo(OptimizerConfig.defaults());
        assertThat(defaults.data()).isEqualTo(RunData.defaults());
        assertThat(PretrainConfig.builder().build()).isEqualTo(defaults);
    }

    @Test
    void configJsonIsNestedAndRoundTrips(@TempDir Path dir) throws Exception {
        RunDirectory run = new RunDirectory(dir);
        run.create();
        PretrainConfig config = PretrainConfig.builder().method("moco").queueSize(1024).batchSize(32).learningRate(0.1)
                .loss("nt_xent").tau(0.2).classProfile("exp").rho(10).jitterStrength(0.5).build();
        run.writeConfig(config);
        JsonNode json = RunDirectory.JSON.readTree(run.config().toFile());
        assertThat(json.get("optimizer").get("lr").asDouble()).isEqualTo(0.1);
        assertThat(json.get("method").get("name").asText()).isEqualTo("moco");
        assertThat(json.get("method").get("loss").get("tau").asDouble()).isEqualTo(0.2);
        assertThat(json.get("data").get("selection").get("kind").asText()).isEqualTo("fashion-mnist");
        assertThat(json.has("learningRate")).isFalse();
        assertThat(json.get("augmentation").get("jitterStrength").asDouble()).isEqualTo(0.5);
        assertThat(run.readConfig()).isEqualTo(config);
    }

    @Test
    void anOldFlatConfigJsonReadsAsTheSameSettings() throws Exception {
        PretrainConfig simclr = PretrainConfig.fromJson(fixture("flat-simclr.json"));
        assertThat(simclr).isEqualTo(PretrainConfig.builder().dataset("cifar10").trainLimit(512).epochs(3).batchSize(64)
                .learningRate(0.1).warmupEpochs(0.5).loss("balanced").alpha(3.0).similarity("dot").cropScaleMin(0.3)
                .probeSize(200).classProfile("exp").rho(10).seed(7).dataSeed(3).workers(2).build());
        assertThat(simclr.optimizer().lr()).isEqualTo(0.1);
        assertThat(simclr.data().selection().kind()).isEqualTo("cifar10");
        assertThat(simclr.method().loss().alpha()).isEqualTo(3.0);

        PretrainConfig moco = PretrainConfig.fromJson(fixture("flat-moco.json"));
        assertThat(moco.method()).isEqualTo(new MethodConfig("moco", 0.95, 1024, LossSettings.defaults()));
        assertThat(moco.monitor().bounds()).isFalse();
        assertThat(moco.batchSize()).isEqualTo(32);
        // the flat form is the same settings, field for field
        ObjectNode flat = (ObjectNode) RunDirectory.JSON.readTree(moco.toFlatJson().toString());
        assertThat(flat.remove("shards").asInt()).isEqualTo(1); // newer than the fixture, which reads it as 1
        assertThat(flat.remove("jitterStrength").isNull()).isTrue(); // newer too: the recipe's own jitter
        assertThat(flat).isEqualTo(fixture("flat-moco.json"));
    }

    @Test
    void aFlatConfigJsonFromBeforeMethodsMonitorsAndProfilesStillReads() throws Exception {
        PretrainConfig old = PretrainConfig.fromJson(fixture("flat-old.json"));
        assertThat(old.method().name()).isEqualTo("simclr");
        assertThat(old.method().momentumTau()).isNull();
        assertThat(old.precision()).isEqualTo("fp32");
        assertThat(old.data().classProfile()).isEqualTo("none");
        assertThat(old.data().selection().validationFraction()).isZero();
        assertThat(old.monitor().bounds()).isFalse();
        assertThat(old.optimizer()).isEqualTo(new OptimizerConfig(0.1, 0.9, 5e-4, 0.5));
        assertThat(old.data().selection().kind()).isEqualTo("cifar10");
    }

    @Test
    void anUnknownFieldIsOneErrorNamingIt() throws Exception {
        ObjectNode flat = (ObjectNode) fixture("flat-simclr.json");
        flat.put("learningRat", 0.1);
        assertThatThrownBy(() -> PretrainConfig.fromJson(flat)).isInstanceOf(BalconException.class)
                .hasMessageStartingWith("unknown field 'learningRat' in a flat configuration");
        ObjectNode nested = RunDirectory.JSON.valueToTree(PretrainConfig.defaults());
        nested.with("optimizer").put("rate", 0.1);
        assertThatThrownBy(() -> PretrainConfig.fromJson(nested)).isInstanceOf(BalconException.class)
                .hasMessageStartingWith("unknown field 'optimizer.rate' in the configuration");
        // a flat name in a nested file says what to write instead
        ObjectNode mixed = RunDirectory.JSON.valueToTree(PretrainConfig.defaults());
        mixed.put("learningRate", 0.1);
        assertThatThrownBy(() -> PretrainConfig.fromJson(mixed)).isInstanceOf(BalconException.class)
                .hasMessageContaining("unknown field 'learningRate'")
                .hasMessageContaining("in the nested form it is optimizer.lr");
    }

    @Test
    void differingFieldsAndCopiesUseThePathsOfConfigJson() {
        PretrainConfig a = PretrainConfig.defaults();
        PretrainConfig b = a.toBuilder().learningRate(0.1).cacheDir("/tmp/c").build();
        assertThat(a.differingFields(b)).containsExactly("data.selection.cacheDir", "optimizer.lr");
        assertThat(b.fieldText("optimizer.lr")).isEqualTo("0.1");
        assertThat(a.withFieldsOf(b, java.util.List.of("optimizer.lr")).optimizer().lr()).isEqualTo(0.1);
        assertThat(PretrainConfig.pathOf("learningRate")).isEqualTo("optimizer.lr");
        assertThat(PretrainConfig.fieldPaths()).contains("optimizer.lr", "method.loss.preset", "epochs");
        // the same loss given two ways is no difference
        assertThat(a.differingFields(a.toBuilder().tau(0.5).build())).isEmpty();
    }

    @Test
    void theWrittenFileCarriesNoFlatFields(@TempDir Path dir) throws Exception {
        RunDirectory run = new RunDirectory(dir);
        run.create();
        run.writeConfig(PretrainConfig.defaults());
        assertThat(Files.readString(run.config())).doesNotContain("\"learningRate\"").contains("\"optimizer\"");
    }
}
