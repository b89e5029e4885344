package dev.balcon.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.balcon.BalconException;
import org.junit.jupiter.api.Test;

class ResNetConfigTest {

    @Test
    void resnetSmallHasOneBlockPerStageAndDoublingWidths() {
        ResNetConfig config = ResNetConfig.named("resnet-small", 16);
        assertThat(config.stemWidth()).isEqualTo(16);
        assertThat(config.widths()).containsExactly(16, 32, 64, 128);
        assertThat(config.depths()).containsExactly(1, 1, 1, 1);
        assertThat(config.featureDim()).isEqualTo(128);
    }

    @Test
    void defaultWidthsAre32ForResnetSmallAnd64ForResnet18() {
        assertThat(ResNetConfig.named("resnet-small").widths()).containsExactly(32, 64, 128, 256);
        ResNetConfig resnet18 = ResNetConfig.named("resnet18");
        assertThat(resnet18.widths()).containsExactly(64, 128, 256, 512);
        assertThat(resnet18.depths()).containsExactly(2, 2, 2, 2);
        assertThat(resnet18.featureDim()).isEqualTo(512);
    }

    @Test
    void unknownNameIsRejectedWithTheKnownNames() {
        assertThatThrownBy(() -> ResNetConfig.named("resnet50", 64))
                .isInstanceOf(BalconException.class)
                .hasMessageContaining("resnet50")
                .hasMessageContaining("resnet-small")
                .hasMessageContaining("resnet18");
        assertThat(ResNetConfig.names()).containsExactly("resnet-small", "resnet18");
    }

    @Test
    void invalidShapesAreRejected() {
        assertThatThrownBy(() -> ResNetConfig.named("resnet18", 0)).isInstanceOf(BalconException.class);
        assertThatThrownBy(() -> new ResNetConfig("x", 8, new int[] {8, 16}, new int[] {1}))
                .isInstanceOf(BalconException.class)
                .hasMessageContaining("equal length");
        assertThatThrownBy(() -> new ResNetConfig("x", 8, new int[] {8}, new int[] {0}))
                .isInstanceOf(BalconException.class);
        assertThatThrownBy(() -> new ResNetConfig(" ", 8, new int[] {8}, new int[] {1}))
                .isInstanceOf(BalconException.class);
    }

    @Test
    void equalityIsByValueAndArraysAreCopied() {
        int[] widths = {8, 16};
        ResNetConfig config = new ResNetConfig("tiny", 8, widths, new int[] {1, 1});
        widths[0] = 99;
        config.widths()[1] = 99;
        assertThat(config.widths()).containsExactly(8, 16);
        assertThat(config).isEqualTo(new ResNetConfig("tiny", 8, new int[] {8, 16}, new int[] {1, 1}));
        assertThat(config.hashCode())
                .isEqualTo(new ResNetConfig("tiny", 8, new int[] {8, 16}, new int[] {1, 1}).hashCode());
        assertThat(config.toString()).isEqualTo("tiny(stem 8, widths [8, 16], depths [1, 1])");
    }

    @Test
    void modelConfigRejectsNonPositiveDimensions() {
        ResNetConfig backbone = ResNetConfig.named("resnet-small");
        assertThatThrownBy(() -> new ModelConfig(backbone, 0, 512, 128))
                .isInstanceOf(BalconException.class)
                .hasMessage("input channels must be > 0, got 0");
        assertThatThrownBy(() -> new ModelConfig(backbone, 1, -1, 128)).isInstanceOf(BalconException.class);
        assertThatThrownBy(() -> new ModelConfig(backbone, 1, 512, 0)).isInstanceOf(BalconException.class);
        assertThat(new ModelConfig(backbone, 1, 512, 128).featureDim()).isEqualTo(256);
    }
}
