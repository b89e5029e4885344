package dev.balcon.train;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonIgnore;
import dev.balcon.BalconException;
import dev.balcon.augment.AugmentationRecipe;
import dev.balcon.data.DataSelection;
import dev.balcon.data.RunData;
import dev.balcon.loss.LossConfig;
import dev.balcon.model.ModelConfig;
import dev.balcon.model.ResNetConfig;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Everything that defines a pretraining run. Stored as config.json in the run directory, so that a run
 * can be resumed, evaluated and compared without the command line that started it.
 *
 * @param dataset         dataset kind: fashion-mnist, cifar10, cifar100, imagefolder, list, unlabelled-folder
 * @param dataDir         dataset location (image root for list), or null for the dataset's default place
 * @param trainLimit      train on this many images (0 = all), a stratified draw seeded by {@code dataSeed}; for
 *                        quick trials
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
 * @param imageSize       side length image folders are resized to on load; 0 = the dataset's default (native
 *                        size for Fashion-MNIST and CIFAR, which cannot be resized, 32 for image folders)
 * @param channels        1 or 3 channels for image folders; 0 = the dataset's default (native, 3 for image folders)
 * @param strict          fail on an undecodable image file instead of skipping and counting it
 * @param testFraction    share of each class held out as the test set when an image folder or list has no
 *                        test split of its own, in (0, 1)
 * @param dataSeed        seed of every subset of the images (held-out test split, train limit, class profile, the
 *                        evaluation's training images), separate from {@code seed} so that runs with different
 *                        training seeds see the same images (docs/data.md, "Subsets")
 * @param cacheDir        where decoded image folders are cached, or null for no cache
 * @param trainList       list file of the training images (dataset "list")
 * @param testList        list file of the test images (dataset "list"), or null to hold out --test-fraction
 * @param evalData        labelled image folder for k-NN instead of the dataset's own splits, or null
 * @param classProfile    class-size profile of the training subset: none, exp or pareto
 * @param rho             imbalance ratio n_max / n_min of the profile, >= 1
 * @param paretoShape     shape (tail index) of the Pareto profile, > 0
 * @param profileMax      n_max, images of the head class; 0 = the smallest class size of the training split
 * @param balancedTwin    train on a class-balanced subset with exactly the total size of the profile instead
 * @param scaleByInvAlpha whether the loss is divided by alpha (the paper's 1/alpha factor), or null for the loss
 *                        preset's own choice (on for balanced only); off compares losses at equal effective
 *                        learning rate (spec/experiments.md, "A trap to control for")
 * @param maxImagePixels  largest width x height of an image file that is decoded; larger files are skipped as
 *                        undecodable; 0 = the default ({@code ImageFolder.DEFAULT_MAX_IMAGE_PIXELS})
 * @param validationFraction share of each class of the training split held out, in [0, 1): the run neither trains
 *                        nor builds its k-NN bank on those images, and evaluates on them instead of the test split
 *                        (what {@code balcon tune} selects on, so the test split stays unseen); 0 = none
 * @param method          the self-supervised method, one of {@link Methods#NAMES} (docs/methods.md); null (a
 *                        config.json written before methods existed) reads as simclr
 * @param momentumTau     EMA rate of a momentum encoder, in [0, 1]: byol's base rate, raised to 1 by a cosine over
 *                        the run; moco's, constant; null = the method's default (0.99 for both); only for methods
 *                        with such an encoder
 * @param queueSize       number of keys in moco's queue of negatives, >= 1; null = the method's default (4096 for
 *                        moco); only for moco. Need not be a multiple of 2 x batchSize: keys are written at the
 *                        queue pointer modulo queueSize, so a step's keys may wrap around the end (docs/methods.md)
 * @param precision       number format of the forward passes, {@code fp32} or {@code bf16} (mixed precision, see
 *                        {@link dev.balcon.model.Precision}); null (a config.json written before the field existed)
 *                        means fp32
 */
@JsonIgnoreProperties(ignoreUnknown = false)
public record PretrainConfig(
        String dataset, String dataDir, int trainLimit,
        String arch, int width, int projectorHidden, int projectorOut,
        String loss, Double tau, Double alpha, Double lambda, Double nu, String similarity,
        String recipe, double cropScaleMin, double cropScaleMax,
        int epochs, int batchSize, double learningRate, double momentum, double weightDecay,
        double warmupEpochs, long seed, int workers,
        boolean boundMonitor, int probeSize, int probeViews,
        int imageSize, int channels, boolean strict, double testFraction, long dataSeed, String cacheDir,
        String trainList, String testList, String evalData,
        String classProfile, double rho, double paretoShape, int profileMax, boolean balancedTwin,
        Boolean scaleByInvAlpha, long maxImagePixels, double validationFraction, String method, Double momentumTau,
        String precision, Integer queueSize) {

    /** The values of {@link #classProfile()}. */
    public static final List<String> CLASS_PROFILES = List.of("none", "exp", "pareto");

    /**
     * The fields a resumed run may change, because they leave the training itself as it was: {@code epochs} (to a
     * larger number only: the run is extended, see {@link Pretrainer#run}), {@code workers} (the views do not depend
     * on the number of threads), the bound monitor's {@code boundMonitor}, {@code probeSize} and {@code probeViews}
     * (it measures in inference mode, for the epochs still to come) and {@code cacheDir} (where decoded images are
     * kept, not which). Every other field is fixed for the life of a run.
     */
    public static final Set<String> RESUMABLE_FIELDS = Set.of("epochs", "workers", "boundMonitor", "probeSize",
            "probeViews", "cacheDir");

    /** The fields that together define {@link #lossConfig()}. */
    private static final Set<String> LOSS_FIELDS = Set.of("loss", "tau", "alpha", "lambda", "nu", "similarity",
            "scaleByInvAlpha");

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
        validateData(imageSize, channels, testFraction);
        // 0 (absent from an older config.json) stands for the default
        if (precision != null) {
            dev.balcon.model.Precision.of(precision);
        }
        if (maxImagePixels < 0) {
            throw new BalconException("--max-image-pixels must be >= 1, got " + maxImagePixels);
        }
        // 0 (also what a config.json written before this field existed reads as) holds nothing out
        if (!(validationFraction >= 0 && validationFraction < 1)) {
            throw new BalconException("validationFraction must be >= 0 and < 1, got " + validationFraction);
        }
        // a config.json written before the class-profile fields existed reads them as null / 0 / false
        classProfile = classProfile == null ? "none" : classProfile;
        validateProfile(classProfile, rho, paretoShape, profileMax, balancedTwin);
        // a config.json written before methods existed trained SimCLR
        method = method == null ? Methods.SIMCLR : method;
        Methods.validate(method, momentumTau, queueSize);
        if (!Methods.usesLossFamily(method) && (!"nt_xent".equals(loss) || tau != null || alpha != null || lambda != null
                || nu != null || !"cosine".equals(similarity) || scaleByInvAlpha != null)) {
            throw new BalconException("the loss settings (loss, tau, alpha, lambda, nu, similarity, scaleByInvAlpha) "
                    + "are simclr's and moco's; method " + method + " has a loss of its own, so leave them at their defaults");
        }
        momentumTau = momentumTau == null ? Methods.defaultMomentumTau(method) : momentumTau;
        queueSize = queueSize == null ? Methods.defaultQueueSize(method) : queueSize;
        if (queueSize != null && queueSize < 2L * batchSize) {
            throw new BalconException("queueSize must be >= 2 x batchSize (a step enqueues the keys of both views), got "
                    + queueSize + " with batchSize " + batchSize);
        }
    }

    private static void validateData(int imageSize, int channels, double testFraction) {
        if (imageSize < 0) {
            throw new BalconException("--image-size must be >= 1 (or 0 for the dataset's default), got " + imageSize);
        }
        if (channels != 0 && channels != 1 && channels != 3) {
            throw new BalconException("--channels must be 1 (grayscale) or 3 (RGB), got " + channels);
        }
        // 0 (absent from an older config.json) is rejected only where a split is actually made
        if (!(testFraction >= 0 && testFraction < 1)) {
            throw new BalconException("--test-fraction must be > 0 and < 1, got " + testFraction);
        }
    }

    private static void validateProfile(String classProfile, double rho, double paretoShape, int profileMax,
                                        boolean balancedTwin) {
        if (!CLASS_PROFILES.contains(classProfile)) {
            throw new BalconException("--class-profile must be one of " + CLASS_PROFILES + ", got '" + classProfile + "'");
        }
        boolean profiled = !classProfile.equals("none");
        // 0 stands for "absent" in a config.json older than these options
        if ((profiled || rho != 0) && !(rho >= 1 && Double.isFinite(rho))) {
            throw new BalconException("--rho (imbalance ratio n_max / n_min) must be a finite number >= 1, got " + rho);
        }
        if ((classProfile.equals("pareto") || paretoShape != 0) && !(paretoShape > 0 && Double.isFinite(paretoShape))) {
            throw new BalconException("--pareto-shape must be a finite number > 0, got " + paretoShape);
        }
        if (profileMax < 0) {
            throw new BalconException("--profile-max must be >= 1 (or 0 for the smallest class size), got " + profileMax);
        }
        if (balancedTwin && !profiled) {
            throw new BalconException("--balanced-twin needs a long-tailed --class-profile (exp or pareto) to take "
                    + "its total size from, got --class-profile none");
        }
    }

    /** The number format of the forward passes ({@link #precision()}, fp32 when unset). */
    public dev.balcon.model.Precision computePrecision() {
        return precision == null ? dev.balcon.model.Precision.FP32 : dev.balcon.model.Precision.of(precision);
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

    /** The images this run loads. */
    @JsonIgnore
    public DataSelection dataSelection() {
        return new DataSelection(dataset, dataDir, trainList, testList, imageSize, channels, strict, testFraction,
                cacheDir, dataSeed, maxImagePixels, validationFraction);
    }

    /** What this run says about its data: the images, the training subset and the evaluation images. */
    @JsonIgnore
    public RunData runData() {
        return new RunData(dataSelection(), trainLimit, classProfile, rho, paretoShape, profileMax, balancedTwin,
                evalData);
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

    /**
     * The names of the fields (as in config.json) whose values differ between this configuration and {@code other}.
     * The loss settings are compared by the loss they define: tau 0.5 given and tau left to the nt_xent preset's
     * default (null) are the same loss.
     */
    public List<String> differingFields(PretrainConfig other) {
        JsonNode mine = RunDirectory.JSON.valueToTree(this);
        JsonNode theirs = RunDirectory.JSON.valueToTree(other);
        boolean sameLoss = lossConfig().equals(other.lossConfig());
        List<String> fields = new ArrayList<>();
        for (Iterator<String> names = mine.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!mine.get(name).equals(theirs.get(name)) && !(sameLoss && LOSS_FIELDS.contains(name))) {
                fields.add(name);
            }
        }
        return fields;
    }

    /** The value of field {@code field} (as in config.json) as config.json writes it: {@code 0.3}, {@code "nt_xent"}. */
    public String fieldText(String field) {
        JsonNode value = RunDirectory.JSON.<ObjectNode>valueToTree(this).get(field);
        if (value == null) {
            throw new IllegalArgumentException("no field '" + field + "' in " + PretrainConfig.class.getSimpleName());
        }
        return value.isTextual() ? value.asText() : value.toString();
    }

    /**
     * This configuration with the fields {@code fields} (names as in config.json) taken from {@code other}.
     *
     * @throws BalconException          if the result is not a valid configuration (e.g. fewer epochs than warm-up)
     * @throws IllegalArgumentException for a name that is not a field
     */
    public PretrainConfig withFieldsOf(PretrainConfig other, Collection<String> fields) {
        ObjectNode mine = RunDirectory.JSON.valueToTree(this);
        ObjectNode theirs = RunDirectory.JSON.valueToTree(other);
        for (String field : fields) {
            if (!theirs.has(field)) {
                throw new IllegalArgumentException("no field '" + field + "' in " + PretrainConfig.class.getSimpleName());
            }
            mine.set(field, theirs.get(field));
        }
        try {
            return RunDirectory.JSON.treeToValue(mine, PretrainConfig.class);
        } catch (JsonProcessingException e) {
            // the constructor's checks reach us wrapped by Jackson
            if (e.getCause() instanceof BalconException invalid) {
                throw invalid;
            }
            throw new IllegalStateException("a configuration did not survive its own JSON form", e);
        }
    }

    /** A builder starting from the command line's defaults (see {@code balcon pretrain --help}). */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from this configuration, to change a few fields. */
    public Builder toBuilder() {
        Builder builder = new Builder();
        builder.dataset = dataset;
        builder.dataDir = dataDir;
        builder.trainLimit = trainLimit;
        builder.arch = arch;
        builder.width = width;
        builder.projectorHidden = projectorHidden;
        builder.projectorOut = projectorOut;
        builder.loss = loss;
        builder.tau = tau;
        builder.alpha = alpha;
        builder.lambda = lambda;
        builder.nu = nu;
        builder.similarity = similarity;
        builder.recipe = recipe;
        builder.cropScaleMin = cropScaleMin;
        builder.cropScaleMax = cropScaleMax;
        builder.epochs = epochs;
        builder.batchSize = batchSize;
        builder.learningRate = learningRate;
        builder.momentum = momentum;
        builder.weightDecay = weightDecay;
        builder.warmupEpochs = warmupEpochs;
        builder.seed = seed;
        builder.workers = workers;
        builder.boundMonitor = boundMonitor;
        builder.probeSize = probeSize;
        builder.probeViews = probeViews;
        builder.imageSize = imageSize;
        builder.channels = channels;
        builder.strict = strict;
        builder.testFraction = testFraction;
        builder.dataSeed = dataSeed;
        builder.cacheDir = cacheDir;
        builder.trainList = trainList;
        builder.testList = testList;
        builder.evalData = evalData;
        builder.classProfile = classProfile;
        builder.rho = rho;
        builder.paretoShape = paretoShape;
        builder.profileMax = profileMax;
        builder.balancedTwin = balancedTwin;
        builder.scaleByInvAlpha = scaleByInvAlpha;
        builder.maxImagePixels = maxImagePixels;
        builder.validationFraction = validationFraction;
        builder.method = method;
        builder.momentumTau = momentumTau;
        builder.queueSize = queueSize;
        builder.precision = precision;
        return builder;
    }

    /** Builds a {@link PretrainConfig} field by field; {@link #build()} validates it. */
    public static final class Builder {
        private String dataset = "fashion-mnist";
        private String dataDir = null;
        private int trainLimit = 0;
        private String arch = "resnet-small";
        private int width = 16;
        private int projectorHidden = 512;
        private int projectorOut = 128;
        private String loss = "nt_xent";
        private Double tau = null;
        private Double alpha = null;
        private Double lambda = null;
        private Double nu = null;
        private String similarity = "cosine";
        private String recipe = "simclr";
        private double cropScaleMin = 0.2;
        private double cropScaleMax = 1.0;
        private int epochs = 20;
        private int batchSize = 256;
        private double learningRate = 0.3;
        private double momentum = 0.9;
        private double weightDecay = 5e-4;
        private double warmupEpochs = 1;
        private long seed = 0;
        private int workers = 1;
        private boolean boundMonitor = true;
        private int probeSize = 1000;
        private int probeViews = 4;
        private int imageSize = 0;
        private int channels = 0;
        private boolean strict = false;
        private double testFraction = 0.2;
        private long dataSeed = 0;
        private String cacheDir = null;
        private long maxImagePixels = 0;
        private double validationFraction = 0;
        private String precision = "fp32";
        private String trainList = null;
        private String testList = null;
        private String evalData = null;
        private String classProfile = "none";
        private double rho = 100;
        private double paretoShape = 6;
        private int profileMax = 0;
        private boolean balancedTwin = false;
        private Boolean scaleByInvAlpha = null;
        private String method = Methods.SIMCLR;
        private Double momentumTau = null;
        private Integer queueSize = null;

        private Builder() {}

        public Builder dataset(String dataset) {
            this.dataset = dataset;
            return this;
        }

        public Builder dataDir(String dataDir) {
            this.dataDir = dataDir;
            return this;
        }

        public Builder trainLimit(int trainLimit) {
            this.trainLimit = trainLimit;
            return this;
        }

        public Builder arch(String arch) {
            this.arch = arch;
            return this;
        }

        public Builder width(int width) {
            this.width = width;
            return this;
        }

        public Builder projectorHidden(int projectorHidden) {
            this.projectorHidden = projectorHidden;
            return this;
        }

        public Builder projectorOut(int projectorOut) {
            this.projectorOut = projectorOut;
            return this;
        }

        public Builder loss(String loss) {
            this.loss = loss;
            return this;
        }

        public Builder tau(Double tau) {
            this.tau = tau;
            return this;
        }

        public Builder alpha(Double alpha) {
            this.alpha = alpha;
            return this;
        }

        public Builder lambda(Double lambda) {
            this.lambda = lambda;
            return this;
        }

        public Builder nu(Double nu) {
            this.nu = nu;
            return this;
        }

        public Builder similarity(String similarity) {
            this.similarity = similarity;
            return this;
        }

        public Builder recipe(String recipe) {
            this.recipe = recipe;
            return this;
        }

        public Builder cropScaleMin(double cropScaleMin) {
            this.cropScaleMin = cropScaleMin;
            return this;
        }

        public Builder cropScaleMax(double cropScaleMax) {
            this.cropScaleMax = cropScaleMax;
            return this;
        }

        public Builder epochs(int epochs) {
            this.epochs = epochs;
            return this;
        }

        public Builder batchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        public Builder learningRate(double learningRate) {
            this.learningRate = learningRate;
            return this;
        }

        public Builder momentum(double momentum) {
            this.momentum = momentum;
            return this;
        }

        public Builder weightDecay(double weightDecay) {
            this.weightDecay = weightDecay;
            return this;
        }

        public Builder warmupEpochs(double warmupEpochs) {
            this.warmupEpochs = warmupEpochs;
            return this;
        }

        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        public Builder workers(int workers) {
            this.workers = workers;
            return this;
        }

        public Builder boundMonitor(boolean boundMonitor) {
            this.boundMonitor = boundMonitor;
            return this;
        }

        public Builder probeSize(int probeSize) {
            this.probeSize = probeSize;
            return this;
        }

        public Builder probeViews(int probeViews) {
            this.probeViews = probeViews;
            return this;
        }

        public Builder imageSize(int imageSize) {
            this.imageSize = imageSize;
            return this;
        }

        public Builder channels(int channels) {
            this.channels = channels;
            return this;
        }

        public Builder strict(boolean strict) {
            this.strict = strict;
            return this;
        }

        public Builder testFraction(double testFraction) {
            this.testFraction = testFraction;
            return this;
        }

        public Builder dataSeed(long dataSeed) {
            this.dataSeed = dataSeed;
            return this;
        }

        public Builder cacheDir(String cacheDir) {
            this.cacheDir = cacheDir;
            return this;
        }

        public Builder validationFraction(double validationFraction) {
            this.validationFraction = validationFraction;
            return this;
        }

        public Builder precision(String precision) {
            this.precision = precision;
            return this;
        }

        public Builder maxImagePixels(long maxImagePixels) {
            this.maxImagePixels = maxImagePixels;
            return this;
        }

        public Builder trainList(String trainList) {
            this.trainList = trainList;
            return this;
        }

        public Builder testList(String testList) {
            this.testList = testList;
            return this;
        }

        public Builder evalData(String evalData) {
            this.evalData = evalData;
            return this;
        }

        public Builder classProfile(String classProfile) {
            this.classProfile = classProfile;
            return this;
        }

        public Builder rho(double rho) {
            this.rho = rho;
            return this;
        }

        public Builder paretoShape(double paretoShape) {
            this.paretoShape = paretoShape;
            return this;
        }

        public Builder profileMax(int profileMax) {
            this.profileMax = profileMax;
            return this;
        }

        public Builder balancedTwin(boolean balancedTwin) {
            this.balancedTwin = balancedTwin;
            return this;
        }

        public Builder scaleByInvAlpha(Boolean scaleByInvAlpha) {
            this.scaleByInvAlpha = scaleByInvAlpha;
            return this;
        }

        public Builder method(String method) {
            this.method = method;
            return this;
        }

        public Builder queueSize(Integer queueSize) {
            this.queueSize = queueSize;
            return this;
        }

        public Builder momentumTau(Double momentumTau) {
            this.momentumTau = momentumTau;
            return this;
        }

        public PretrainConfig build() {
            return new PretrainConfig(dataset, dataDir, trainLimit, arch, width, projectorHidden, projectorOut, loss, tau, alpha, lambda, nu, similarity, recipe, cropScaleMin, cropScaleMax, epochs, batchSize, learningRate, momentum, weightDecay, warmupEpochs, seed, workers, boundMonitor, probeSize, probeViews, imageSize, channels, strict, testFraction, dataSeed, cacheDir, trainList, testList, evalData, classProfile, rho, paretoShape, profileMax, balancedTwin,
                    scaleByInvAlpha, maxImagePixels, validationFraction, method, momentumTau, precision, queueSize);
        }
    }
}
