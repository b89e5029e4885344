package dev.balcon.run;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.balcon.BalconException;
import dev.balcon.InvalidField;
import dev.balcon.analysis.BiasResult;
import dev.balcon.analysis.PrototypeBias;
import dev.balcon.analysis.ViewEmbeddings;
import dev.balcon.augment.AugmentationPipeline;
import dev.balcon.augment.AugmentationRecipe;
import dev.balcon.data.ImageDataset;
import dev.balcon.data.ImageSelection;
import dev.balcon.model.ContrastiveModel;
import dev.balcon.train.RunDirectory;
import dev.balcon.train.SyntheticImages;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class BiasMeasurementTest {
    @TempDir
    static Path dir;
    static RunDirectory run;

    @BeforeAll
    static void trainTinyRun() {
        run = TinyRun.train(dir.resolve("run"), TinyRun.config(1));
    }

    private static BiasMeasurement.Report measure(int views, int perClass, String split, String recipe, long seed) {
        return BiasMeasurement.ofRun(run, TinyRun.SPLITS, new BiasMeasurement.Options(views, perClass, split, recipe, seed));
    }

    @Test
    void theThreeFormsAreTheBiasOfTheNamedFeatures() {
        BiasMeasurement.Report report = measure(3, 0, "test", null, 11);
        ImageDataset test = TinyRun.SPLITS.test();
        int[] all = IntStream.range(0, test.size()).toArray();
        AugmentationPipeline pipeline = TinyRun.config(1).augmentationRecipe().build(1, 16, 16, TinyRun.normalization());
        try (NDManager manager = NDManager.newBaseManager(); ContrastiveModel model = TinyRun.load(run, manager)) {
            ViewEmbeddings backbone = new ViewEmbeddings(
                    TinyRun.directViews(test, all, pipeline, 3, 11, model::features, manager), test.labels(), 4);
            ViewEmbeddings projector = new ViewEmbeddings(
                    TinyRun.directViews(test, all, pipeline, 3, 11, model::project, manager), test.labels(), 4);
            assertSameBias(report.backbone(), PrototypeBias.compute(backbone, false, "backbone"));
            assertSameBias(report.backboneNormalized(), PrototypeBias.compute(backbone, true, "backbone-l2"));
            assertSameBias(report.projectorNormalized(), PrototypeBias.compute(projector, true, "projector-l2"));
        }
        assertThat(report.images()).isEqualTo(24);
        assertThat(report.viewsPerImage()).isEqualTo(3);
        assertThat(report.recipe()).isEqualTo("simclr");
        assertThat(report.backbone().space()).isEqualTo("backbone");
        assertThat(report.backboneNormalized().bias()).isBetween(0.0, 2.0);
        assertThat(report.projectorNormalized().bias()).isBetween(0.0, 2.0);
        // Different spaces, different numbers: the projector is not the backbone under another name.
        assertThat(Math.abs(report.projectorNormalized().bias() - report.backboneNormalized().bias())).isGreaterThan(1e-3);
        assertThat(report.backbone().bias()).isNotCloseTo(report.backboneNormalized().bias(), within(1e-3));
    }

    private static void assertSameBias(BiasResult actual, BiasResult expected) {
        assertThat(actual.bias()).isCloseTo(expected.bias(), within(1e-4 * Math.max(1, expected.bias())));
        assertThat(actual.perClassBias()).hasSize(4);
    }

    @Test
    void theSameSeedGivesTheSameBiasAndAnotherSeedAnother() {
        double first = measure(2, 0, "test", null, 5).backbone().bias();
        assertThat(measure(2, 0, "test", null, 5).backbone().bias()).isEqualTo(first);
        assertThat(measure(2, 0, "test", null, 6).backbone().bias()).isNotEqualTo(first);
    }

    @Test
    void perClassDrawsTheSameNumberFromEveryClassOfTheChosenSplit() {
        BiasMeasurement.Report report = measure(1, 5, "train", null, 0);
        assertThat(report.images()).isEqualTo(20);
        assertThat(report.split()).isEqualTo("train");
        assertThat(report.perClass()).isEqualTo(5);
        int[] chosen = ImageSelection.balanced(TinyRun.SPLITS.train(), 5, 0, "perClass");
        assertThat(IntStream.of(chosen).map(TinyRun.SPLITS.train()::label).boxed().toList())
                .containsOnly(0, 1, 2, 3).hasSize(20)
                .satisfies(labels -> assertThat(labels.stream().filter(label -> label == 2).count()).isEqualTo(5));
        assertThat(chosen).isSorted().doesNotHaveDuplicates();
    }

    @Test
    void aRecipeOtherThanTheRunsIsMeasuredAndStoredBesideIt() {
        BiasMeasurement.Report own = measure(2, 0, "test", null, 0);
        BiasMeasurement.Report rotated = measure(2, 0, "test", "simclr+rotation", 0);
        assertThat(rotated.recipe()).isEqualTo("simclr+rotation");
        assertThat(rotated.backbone().bias()).isNotEqualTo(own.backbone().bias());
        BiasMeasurement.store(run, own);
        BiasMeasurement.store(run, rotated);
        JsonNode stored = run.readResults().get("bias");
        assertThat(stored.fieldNames()).toIterable().contains("simclr", "simclr+rotation");
        for (String space : List.of("backbone", "backboneNormalized", "projectorNormalized")) {
            assertThat(stored.get("simclr").get(space).get("bias").asDouble()).isFinite();
        }
        BiasMeasurement.Report readBack = BiasMeasurement.stored(run, "simclr");
        assertThat(readBack.backbone().bias()).isEqualTo(own.backbone().bias());
        assertThat(readBack.projectorNormalized().perClassBias()).containsExactly(own.projectorNormalized().perClassBias());
        assertThat(BiasMeasurement.stored(run, "simclr-no-blur")).isNull();
    }

    @Test
    void badOptionsAndUnsuitableDataAreOneLineErrors() {
        assertThatThrownBy(() -> new BiasMeasurement.Options(0, 0, "test", null, 0))
                .isInstanceOf(InvalidField.class).hasMessage("views (per image) must be >= 1, got 0");
        assertThatThrownBy(() -> new BiasMeasurement.Options(8, 0, "validation", null, 0))
                .isInstanceOf(InvalidField.class).hasMessageStartingWith("split must be one of [test, train]");
        assertThatThrownBy(() -> new BiasMeasurement.Options(8, 0, "test", "simclr+jpeg", 0))
                .isInstanceOf(InvalidField.class).hasMessageStartingWith("recipe must be one of").hasMessageContaining("simclr+jpeg");
        assertThatThrownBy(() -> measure(2, 7, "test", null, 0))
                .isInstanceOf(InvalidField.class).hasMessageStartingWith("perClass asks for 7 images of each class")
                .hasMessageContaining("only 6");

        ImageDataset oneClass = new ImageDataset("unlabelled", new byte[4 * 256], new int[4], 1, 16, 16, List.of("all"));
        ImageDataset missingClass = SyntheticImages.quadrants(3, 16, 1); // labels 0, 1, 2: class 3 has none
        AugmentationPipeline pipeline = AugmentationRecipe.named("simclr").build(1, 16, 16, TinyRun.normalization());
        try (NDManager manager = NDManager.newBaseManager(); ContrastiveModel model = TinyRun.load(run, manager)) {
            BiasMeasurement.Options options = new BiasMeasurement.Options(2, 0, "test", null, 0);
            assertThatThrownBy(() -> BiasMeasurement.measure(model, oneClass, new int[] {0, 1, 2, 3}, pipeline, "simclr",
                    options)).isInstanceOf(BalconException.class).hasMessageContaining("at least 2 classes");
            assertThatThrownBy(() -> BiasMeasurement.measure(model, missingClass, new int[] {0, 1, 2}, pipeline,
                    "simclr", options)).isInstanceOf(BalconException.class).hasMessageContaining("class 3 ('d')");
        }
    }
}
