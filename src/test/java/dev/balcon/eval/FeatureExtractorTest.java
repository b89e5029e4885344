package dev.balcon.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import dev.balcon.BalconException;
import dev.balcon.augment.Normalization;
import dev.balcon.data.ImageDataset;
import dev.balcon.model.ContrastiveModel;
import dev.balcon.model.ModelConfig;
import dev.balcon.model.Precision;
import dev.balcon.model.ResNetConfig;
import dev.balcon.train.SyntheticImages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FeatureExtractorTest {

    /** A model whose finite weights overflow in the first convolution, so every feature is NaN. */
    private static ContrastiveModel overflowing(NDManager manager) {
        ContrastiveModel model = ContrastiveModel.create(new ModelConfig(ResNetConfig.named("resnet-small", 4), 1, 16, 8),
                16, 16, manager, 3);
        Parameter conv = model.trainableParameters().stream().filter(p -> p.getArray().getShape().dimension() == 4)
                .findFirst().orElseThrow();
        conv.getArray().muli(0).addi(Float.MAX_VALUE / 2);
        return model;
    }

    @Test
    void bf16BackboneFeaturesAreFloat32AndCloseToTheFp32OnesButNotEqual() {
        ImageDataset images = SyntheticImages.quadrants(40, 16, 1);
        Normalization normalization = Normalization.of(images);
        try (NDManager manager = NDManager.newBaseManager();
             ContrastiveModel model = ContrastiveModel.create(
                     new ModelConfig(ResNetConfig.named("resnet-small", 4), 1, 16, 8), 16, 16, manager, 5)) {
            NDArray fp32 = FeatureExtractor.backboneFeatures(model, images, normalization, manager);
            model.setPrecision(Precision.BF16);
            NDArray bf16 = FeatureExtractor.backboneFeatures(model, images, normalization, manager);

            assertThat(bf16.getDataType()).isEqualTo(DataType.FLOAT32);
            assertThat(bf16.getShape()).isEqualTo(fp32.getShape()).isEqualTo(new Shape(40, model.featureDim()));
            double error = relativeError(fp32.toFloatArray(), bf16.toFloatArray());
            // bfloat16 keeps 8 bits of mantissa (2^-9 relative rounding per value); through the backbone the
            // features moved by 0.6% here (seed 5); and they do move, so bf16 did run
            assertThat(error).isLessThan(0.05).isGreaterThan(1e-4);
        }
    }

    /** ||a - b|| / ||a||, Euclidean over all values. */
    static double relativeError(float[] a, float[] b) {
        assertThat(b).hasSameSizeAs(a);
        double difference = 0;
        double norm = 0;
        for (int i = 0; i < a.length; i++) {
            difference += ((double) a[i] - b[i]) * ((double) a[i] - b[i]);
            norm += (double) a[i] * a[i];
        }
        return Math.sqrt(difference / norm);
    }

    @Test
    void aDivergedModelIsRefusedAtItsFirstBatchNotAfterTheWholeSplit(@TempDir Path dir) {
        ImageDataset images = SyntheticImages.quadrants(1200, 16, 1); // three batches of 512
        try (NDManager manager = NDManager.newBaseManager(); ContrastiveModel model = overflowing(manager)) {
            assertThatThrownBy(() -> FeatureExtractor.backboneFeatures(model, images, Normalization.of(images), manager))
                    .isInstanceOf(NonFinite.Found.class)
                    .hasMessage("512 of the first 512 rows hold NaN or infinite values, as a diverged model's do; "
                            + "refusing to score them");

            // Through the cache: named after the run's checkpoint, computed no further, nothing cached.
            Path checkpoint = dir.resolve("checkpoint.bin");
            AtomicInteger computations = new AtomicInteger();
            FeatureCache cache = new FeatureCache(dir, checkpoint);
            assertThatThrownBy(() -> cache.getOrCompute("train", images.name(), images.size(), manager, () -> {
                computations.incrementAndGet();
                return FeatureExtractor.backboneFeatures(model, images, Normalization.of(images), manager);
            })).isInstanceOf(BalconException.class)
                    .hasMessage("the train features of " + checkpoint + ": 512 of the first 512 rows hold NaN or "
                            + "infinite values, as a diverged model's do; refusing to score them");
            assertThat(computations.get()).isEqualTo(1);
            assertThat(Files.exists(cache.file("train"))).isFalse();
        }
    }
}
