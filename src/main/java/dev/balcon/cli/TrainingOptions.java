package dev.balcon.cli;

import dev.balcon.BalconException;
import dev.balcon.train.PretrainConfig;
import dev.balcon.train.Pretrainer;
import dev.balcon.train.RunDirectory;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** The options that define a pretraining run, shared by the verbs that train. */
final class TrainingOptions {
    /** The config.json fields of the options whose field is not the option's name in camelCase. */
    private static final Map<String, List<String>> IRREGULAR_FIELDS = Map.of("--data", List.of("dataDir"),
            "--lr", List.of("learningRate"), "--proj-hidden", List.of("projectorHidden"),
            "--proj-out", List.of("projectorOut"), "--monitor-bounds", List.of("boundMonitor"),
            "--no-cache", List.of("cacheDir"), "--crop-scale", List.of("cropScaleMin", "cropScaleMax"));

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

    @Option(names = "--method", defaultValue = "simclr",
            description = "Self-supervised method: simclr, moco, byol or simsiam (docs/methods.md; default: ${DEFAULT-VALUE}).")
    String method;

    @Option(names = "--momentum-tau", description = "EMA rate of the momentum encoder, in [0, 1]: byol's base rate, "
            + "raised to 1 by a cosine over the run; moco's, constant (default 0.99 for both).")
    Double momentumTau;

    @Option(names = "--queue-size", description = "Number of keys in moco's queue of negatives, >= 1 (default 4096; "
            + "moco only).")
    Integer queueSize;

    @Option(names = "--shards", paramLabel = "K", description = "Data parallel with gathered negatives (simclr, "
            + "moco): split each batch into K shards, each with its own forward pass and batch-norm statistics, every "
            + "anchor contrasted with the negatives of all shards; emulated one shard after another on --device (see "
            + "docs/devices.md). K must divide --batch-size (default 1).")
    Integer shards;

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

    @Option(names = "--precision", defaultValue = "fp32", description = "Number format of the forward passes: fp32, or "
            + "bf16 (mixed precision as torch.autocast: convolutions and linear layers in bfloat16, weights, optimiser "
            + "state and loss in float32; faster only on CPUs with avx512_bf16 or amx_bf16, see docs/performance.md; "
            + "default: ${DEFAULT-VALUE}).")
    String precision;

    PretrainConfig toConfig() {
        return new PretrainConfig(data.dataset, data.dataDir, trainLimit, arch, width, projectorHidden, projectorOut,
                loss, tau, alpha, lambda, nu, similarity, augmentation.recipe, augmentation.cropScaleMin(),
                augmentation.cropScaleMax(), epochs, batchSize, learningRate, momentum, weightDecay, warmupEpochs, seed,
                workers, boundMonitor, probeSize, probeViews, data.imageSize, data.channels, data.strict, data.testFraction, data.dataSeed, data.cacheDirOrNull(),
                data.trainList, data.testList, evalData, classProfile, rho, paretoShape, profileMax, balancedTwin,
                scaleByInvAlpha, data.maxImagePixels(), data.validationFraction, method, momentumTau, precision, queueSize, shards);
    }

    /**
     * The configuration to run {@code runDir} with. With {@code resume} and a run stored there: its config.json, with
     * the fields of the training options given on the command line ({@code parsed}) taken from them; an option left
     * at its default keeps the stored value. Otherwise the options as given.
     */
    PretrainConfig toConfig(Path runDir, boolean resume, ParseResult parsed) {
        RunDirectory run = new RunDirectory(runDir);
        if (!resume || !Files.isRegularFile(run.config())) {
            return toConfig();
        }
        Set<String> given = new LinkedHashSet<>();
        for (OptionSpec option : parsed.matchedOptions()) {
            if (optionNames().contains(option.longestName())) {
                given.addAll(fieldsOf(option.longestName()));
            }
        }
        if (given.contains("method")) {
            // a momentum rate belongs to its method: another method does not inherit the stored one
            given.add("momentumTau");
            given.add("queueSize");
        }
        return run.readConfig().withFieldsOf(toConfig(), given);
    }

    /** The long names of the training options. */
    static Set<String> optionNames() {
        return CommandSpec.forAnnotatedObject(new TrainingOptions()).options().stream().map(OptionSpec::longestName)
                .collect(Collectors.toCollection(LinkedHashSet::new));
    }

    /** The config.json fields that training option {@code option} sets: {@code --batch-size} sets batchSize. */
    static List<String> fieldsOf(String option) {
        List<String> irregular = IRREGULAR_FIELDS.get(option);
        if (irregular != null) {
            return irregular;
        }
        String[] words = option.substring(2).split("-");
        StringBuilder field = new StringBuilder(words[0]);
        for (int i = 1; i < words.length; i++) {
            field.append(Character.toUpperCase(words[i].charAt(0))).append(words[i].substring(1));
        }
        return List.of(field.toString());
    }

    /** The training option that sets config.json field {@code field}. */
    static String optionOf(String field) {
        return optionNames().stream().filter(option -> fieldsOf(option).contains(field)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no training option sets " + field));
    }

    /** The conflict, told in options: one line naming each option the resumed run may not change. */
    static BalconException describe(Pretrainer.ResumeConflict conflict, Path runDir) {
        Set<String> options = new LinkedHashSet<>();
        conflict.fields().forEach(field -> options.add(optionOf(field)));
        String changes = options.stream().map(option -> option + " (stored " + values(conflict.stored(), option)
                + ", given " + values(conflict.requested(), option) + ")").collect(Collectors.joining(", "));
        String changeable = Stream.concat(PretrainConfig.RESUMABLE_FIELDS.stream().map(TrainingOptions::optionOf),
                Stream.of("--no-cache", ProgressOptions.NO_PROGRESS)).sorted().collect(Collectors.joining(", "));
        return new BalconException("--resume cannot change " + changes + " of the run in " + runDir + ": only "
                + changeable + " may change (--epochs only to more, which extends the run); start a new --run-dir to "
                + "change the others", conflict);
    }

    /** The value of an option in a configuration: "0.2,1.0" for --crop-scale. */
    private static String values(PretrainConfig config, String option) {
        return fieldsOf(option).stream().map(config::fieldText).collect(Collectors.joining(","));
    }
}
