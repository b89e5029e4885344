package dev.balcon.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.balcon.BalconException;
import dev.balcon.testing.SharedManager;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ContrastiveModelTest {

    @RegisterExtension
    static final SharedManager MANAGER = new SharedManager();

    private static ModelConfig smallConfig(int inChannels, int width) {
        return new ModelConfig(ResNetConfig.named("resnet-small", width), inChannels, 64, 16);
    }

    private static NDArray images(NDManager m, int batch, int channels, int size, int seed) {
        Engine.getInstance().setRandomSeed(seed);
        return m.randomNormal(new Shape(batch, channels, size, size));
    }

    @ParameterizedTest
    @CsvSource({"resnet-small, 1, 28", "resnet-small, 3, 32", "resnet18, 1, 28", "resnet18, 3, 32"})
    void outputsHaveFeatureAndProjectionShapes(String arch, int channels, int size) {
        ModelConfig config = new ModelConfig(ResNetConfig.named(arch), channels, 96, 24);
        try (NDManager m = MANAGER.get().newSubManager();
                ContrastiveModel model = ContrastiveModel.create(config, size, size, m, 1)) {
            NDArray x = images(m, 2, channels, size, 5);
            NDList out = model.forward(new ParameterStore(m, false), x, true);
            int featureDim = arch.equals("resnet18") ? 512 : 256;
            assertThat(model.featureDim()).isEqualTo(featureDim);
            assertThat(out.get(0).getShape()).isEqualTo(new Shape(2, featureDim));
            assertThat(out.get(1).getShape()).isEqualTo(new Shape(2, 24));
            assertThat(model.features(x).getShape()).isEqualTo(new Shape(2, featureDim));
            assertThat(model.project(x).getShape()).isEqualTo(new Shape(2, 24));
        }
    }

    @Test
    void resnet18BackboneHasTorchvisionParameterCount() {
        // 11,168,832 = sum(p.numel()) of torchvision.models.resnet18() with fc removed and conv1 replaced by
        // Conv2d(3, 64, 3, stride 1, padding 1, bias=False) (torch 1.13 / torchvision 0.14, counted once).
        ModelConfig config = new ModelConfig(ResNetConfig.named("resnet18"), 3, 2048, 128);
        try (NDManager m = MANAGER.get().newSubManager();
                ContrastiveModel model = ContrastiveModel.create(config, 32, 32, m, 1)) {
            assertThat(model.backboneParameterCount()).isEqualTo(11_168_832L);
            long projector = 512L * 2048 + 2 * 2048 + 2048L * 2048 + 2 * 2048 + 2048L * 128 + 128;
            assertThat(model.parameterCount()).isEqualTo(11_168_832L + projector);
        }
    }

    @Test
    void resnetSmallBackboneHasPeerParameterCount() {
        // 1,225,824 = trainable parameters of bench/peer_simclr.py's PyTorch backbone (resnet-small, width 32,
        // 1 input channel).
        try (NDManager m = MANAGER.get().newSubManager();
                ContrastiveModel model = ContrastiveModel.create(smallConfig(1, 32), 28, 28, m, 1)) {
            assertThat(model.backboneParameterCount()).isEqualTo(1_225_824L);
        }
    }

    @Test
    void matchesThePyTorchPeerOnFixedWeights() {
        // Expected values: bench/peer_simclr.py's ContrastiveModel("resnet-small", 2, 1, 8, 4) in torch 1.13 with
        // parameter k (in model.parameters() order) set to 0.3 sin(0.9 j + 1.7 k + 0.1) at flat index j, default
        // running statistics, and input sin(0.37 j); eval() then train() forward.
        float[] evalProjections = {-2.1133527e-01f, -4.2819089e-01f, -3.1730717e-01f, 3.9037496e-02f,
            -2.1133529e-01f, -4.2819089e-01f, -3.1730717e-01f, 3.9037541e-02f};
        float[] trainFeatures = {2.2247162e-01f, 0f, 0f, 6.5814182e-03f, 1.6105491e-01f, 1.4735033e-01f,
            6.1981583e-01f, 0f, 0f, 0f, 5.3516304e-01f, 8.3321258e-02f, 1.5205629e-01f, 1.9374907e-02f, 0f, 0f,
            0f, 0f, 0f, 5.2887678e-02f, 6.5476370e-01f, 8.0742264e-01f, 0f, 0f,
            0f, 0f, 0f, 7.4199080e-01f, 7.9780954e-01f, 3.3620518e-01f, 0f, 0f};
        float[] trainProjections = {-1.6297068e-01f, -4.9353486e-01f, -4.4517604e-01f, -5.1196814e-02f,
            -2.5764167e-01f, -3.6207190e-01f, -1.9055367e-01f, 1.2713988e-01f};
        ModelConfig config = new ModelConfig(ResNetConfig.named("resnet-small", 2), 1, 8, 4);
        try (NDManager m = MANAGER.get().newSubManager();
                ContrastiveModel model = ContrastiveModel.create(config, 8, 8, m, 1)) {
            List<Parameter> parameters = model.trainableParameters();
            assertThat(parameters).hasSize(44);
            for (int k = 0; k < parameters.size(); k++) {
                float[] values = new float[Math.toIntExact(parameters.get(k).getArray().size())];
                for (int j = 0; j < values.length; j++) {
                    values[j] = (float) (0.3 * Math.sin(0.9 * j + 1.7 * k + 0.1));
                }
                parameters.get(k).getArray().set(values);
            }
            float[] input = new float[2 * 64];
            for (int j = 0; j < input.length; j++) {
                input[j] = (float) Math.sin(0.37 * j);
            }
            NDArray x = m.create(input, new Shape(2, 1, 8, 8));

            assertThat(model.project(x).toFloatArray()).containsExactly(evalProjections, within(1e-5f));
            NDList training = model.forward(new ParameterStore(m, false), x, true);
            assertThat(training.get(0).toFloatArray()).containsExactly(trainFeatures, within(1e-5f));
            assertThat(training.get(1).toFloatArray()).containsExactly(trainProjections, within(1e-5f));
        }
    }

    @Test
    void initialisationFollowsTorchvision() {
        ModelConfig config = new ModelConfig(ResNetConfig.named("resnet18"), 3, 2048, 128);
        try (NDManager m = MANAGER.get().newSubManager();
                ContrastiveModel model = ContrastiveModel.create(config, 32, 32, m, 3)) {
            for (Parameter p : model.trainableParameters()) {
                NDArray a = p.getArray();
                long[] s = a.getShape().getShape();
                switch (p.getType()) {
                    case GAMMA -> assertThat(a.eq(1).all().getBoolean()).as(p.getName()).isTrue();
                    case BETA -> assertThat(a.eq(0).all().getBoolean()).as(p.getName()).isTrue();
                    case WEIGHT -> {
                        double std = a.toType(ai.djl.ndarray.types.DataType.FLOAT64, false)
                                .sub(a.mean().getFloat()).square().mean().sqrt().getDouble();
                        if (s.length == 4 && a.size() > 100_000) {
                            // kaiming normal, fan out: std = sqrt(2 / (out * kh * kw))
                            assertThat(std).isCloseTo(Math.sqrt(2.0 / (s[0] * s[2] * s[3])), within(0.01 * std));
                        } else if (s.length == 2) {
                            // U(-1/sqrt(fan_in), 1/sqrt(fan_in)) has std bound / sqrt(3)
                            double bound = 1 / Math.sqrt(s[1]);
                            assertThat(a.abs().max().getFloat()).isLessThanOrEqualTo((float) bound);
                            assertThat(std).isCloseTo(bound / Math.sqrt(3), within(0.02 * bound));
                        }
                    }
                    case BIAS -> assertThat(a.abs().max().getFloat()).isLessThanOrEqualTo((float) (1 / Math.sqrt(2048)));
                    default -> throw new AssertionError("unexpected trainable parameter " + p.getName());
                }
            }
        }
    }

    @Test
    void sameSeedGivesIdenticalParametersAndAnotherSeedDifferent() {
        try (NDManager m = MANAGER.get().newSubManager();
                ContrastiveModel a = ContrastiveModel.create(smallConfig(1, 8), 28, 28, m, 42);
                ContrastiveModel b = ContrastiveModel.create(smallConfig(1, 8), 28, 28, m, 42);
                ContrastiveModel c = ContrastiveModel.create(smallConfig(1, 8), 28, 28, m, 43)) {
            List<Parameter> pa = a.trainableParameters();
            List<Parameter> pb = b.trainableParameters();
            List<Parameter> pc = c.trainableParameters();
            assertThat(pa).hasSameSizeAs(pb);
            boolean anyDifferent = false;
            for (int i = 0; i < pa.size(); i++) {
                assertThat(pb.get(i).getArray().toFloatArray()).containsExactly(pa.get(i).getArray().toFloatArray());
                anyDifferent |= !pa.get(i).getArray().contentEquals(pc.get(i).getArray());
            }
            assertThat(anyDifferent).isTrue();
        }
    }

    @Test
    void trainingModeUsesBatchStatisticsAndUpdatesRunningStatistics() {
        try (NDManager m = MANAGER.get().newSubManager();
                ContrastiveModel model = ContrastiveModel.create(smallConfig(1, 8), 28, 28, m, 7)) {
            NDArray x = images(m, 4, 1, 28, 9).mul(3).add(2);
            NDArray inference = model.project(x);
            NDArray inferenceAgain = model.project(x);
            assertThat(inferenceAgain.toFloatArray()).containsExactly(inference.toFloatArray());

            NDArray training = model.forward(new ParameterStore(m, false), x, true).get(1);
            assertThat(training.sub(inference).abs().max().getFloat()).isGreaterThan(1e-3f);
            // the batch-norm running statistics moved towards the batch statistics, so inference changed too
            assertThat(model.project(x).sub(inference).abs().max().getFloat()).isGreaterThan(1e-4f);
        }
    }

    @Test
    void everyTrainableParameterReceivesAGradient() {
        try (NDManager m = MANAGER.get().newSubManager();
                ContrastiveModel model = ContrastiveModel.create(smallConfig(1, 8), 28, 28, m, 11)) {
            NDArray x = images(m, 4, 1, 28, 13);
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray projections = model.forward(new ParameterStore(m, false), x, true).get(1);
                collector.backward(projections.sum());
            }
            List<Parameter> trainable = model.trainableParameters();
            // conv weights and batch-norm gamma/beta of stem, 4 blocks with 3 shortcuts, projector
            assertThat(trainable).hasSize(3 + 4 * 6 + 3 * 3 + 3 + 3 + 2);
            for (Parameter p : trainable) {
                NDArray gradient = p.getArray().getGradient();
                assertThat(gradient.getShape()).isEqualTo(p.getArray().getShape());
                assertThat(gradient.abs().sum().getFloat()).as(p.getName()).isGreaterThan(0f);
                assertThat(gradient.isInfinite().any().getBoolean() || gradient.isNaN().any().getBoolean())
                        .as(p.getName()).isFalse();
            }

            // a second identical pass adds the same gradient again (training mode ignores the running statistics)
            float[] stemGradient = trainable.get(0).getArray().getGradient().toFloatArray();
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                collector.backward(model.forward(new ParameterStore(m, false), x, true).get(1).sum());
            }
            float[] accumulated = trainable.get(0).getArray().getGradient().toFloatArray();
            for (int i = 0; i < stemGradient.length; i++) {
                assertThat(accumulated[i]).isCloseTo(2 * stemGradient[i], within(1e-4f * (1 + Math.abs(stemGradient[i]))));
            }
        }
    }

    @Test
    void savedParametersReloadToIdenticalOutputs() throws IOException {
        try (NDManager m = MANAGER.get().newSubManager();
                ContrastiveModel source = ContrastiveModel.create(smallConfig(3, 8), 32, 32, m, 1);
                ContrastiveModel target = ContrastiveModel.create(smallConfig(3, 8), 32, 32, m, 2)) {
            NDArray x = images(m, 4, 3, 32, 17);
            // move the running statistics away from their initial values so that the round trip must carry them
            source.forward(new ParameterStore(m, false), x.mul(2).add(1), true);
            assertThat(target.project(x).contentEquals(source.project(x))).isFalse();

            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            source.saveParameters(new DataOutputStream(bytes));
            target.loadParameters(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));

            assertThat(target.features(x).toFloatArray()).containsExactly(source.features(x).toFloatArray());
            assertThat(target.project(x).toFloatArray()).containsExactly(source.project(x).toFloatArray());
            assertThat(target.trainableParameters()).allMatch(p -> p.getArray().hasGradient(), "still trainable");
        }
    }

    @Test
    void loadingAnotherArchitectureIsRefusedAndLeavesTheModelUnchanged() throws IOException {
        try (NDManager m = MANAGER.get().newSubManager();
                ContrastiveModel source = ContrastiveModel.create(smallConfig(1, 8), 28, 28, m, 1);
                ContrastiveModel wider = ContrastiveModel.create(smallConfig(1, 16), 28, 28, m, 2)) {
            NDArray x = images(m, 2, 1, 28, 19);
            float[] before = wider.project(x).toFloatArray();
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            source.saveParameters(new DataOutputStream(bytes));

            assertThatThrownBy(() -> wider.loadParameters(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray()))))
                    .isInstanceOf(BalconException.class)
                    .hasMessageStartingWith("checkpoint does not match the model: ")
                    .hasMessageContaining("widths [8, 16, 32, 64]")
                    .hasMessageContaining("widths [16, 32, 64, 128]");
            assertThatThrownBy(() -> wider.loadParameters(new DataInputStream(new ByteArrayInputStream(new byte[64]))))
                    .isInstanceOf(BalconException.class)
                    .hasMessage("checkpoint does not match the model: not a balcon model checkpoint");
            assertThat(wider.project(x).toFloatArray()).containsExactly(before);
        }
    }

    @Test
    void imagesWithTheWrongNumberOfChannelsAreRejected() {
        try (NDManager m = MANAGER.get().newSubManager();
                ContrastiveModel model = ContrastiveModel.create(smallConfig(1, 8), 28, 28, m, 1)) {
            assertThatThrownBy(() -> model.features(m.zeros(new Shape(2, 3, 28, 28))))
                    .isInstanceOf(BalconException.class)
                    .hasMessage("images must have shape [B, 1, H, W], got (2, 3, 28, 28)");
        }
    }
}
