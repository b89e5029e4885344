package dev.balcon.model;

import dev.balcon.BalconException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ModelFlopsTest {

    @Test
    void matchesTheCountOfForwardHooksOnThePeersPyTorchModel() {
        // Counted independently with forward hooks on bench/peer_simclr.py's ContrastiveModel (torch 1.13): per image,
        // out.numel() * in_channels * k * k for each Conv2d and in * out for each Linear.
        ModelConfig resnet18 = new ModelConfig(ResNetConfig.named("resnet18"), 3, 2048, 128);
        assertThat(ModelFlops.backboneMultiplyAdds(resnet18, 32, 32)).isEqualTo(555_417_600L);
        assertThat(ModelFlops.multiplyAdds(resnet18, 32, 32)).isEqualTo(555_417_600L + 5_505_024L);
        ModelConfig small = new ModelConfig(ResNetConfig.named("resnet-small", 16), 1, 512, 128);
        assertThat(ModelFlops.multiplyAdds(small, 28, 28)).isEqualTo(13_408_512L);
    }

    @Test
    void countsEveryConvolutionAndLinearLayerOfASmallModelByHand() {
        // resnet-small width 2 (stages 2,4,8,16, one block each) on 1x4x4 images, projector 8 -> 3
        ModelConfig config = new ModelConfig(ResNetConfig.named("resnet-small", 2), 1, 8, 3);
        long stem = 4 * 4 * 2 * 1 * 9;
        long stage1 = 4 * 4 * 2 * 2 * 9 * 2;                         // 4x4, 2 -> 2, identity shortcut
        long stage2 = 2 * 2 * (4 * 2 * 9 + 4 * 4 * 9 + 4 * 2);       // 2x2, 2 -> 4, 1x1 shortcut
        long stage3 = 1 * 1 * (8 * 4 * 9 + 8 * 8 * 9 + 8 * 4);       // 1x1, 4 -> 8
        long stage4 = 1 * 1 * (16 * 8 * 9 + 16 * 16 * 9 + 16 * 8);   // ceil(1 / 2) = 1, 8 -> 16
        long projector = 16 * 8 + 8 * 8 + 8 * 3;

        assertThat(ModelFlops.backboneMultiplyAdds(config, 4, 4)).isEqualTo(stem + stage1 + stage2 + stage3 + stage4);
        assertThat(ModelFlops.projectorMultiplyAdds(config)).isEqualTo(projector);
        assertThat(ModelFlops.trainingStepFlops(config, 4, 4, 10))
                .isEqualTo(6.0 * 10 * (stem + stage1 + stage2 + stage3 + stage4 + projector));
    }

    @Test
    void rejectsAnEmptyImage() {
        ModelConfig config = new ModelConfig(ResNetConfig.named("resnet-small", 2), 1, 8, 3);
        assertThatThrownBy(() -> ModelFlops.multiplyAdds(config, 0, 4)).isInstanceOf(BalconException.class)
                .hasMessageContaining("0x4");
    }
}
