package dev.balcon.train;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonIgnore;
import dev.balcon.BalconException;
import dev.balcon.augment.AugmentationRecipe;
import dev.balcon.loss.LossConfig;
import dev.balcon.model.ModelConfig;
import dev.balcon.model.ResNetConfig;

/**
 * Everything that defines a pretraining run. Stored as config.json in the run directory, so that a run
 * can be resumed, evaluated and compared without the command line that started it.
 *
 * @param dataset         dataset kind: "fashion-mnist"
 * @param dataDir         dataset location, or null for the dataset's default place
 * @param trainLimit      use only the first this many training images (0 = all); for quick trials
 * @param arch            backbone name (see ResNetConfig.names())
 * @param width           base width of the backbone
 * @param projectorHidden hidden width of the 3-layer projector
 * @param projectorOut    output dimension of the projector
 * @param loss            loss preset (see LossConfig.presetNames())
 * @param tau             temperature for nt_xent and dcl (null = preset default)
 * @param alpha           inverse temperature for generalized_nt_xent and balanced (null = preset default)
 * @param lambda          repelling weight (null = preset default)
 * @param nu              the paper's nu (null = 1)
 * @param similarity      cosine, dot or neg_euclidean
 * @param recipe          augmentation recipe name
 * @param cropScaleMin    random-resized-crop lower area bound
 * @param cropScaleMax    random-resized-crop upper area bound
 * @param epochs          number of epochs
 * @param batchSize       images per step (two views each)
 * @param learningRate    peak learning rate (after warm-up)
 * @param momentum        SGD momentum
 * @param weightDecay     L2 weight decay (not on biases and batch-norm parameters)
 * @param warmupEpochs    linear warm-up length in epochs (fractions allowed)
 * @param seed            seed of initialisation, shuffling and augmentation
 * @param workers         augmentation threads
 * @param boundMonitor    measure the bound gaps and the prototype bias on a probe set after every epoch
 * @param probeSize       images in that probe (class-balanced, from the test split)
 * @param probeViews      augmented views per probe image, >= 2
 * @param scaleByInvAlpha whether the loss is divided by alpha (the paper's 1/alpha factor), or null for the loss
 *                        preset's own choice (on for balanced only); off compares losses at equal effective
 *                        learning rate (spec/experiments.md, "A trap to control for")
 */
@JsonIgnoreProperties(ignoreUnknown = false)
public record PretrainConfig(
        String dataset, String dataDir, int trainLimit,
        String arch, int width, int projectorHidden, int projectorOut,
        String loss, Double tau, Double alpha, Double lambda, Double nu, String similarity,
        String recipe, double cropScaleMin, double cropScaleMax,
        int epochs, int batchSize, double learningRate, double momentum, double weightDecay,
        double warmupEpochs, long seed, int workers,
        boolean boundMonitor, int probeSize, int probeViews, Boolean scaleByInvAlpha) {

    public PretrainConfig {
        if (epochs < 1) {
            throw new BalconException("--epochs must be >= 1, got " + epochs);
        }
        if (batchSize < 2) {
            throw new BalconException("--batch-size must be >= 2 (contrastive losses need negatives), got " + batchSize);
        }
        if (!(learningRate > 0) || !Double.isFinite(learningRate)) {
            throw new BalconException("--lr must be a finite number > 0, got " + learningRate);
        }
        if (!(warmupEpochs >= 0) || warmupEpochs > epochs) {
            throw new BalconException("--warmup-epochs must be between 0 and --epochs (" + epochs + "), got " + warmupEpochs);
        }
        if (trainLimit < 0) {
            throw new BalconException("--train-limit must be >= 0 (0 = all images), got " + trainLimit);
        }
        if (workers < 1) {
            throw new BalconException("--workers must be >= 1, got " + workers);
        }
        if (width < 1 || projectorHidden < 1 || projectorOut < 1) {
            throw new BalconException("--width, --proj-hidden and --proj-out must be >= 1, got "
                    + width + ", " + projectorHidden + ", " + projectorOut);
        }
        // Checked only when the monitor is on: a config.json written before these fields existed reads them as
        // false / 0 / 0 and must stay readable.
        if (boundMonitor && probeSize < 2) {
            throw new BalconException("--probe-size must be >= 2 images, got " + probeSize);
        }
        if (boundMonitor && probeViews < 2) {
            throw new BalconException("--probe-views must be >= 2 (the bounds compare each view with the other views"
                    + " of its image), got " + probeViews);
        }
    }

    /** The encoder and projector this run trains, for images with {@code channels} channels. */
    public ModelConfig modelConfig(int channels) {
        return new ModelConfig(ResNetConfig.named(arch, width), channels, projectorHidden, projectorOut);
    }

    @JsonIgnore
    public LossConfig lossConfig() {
        LossConfig preset = LossConfig.fromPreset(loss, tau, alpha, lambda, nu, similarity);
        return scaleByInvAlpha == null ? preset : preset.withScaleByInvAlpha(scaleByInvAlpha);
    }

    @JsonIgnore
    public AugmentationRecipe augmentationRecipe() {
        return AugmentationRecipe.named(recipe).withCropScale(cropScaleMin, cropScaleMax);
    }

    /** Checks every part that is validated elsewhere (model, loss, recipe), so a bad option fails before any work. */
    public void validate() {
        modelConfig(1);
        lossConfig();
        augmentationRecipe();
    }
}
