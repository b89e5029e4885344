package dev.balcon.loss;

import com.fasterxml.jackson.annotation.JsonIgnore;
import dev.balcon.BalconException;
import dev.balcon.InvalidField;

/**
 * The loss of a run's configuration ({@code method.loss} in config.json), as given: a preset of the contrastive loss
 * family and the settings that change it, each null for the preset's own default ({@link LossConfig#fromPreset}).
 * {@link #lossConfig()} is the loss they define.
 *
 * @param preset          loss preset (see {@link LossConfig#presetNames()})
 * @param tau             temperature for nt_xent and dcl (null = preset default)
 * @param alpha           inverse temperature for generalized_nt_xent and balanced (null = preset default)
 * @param lambda          repelling weight (null = preset default)
 * @param nu              the paper's nu (null = 1)
 * @param similarity      cosine, dot or neg_euclidean
 * @param scaleByInvAlpha whether the loss is divided by alpha (the paper's 1/alpha factor), or null for the preset's
 *                        own choice (on for balanced only); off compares losses at equal effective learning rate
 */
public record LossSettings(String preset, Double tau, Double alpha, Double lambda, Double nu, String similarity,
                           Boolean scaleByInvAlpha) {

    /**
     * @throws InvalidField naming the setting's path in config.json: {@code method.loss.alpha} for a parameter that
     *     does not apply to the preset or is out of range, {@code method.loss} for an unknown preset or similarity
     */
    public LossSettings {
        try {
            LossConfig.fromPreset(preset, tau, alpha, lambda, nu, similarity);
        } catch (InvalidField e) {
            throw new InvalidField("method.loss." + e.field(), e.detail());
        } catch (BalconException e) {
            throw new InvalidField("method.loss", "(preset " + preset + ") rejected: " + e.getMessage());
        }
    }

    /** The defaults: nt_xent with its own temperature, cosine similarity. */
    public static LossSettings defaults() {
        return new LossSettings("nt_xent", null, null, null, null, "cosine", null);
    }

    /** The loss these settings define. */
    public LossConfig lossConfig() {
        LossConfig loss = LossConfig.fromPreset(preset, tau, alpha, lambda, nu, similarity);
        return scaleByInvAlpha == null ? loss : loss.withScaleByInvAlpha(scaleByInvAlpha);
    }

    /** Whether every setting is left at {@link #defaults()}. */
    @JsonIgnore
    public boolean isDefault() {
        return equals(defaults());
    }
}
