package dev.balcon.inference;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.balcon.BalconException;
import dev.balcon.augment.Normalization;
import dev.balcon.model.ModelConfig;
import dev.balcon.model.ResNetConfig;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * model.json of an exported model directory: what a program needs to rebuild the encoder and feed it images,
 * and where the weights came from. Field names are snake_case in the file.
 *
 * @param format        always {@value #FORMAT}
 * @param formatVersion {@value #FORMAT_VERSION}; readers refuse other versions
 * @param balconVersion the balcon release that wrote the export
 * @param architecture  the network the weights belong to
 * @param input         what the network expects as input
 * @param featureDim    length of the backbone feature vector the encoder returns
 * @param weights       the weights file, its SHA-256 and its layout
 * @param training      how the weights were trained (informative; not needed to use them)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ModelManifest(String format, int formatVersion, String balconVersion, Architecture architecture,
                            Input input, int featureDim, Weights weights, Map<String, Object> training) {
    public static final String FORMAT = "balcon-encoder";
    public static final int FORMAT_VERSION = 1;
    public static final String FILE = "model.json";

    static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    /**
     * A ResNet with the CIFAR stem (3x3 convolution stride 1, batch norm, ReLU, no max-pool), stages of BasicBlocks
     * (stride 1 for the first stage, 2 for the others), global average pooling; then the 3-layer MLP projector.
     *
     * @param name               {@code resnet-small} or {@code resnet18}
     * @param stemWidth          output channels of the stem convolution
     * @param widths             output channels of each stage
     * @param depths             BasicBlocks per stage
     * @param projectorHiddenDim hidden width of the projector
     * @param projectorOutDim    output width of the projector
     */
    public record Architecture(String name, int stemWidth, List<Integer> widths, List<Integer> depths,
                               int projectorHiddenDim, int projectorOutDim) {}

    /**
     * The input the encoder expects: {@code channels x height x width} float32 values
     * {@code (pixel / 255 - mean[c]) / std[c]}, after the image was converted to {@code channels} (RGB, or ITU-R 601
     * luma for one channel), scaled with antialiased bilinear resampling to cover {@code height x width} and
     * centre-cropped.
     */
    public record Input(int channels, int height, int width, List<Float> mean, List<Float> std, String resize) {}

    /**
     * @param file   the safetensors file, relative to the directory
     * @param sha256 lower-case hex SHA-256 of that file
     * @param dtype  {@code float32} for every parameter ({@code num_batches_tracked} is int64, as in PyTorch)
     * @param layout how tensors are named
     */
    public record Weights(String file, String sha256, String dtype, String layout) {}

    /** The encoder's architecture for {@link dev.balcon.model.ContrastiveModel#create}. */
    ModelConfig modelConfig(Path file) {
        if (architecture == null || input == null || weights == null) {
            throw new BalconException(file + ": expected the fields architecture, input and weights");
        }
        if (!ResNetConfig.names().contains(architecture.name())) {
            throw new BalconException(file + ": architecture.name '" + architecture.name() + "' is unknown; this balcon "
                    + "reads " + String.join(", ", ResNetConfig.names()));
        }
        try {
            ResNetConfig backbone = new ResNetConfig(architecture.name(), architecture.stemWidth(),
                    toArray(architecture.widths()), toArray(architecture.depths()));
            ModelConfig config = new ModelConfig(backbone, input.channels(), architecture.projectorHiddenDim(),
                    architecture.projectorOutDim());
            if (config.featureDim() != featureDim) {
                throw new BalconException("feature_dim is " + featureDim + ", the architecture gives " + config.featureDim());
            }
            return config;
        } catch (BalconException e) {
            throw new BalconException(file + ": " + e.getMessage(), e);
        }
    }

    /** The input normalisation. */
    Normalization normalization(Path file) {
        if (input.mean() == null || input.std() == null) {
            throw new BalconException(file + ": expected input.mean and input.std, one value per channel");
        }
        try {
            float[] mean = toFloats(input.mean());
            float[] std = toFloats(input.std());
            Normalization normalization = new Normalization(mean, std);
            if (normalization.channels() != input.channels() || input.height() < 1 || input.width() < 1) {
                throw new BalconException("input has " + input.channels() + " channel(s) of " + input.height() + "x"
                        + input.width() + " and a normalisation of " + normalization.channels() + " channel(s)");
            }
            return normalization;
        } catch (BalconException e) {
            throw new BalconException(file + ": " + e.getMessage(), e);
        }
    }

    /** Reads and checks the format and version of {@code file}. */
    static ModelManifest read(Path file) {
        ModelManifest manifest;
        try {
            manifest = JSON.readValue(file.toFile(), ModelManifest.class);
        } catch (IOException e) {
            String message = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
            throw new BalconException("cannot read " + file + ": " + message, e);
        }
        if (manifest == null || !FORMAT.equals(manifest.format())) {
            throw new BalconException(file + ": format is " + (manifest == null ? null : "'" + manifest.format() + "'")
                    + ", expected '" + FORMAT + "'");
        }
        if (manifest.formatVersion() != FORMAT_VERSION) {
            throw new BalconException(file + ": format_version is " + manifest.formatVersion() + ", this balcon reads "
                    + FORMAT_VERSION);
        }
        return manifest;
    }

    byte[] toJson() {
        try {
            return JSON.writeValueAsBytes(this);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static int[] toArray(List<Integer> values) {
        return values == null ? null : values.stream().mapToInt(Integer::intValue).toArray();
    }

    private static float[] toFloats(List<Float> values) {
        float[] result = new float[values.size()];
        for (int i = 0; i < result.length; i++) {
            if (values.get(i) == null) {
                throw new BalconException("input.mean and input.std must be numbers, got " + values);
            }
            result[i] = values.get(i);
        }
        return result;
    }
}
