package dev.balcon.model;

import dev.balcon.BalconException;
import java.util.Objects;

/**
 * Architecture of a {@link ContrastiveModel}: a ResNet backbone over images with {@code inChannels}
 * channels, followed by a 3-layer MLP projector {@code featureDim -> projectorHiddenDim ->
 * projectorHiddenDim -> projectorOutDim}.
 */
public record ModelConfig(ResNetConfig backbone, int inChannels, int projectorHiddenDim, int projectorOutDim) {

    public ModelConfig {
        Objects.requireNonNull(backbone, "backbone");
        requirePositive("input channels", inChannels);
        requirePositive("projector hidden dimension", projectorHiddenDim);
        requirePositive("projector output dimension", projectorOutDim);
    }

    /** Length of the backbone feature vector. */
    public int featureDim() {
        return backbone.featureDim();
    }

    @Override
    public String toString() {
        return backbone + ", " + inChannels + " input channels, projector " + featureDim() + "-"
                + projectorHiddenDim + "-" + projectorHiddenDim + "-" + projectorOutDim;
    }

    private static void requirePositive(String what, int value) {
        if (value <= 0) {
            throw new BalconException(what + " must be > 0, got " + value);
        }
    }
}
