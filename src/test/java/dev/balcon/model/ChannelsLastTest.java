package dev.balcon.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ChannelsLastTest {

    @Test
    void keepsShapeAndValuesInLogicalOrderAndPassesTheGradientThrough() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(7);
            NDArray x = manager.randomNormal(new Shape(2, 3, 4, 5));
            x.setRequiresGradient(true);
            NDArray weights = manager.arange(120f).reshape(2, 3, 4, 5);
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray y = ChannelsLast.of(x);
                assertThat(y.getShape()).isEqualTo(x.getShape());
                assertThat(y.toFloatArray()).containsExactly(x.toFloatArray());
                // A position-dependent weight: a layout mix-up would send each gradient to the wrong element.
                collector.backward(y.mul(weights).sum());
            }
            assertThat(x.getGradient().toFloatArray()).containsExactly(weights.toFloatArray());
        }
    }

    @Test
    void theModelsFeaturesDoNotDependOnTheBatchLayoutOfTheirNeighbours() {
        // Channels-last changes strides, not what a row means: each image's features are the same alone or in a batch.
        ModelConfig config = new ModelConfig(ResNetConfig.named("resnet-small", 8), 3, 64, 16);
        try (NDManager manager = NDManager.newBaseManager();
             ContrastiveModel model = ContrastiveModel.create(config, 12, 12, manager, 3)) {
            Engine.getInstance().setRandomSeed(11);
            NDArray images = manager.randomNormal(new Shape(4, 3, 12, 12));
            float[] batch = model.features(images).toFloatArray();
            float[] second = model.features(images.get("1:2")).toFloatArray();
            int dim = model.featureDim();
            for (int k = 0; k < dim; k++) {
                assertThat(second[k]).isCloseTo(batch[dim + k], org.assertj.core.data.Offset.offset(1e-5f));
            }
        }
    }
}
