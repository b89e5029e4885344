package dev.balcon.model;

import dev.balcon.BalconException;
import dev.balcon.InvalidField;

/**
 * The model group of a run's configuration ({@code model} in config.json): the networks by name and size, before the
 * images' channels are known ({@link #modelConfig}).
 *
 * @param arch            backbone name (see {@link ResNetConfig#names()})
 * @param width           base width of the backbone, &gt;= 1
 * @param projectorHidden hidden width of the 3-layer projector, &gt;= 1
 * @param projectorOut    output dimension of the projector, &gt;= 1
 */
public record ModelSettings(String arch, int width, int projectorHidden, int projectorOut) {

    public ModelSettings {
        requirePositive("model.width", width);
        requirePositive("model.projectorHidden", projectorHidden);
        requirePositive("model.projectorOut", projectorOut);
        if (arch == null) {
            throw new InvalidField("model.arch", "must be one of " + ResNetConfig.names() + ", got nothing");
        }
        try {
            ResNetConfig.named(arch, width);
        } catch (BalconException e) {
            throw new InvalidField("model.arch", "is not a backbone: " + e.getMessage());
        }
    }

    /** The defaults: resnet-small of width 16, projector 512-512-128. */
    public static ModelSettings defaults() {
        return new ModelSettings("resnet-small", 16, 512, 128);
    }

    /** The encoder and projector, for images with {@code channels} channels. */
    public ModelConfig modelConfig(int channels) {
        return new ModelConfig(ResNetConfig.named(arch, width), channels, projectorHidden, projectorOut);
    }

    private static void requirePositive(String field, int value) {
        if (value < 1) {
            throw new InvalidField(field, "must be >= 1, got " + value);
        }
    }
}
