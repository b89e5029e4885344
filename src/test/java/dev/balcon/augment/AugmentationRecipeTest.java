package dev.balcon.augment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.balcon.BalconException;
import dev.balcon.data.ImageDataset;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class AugmentationRecipeTest {

    @Test
    void namedRecipesDifferFromSimclrOnlyInTheirAblatedMember() {
        assertThat(AugmentationRecipe.names()).containsExactly("simclr", "simclr-no-blur", "simclr-no-color",
                "simclr+rotation", "simclr+cutout", "simclr-photos", "none");
        AugmentationRecipe simclr = AugmentationRecipe.named("simclr");
        assertThat(simclr.cropScale()).isEqualTo(new AugmentationRecipe.Range(0.08, 1.0));
        assertThat(simclr.jitterProb()).isEqualTo(0.8);
        assertThat(simclr.grayscaleProb()).isEqualTo(0.2);
        assertThat(AugmentationRecipe.named("simclr-no-blur"))
                .isEqualTo(simclr.withName("simclr-no-blur").withBlurProb(0));
        assertThat(AugmentationRecipe.named("simclr-no-color"))
                .isEqualTo(simclr.withName("simclr-no-color").withJitterProb(0).withGrayscaleProb(0));
        assertThat(AugmentationRecipe.named("simclr+rotation").rotationDegrees()).isPositive();
        assertThat(AugmentationRecipe.named("simclr+cutout").cutoutProb()).isPositive();
        assertThat(AugmentationRecipe.named("none").randomCrop()).isFalse();
        // the colour-photo recipe (docs/data.md, "Colour photos"): simclr with half its colour jitter and crops
        // from 8% of the area
        assertThat(AugmentationRecipe.named("simclr-photos")).isEqualTo(simclr.withName("simclr-photos")
                .withCropScale(0.08, 1.0).withJitterStrength(0.5));
    }

    @Test
    void unknownNamesListTheKnownOnes() {
        assertThatThrownBy(() -> AugmentationRecipe.named("simclr-v2")).isInstanceOf(BalconException.class)
                .hasMessageContaining("simclr-v2").hasMessageContaining("simclr-no-blur").hasMessageContaining("none");
    }

    @Test
    void withersValidate() {
        AugmentationRecipe simclr = AugmentationRecipe.named("simclr");
        assertThat(simclr.withCropScale(0.2, 1.0).cropScale()).isEqualTo(new AugmentationRecipe.Range(0.2, 1.0));
        assertThatThrownBy(() -> simclr.withCropScale(0.9, 0.2)).isInstanceOf(BalconException.class)
                .hasMessageContaining("crop scale").hasMessageContaining("0.9");
        assertThatThrownBy(() -> simclr.withFlipProb(1.1)).isInstanceOf(BalconException.class)
                .hasMessageContaining("flip probability");
        assertThatThrownBy(() -> simclr.withBlurProb(-0.5)).isInstanceOf(BalconException.class)
                .hasMessageContaining("blur probability");
        assertThatThrownBy(() -> simclr.withRotationDegrees(-15)).isInstanceOf(BalconException.class)
                .hasMessageContaining("rotation degrees");
        assertThatThrownBy(() -> simclr.withJitter(0.4, 0.4, 0.4, 0.7)).isInstanceOf(BalconException.class)
                .hasMessageContaining("hue");
        assertThatThrownBy(() -> simclr.withCutoutScale(0, 0.3)).isInstanceOf(BalconException.class)
                .hasMessageContaining("cutout scale");
        assertThatThrownBy(() -> simclr.build(4, 32, 32, Normalization.identity(4)))
                .isInstanceOf(BalconException.class).hasMessageContaining("1 or 3 channels");
        assertThatThrownBy(() -> simclr.build(3, 32, 32, Normalization.identity(1)))
                .isInstanceOf(BalconException.class).hasMessageContaining("channels");
    }

    @Test
    void jitterStrengthIsSimclrsColourDistortion() {
        AugmentationRecipe simclr = AugmentationRecipe.named("simclr");
        // s = 1 is the simclr recipe's own jitter (SimCLR appendix A: 0.8 s, 0.8 s, 0.8 s, 0.2 s)
        assertThat(simclr.withJitterStrength(1)).isEqualTo(simclr);
        AugmentationRecipe half = simclr.withJitterStrength(0.5);
        assertThat(List.of(half.brightness(), half.contrast(), half.saturation(), half.hue()))
                .containsExactly(0.4, 0.4, 0.4, 0.1);
        assertThat(half.jitterProb()).isEqualTo(simclr.jitterProb());
        assertThatThrownBy(() -> simclr.withJitterStrength(2.6)).isInstanceOf(BalconException.class)
                .hasMessage("colour-jitter strength must be in [0, 2.5], got 2.6");
        assertThatThrownBy(() -> simclr.withJitterStrength(Double.NaN)).isInstanceOf(BalconException.class);
        // the settings apply it over the named recipe; null keeps the recipe's own jitter
        assertThat(new AugmentationSettings("simclr-no-blur", 0.2, 1, 0.5).toRecipe().hue()).isEqualTo(0.1);
        assertThat(new AugmentationSettings("simclr-no-blur", 0.2, 1, null).toRecipe().hue()).isEqualTo(0.2);
        assertThatThrownBy(() -> new AugmentationSettings("simclr", 0.2, 1, -1.0))
                .isInstanceOfSatisfying(dev.balcon.InvalidField.class,
                        e -> assertThat(e.field()).isEqualTo("augmentation.jitterStrength"));
    }

    @Test
    void roundTripsThroughJsonAndYaml() throws Exception {
        AugmentationRecipe recipe = AugmentationRecipe.named("simclr+cutout").withCropScale(0.2, 1.0)
                .withJitter(0.4, 0.4, 0.2, 0.1);
        for (ObjectMapper mapper : new ObjectMapper[] {new ObjectMapper(), new ObjectMapper(new YAMLFactory())}) {
            String text = mapper.writeValueAsString(recipe);
            assertThat(text).contains("cropScale").contains("cutoutProb");
            assertThat(mapper.readValue(text, AugmentationRecipe.class)).isEqualTo(recipe);
        }
        String invalid = new ObjectMapper().writeValueAsString(recipe).replace("\"flipProb\":0.5", "\"flipProb\":2.0");
        assertThatThrownBy(() -> new ObjectMapper().readValue(invalid, AugmentationRecipe.class))
                .hasRootCauseInstanceOf(BalconException.class);
        String partial = new ObjectMapper().writeValueAsString(recipe).replace("\"flipProb\":0.5,", "");
        assertThatThrownBy(() -> new ObjectMapper().readValue(partial, AugmentationRecipe.class))
                .hasMessageContaining("flipProb");
    }

    @Test
    void noneRecipeAtTheDatasetSizeEqualsToTensor() {
        ImageDataset ds = TestImages.randomDataset(3, 3, 8, 8, 2, 1);
        Normalization normalization = new Normalization(new float[] {0.4f, 0.5f, 0.6f}, new float[] {0.2f, 0.3f, 0.4f});
        AugmentationPipeline none = AugmentationRecipe.named("none").build(3, 8, 8, normalization);
        float[] rendered = new float[192];
        float[] expected = new float[192];
        none.render(ds, 2, new SplittableRandom(1), rendered, 0);
        normalization.toTensor(ds, 2, expected, 0);
        assertThat(rendered).containsExactly(expected, within(1e-5f));
    }

    @Test
    void simclrOnOneChannelVariesAndStaysInTheNormalisedRange() {
        ImageDataset ds = TestImages.randomDataset(2, 1, 28, 28, 2, 2);
        AugmentationPipeline pipeline = AugmentationRecipe.named("simclr").build(1, 28, 28, Normalization.identity(1));
        float[] first = new float[784];
        float[] second = new float[784];
        pipeline.render(ds, 0, new SplittableRandom(1), first, 0);
        pipeline.render(ds, 0, new SplittableRandom(2), second, 0);
        assertThat(first).isNotEqualTo(second);
        for (float v : first) {
            assertThat(v).isBetween(0f, 1f);
        }
    }

    @Test
    void renderIsDeterministicPerRandomAndWritesOnlyItsSlot() {
        ImageDataset ds = TestImages.randomDataset(4, 3, 32, 32, 2, 3);
        for (String name : AugmentationRecipe.names()) {
            AugmentationPipeline pipeline = AugmentationRecipe.named(name).build(3, 24, 20, Normalization.of(ds));
            float[] a = new float[3 + 3 * 24 * 20 + 3];
            float[] b = new float[a.length];
            Arrays.fill(a, 42f);
            Arrays.fill(b, 42f);
            pipeline.render(ds, 1, new SplittableRandom(5), a, 3);
            pipeline.render(ds, 1, new SplittableRandom(5), b, 3);
            assertThat(a).as(name).containsExactly(b);
            assertThat(a[2]).isEqualTo(42f);
            assertThat(a[a.length - 3]).isEqualTo(42f);
        }
    }
}
