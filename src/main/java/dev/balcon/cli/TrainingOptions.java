package dev.balcon.cli;

import dev.balcon.train.PretrainConfig;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The options that define a pretraining run, shared by the verbs that train. */
final class TrainingOptions {
    @Mixin
    DataOptions data;

    @Option(names = "--train-limit", defaultValue = "0", description = "Train on N images only, drawn to keep the class proportions (seeded by --data-seed); 0 = all (default: ${DEFAULT-VALUE}).")
    int trainLimit;

    @Option(names = "--arch", defaultValue = "resnet-small", description = "Backbone: resnet-small or resnet18 (default: ${DEFAULT-VALUE}).")
    String arch;

    @Option(names = "--width", defaultValue = "16", description = "Base width of the backbone (default: ${DEFAULT-VALUE}).")
    int width;

    @Option(names = "--proj-hidden", defaultValue = "512", description = "Projector hidden width (default: ${DEFAULT-VALUE}).")
    int projectorHidden;

    @Option(names = "--proj-out", defaultValue = "128", description = "Projector output dimension (default: ${DEFAULT-VALUE}).")
    int projectorOut;

    @Option(names = "--loss", defaultValue = "nt_xent",
            description = "Loss preset: nt_xent, generalized_nt_xent, dcl, balanced (default: ${DEFAULT-VALUE}).")
    String loss;

    @Option(names = "--tau", description = "Temperature for nt_xent and dcl (default 0.5).")
    Double tau;

    @Option(names = "--alpha", description = "Inverse temperature for generalized_nt_xent (default 2) and balanced (default 4).")
    Double alpha;

    @Option(names = "--lambda", description = "Weight of the repelling term for generalized_nt_xent and balanced (default 2).")
    Double lambda;

    @Option(names = "--nu", description = "The paper's nu, dividing lambda (default 1).")
    Double nu;

    @Option(names = "--similarity", defaultValue = "cosine", description = "cosine, dot or neg_euclidean (default: ${DEFAULT-VALUE}).")
    String similarity;

    @Mixin
    RecipeOptions augmentation;

    @Option(names = "--epochs", defaultValue = "20", description = "Epochs (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--batch-size", defaultValue = "256", description = "Images per step, two views each (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--lr", defaultValue = "0.3", description = "Peak learning rate (default: ${DEFAULT-VALUE}).")
    double learningRate;

    @Option(names = "--momentum", defaultValue = "0.9", description = "SGD momentum (default: ${DEFAULT-VALUE}).")
    double momentum;

    @Option(names = "--weight-decay", defaultValue = "5e-4", description = "Weight decay, not on biases and norms (default: ${DEFAULT-VALUE}).")
    double weightDecay;

    @Option(names = "--warmup-epochs", defaultValue = "1", description = "Linear warm-up epochs (default: ${DEFAULT-VALUE}).")
    double warmupEpochs;

    @Option(names = "--seed", defaultValue = "0", description = "Seed for initialisation, shuffling and augmentation (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--workers", defaultValue = "1", description = "Augmentation threads (default: ${DEFAULT-VALUE}).")
    int workers;

    @Option(names = "--monitor-bounds", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "After every epoch, measure the bound gaps and the prototype bias on a class-balanced probe of "
                    + "the test split; they join the epoch rows of metrics.jsonl and gaps.png (default: on; "
                    + "--no-monitor-bounds to switch off).")
    boolean boundMonitor;

    @Option(names = "--probe-size", defaultValue = "1000", description = "Probe images for --monitor-bounds (default: ${DEFAULT-VALUE}).")
    int probeSize;

    @Option(names = "--probe-views", defaultValue = "4", description = "Augmented views per probe image, >= 2 (default: ${DEFAULT-VALUE}).")
    int probeViews;

    @Option(names = "--eval-data", description = "Labelled image folder for k-NN instead of the dataset's own splits "
            + "(needed with --dataset unlabelled-folder); loaded at the training images' size.")
    String evalData;

    @Option(names = "--class-profile", defaultValue = "none",
            description = "Class sizes of the training subset: none, exp (CIFAR-LT) or pareto (ImageNet-LT), class 0 the head (default: ${DEFAULT-VALUE}).")
    String classProfile;

    @Option(names = "--rho", defaultValue = "100", description = "Imbalance ratio n_max / n_min of --class-profile, >= 1 (default: ${DEFAULT-VALUE}).")
    double rho;

    @Option(names = "--pareto-shape", defaultValue = "6", description = "Shape of --class-profile pareto, > 0 (default: ${DEFAULT-VALUE}, as ImageNet-LT).")
    double paretoShape;

    @Option(names = "--profile-max", defaultValue = "0",
            description = "n_max, images of the head class (default: the smallest class size of the training split).")
    int profileMax;

    @Option(names = "--balanced-twin", description = "Train on a class-balanced subset of exactly the total size of --class-profile instead.")
    boolean balancedTwin;

    @Option(names = "--scale-by-inv-alpha", negatable = true,
            description = "Divide the loss by alpha (the paper's 1/alpha factor); --no-scale-by-inv-alpha drops it, so that "
                    + "losses compare at equal effective learning rate (default: the preset's choice, on for balanced only).")
    Boolean scaleByInvAlpha;

    PretrainConfig toConfig() {
        return new PretrainConfig(data.dataset, data.dataDir, trainLimit, arch, width, projectorHidden, projectorOut,
                loss, tau, alpha, lambda, nu, similarity, augmentation.recipe, augmentation.cropScaleMin(),
                augmentation.cropScaleMax(), epochs, batchSize, learningRate, momentum, weightDecay, warmupEpochs, seed,
                workers, boundMonitor, probeSize, probeViews, data.imageSize, data.channels, data.strict, data.testFraction, data.dataSeed, data.cacheDirOrNull(),
                data.trainList, data.testList, evalData, classProfile, rho, paretoShape, profileMax, balancedTwin,
                scaleByInvAlpha, data.maxImagePixels());
    }
}
