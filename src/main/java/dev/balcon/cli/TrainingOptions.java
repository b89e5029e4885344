package dev.balcon.cli;

import dev.balcon.BalconException;
import dev.balcon.augment.AugmentationSettings;
import dev.balcon.train.PretrainConfig;
import dev.balcon.train.Pretrainer;
import dev.balcon.train.RunDirectory;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;

import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** The options that define a pretraining run, shared by the verbs that train. */
final class TrainingOptions {
    /** What {@code balcon pretrain} runs without options: the defaults the options show. */
    private static final PretrainConfig DEFAULTS = PretrainConfig.defaults();

    /** Options read through their mixin's method rather than their field (see {@link #toConfig()}). */
    private static final Set<String> SET_BY_MIXIN = Set.of("--recipe", "--crop-scale", "--jitter-strength",
            "--cache-dir", "--no-cache", "--max-image-pixels");

    /** The flat names of the settings of the options whose setting is not the option's name in camelCase. */
    private static final Map<String, List<String>> IRREGULAR_FIELDS = Map.of("--data", List.of("dataDir"),
            "--lr", List.of("learningRate"), "--proj-hidden", List.of("projectorHidden"),
            "--proj-out", List.of("projectorOut"), "--monitor-bounds", List.of("boundMonitor"),
            "--no-cache", List.of("cacheDir"), "--crop-scale", List.of("cropScaleMin", "cropScaleMax"));

    @Mixin
    DataOptions data;

    @Option(names = "--train-limit", description = "Train on N images only, drawn to keep the class proportions (seeded by --data-seed); 0 = all (default: ${DEFAULT-VALUE}).")
    int trainLimit = DEFAULTS.data().trainLimit();

    @Option(names = "--arch", description = "Backbone: resnet-small or resnet18 (default: ${DEFAULT-VALUE}).")
    String arch = DEFAULTS.model().arch();

    @Option(names = "--width", description = "Base width of the backbone (default: ${DEFAULT-VALUE}).")
    int width = DEFAULTS.model().width();

    @Option(names = "--proj-hidden", description = "Projector hidden width (default: ${DEFAULT-VALUE}).")
    int projectorHidden = DEFAULTS.model().projectorHidden();

    @Option(names = "--proj-out", description = "Projector output dimension (default: ${DEFAULT-VALUE}).")
    int projectorOut = DEFAULTS.model().projectorOut();

    @Option(names = "--method",
            description = "Self-supervised method: simclr, moco, byol or simsiam (docs/methods.md; default: ${DEFAULT-VALUE}).")
    String method = DEFAULTS.method().name();

    @Option(names = "--momentum-tau", description = "EMA rate of the momentum encoder, in [0, 1]: byol's base rate, "
            + "raised to 1 by a cosine over the run; moco's, constant (default 0.99 for both).")
    Double momentumTau;

    @Option(names = "--queue-size", description = "Number of keys in moco's queue of negatives, >= 1 (default 4096; "
            + "moco only).")
    Integer queueSize;

    @Option(names = "--shards", paramLabel = "K", description = "Data parallel with gathered negatives (simclr, "
            + "moco): split each batch into K shards, each with its own forward pass and batch-norm statistics, every "
            + "anchor contrasted with the negatives of all shards; emulated one shard after another on --device (see "
            + "docs/devices.md). K must divide --batch-size (default: ${DEFAULT-VALUE}).")
    int shards = DEFAULTS.shards();

    @Option(names = "--loss",
            description = "Loss preset: nt_xent, generalized_nt_xent, dcl, balanced (default: ${DEFAULT-VALUE}).")
    String loss = DEFAULTS.method().loss().preset();

    @Option(names = "--tau", description = "Temperature for nt_xent and dcl (default 0.5).")
    Double tau;

    @Option(names = "--alpha", description = "Inverse temperature for generalized_nt_xent (default 2) and balanced (default 4).")
    Double alpha;

    @Option(names = "--lambda", description = "Weight of the repelling term for generalized_nt_xent and balanced (default 2).")
    Double lambda;

    @Option(names = "--nu", description = "The paper's nu, dividing lambda (default 1).")
    Double nu;

    @Option(names = "--similarity", description = "cosine, dot or neg_euclidean (default: ${DEFAULT-VALUE}).")
    String similarity = DEFAULTS.method().loss().similarity();

    @Mixin
    RecipeOptions augmentation;

    @Option(names = "--epochs", description = "Epochs (default: ${DEFAULT-VALUE}).")
    int epochs = DEFAULTS.epochs();

    @Option(names = "--batch-size", description = "Images per step, two views each (default: ${DEFAULT-VALUE}).")
    int batchSize = DEFAULTS.batchSize();

    @Option(names = "--lr", description = "Peak learning rate (default: ${DEFAULT-VALUE}).")
    double learningRate = DEFAULTS.optimizer().lr();

    @Option(names = "--momentum", description = "SGD momentum (default: ${DEFAULT-VALUE}).")
    double momentum = DEFAULTS.optimizer().momentum();

    @Option(names = "--weight-decay", description = "Weight decay, not on biases and norms (default: ${DEFAULT-VALUE}).")
    double weightDecay = DEFAULTS.optimizer().weightDecay();

    @Option(names = "--warmup-epochs", description = "Linear warm-up epochs (default: ${DEFAULT-VALUE}).")
    double warmupEpochs = DEFAULTS.optimizer().warmupEpochs();

    @Option(names = "--seed", description = "Seed for initialisation, shuffling and augmentation (default: ${DEFAULT-VALUE}).")
    long seed = DEFAULTS.seed();

    @Option(names = "--workers", description = "Augmentation threads (default: ${DEFAULT-VALUE}).")
    int workers = DEFAULTS.workers();

    @Option(names = "--monitor-bounds", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "After every epoch, measure the bound gaps and the prototype bias on a class-balanced probe of "
                    + "the test split; they join the epoch rows of metrics.jsonl and gaps.png (default: on; "
                    + "--no-monitor-bounds to switch off).")
    boolean boundMonitor;

    @Option(names = "--probe-size", description = "Probe images for --monitor-bounds (default: ${DEFAULT-VALUE}).")
    int probeSize = DEFAULTS.monitor().probeSize();

    @Option(names = "--probe-views", description = "Augmented views per probe image, >= 2 (default: ${DEFAULT-VALUE}).")
    int probeViews = DEFAULTS.monitor().probeViews();

    @Option(names = "--eval-data", description = "Labelled image folder for k-NN instead of the dataset's own splits "
            + "(needed with --dataset unlabelled-folder); loaded at the training images' size.")
    String evalData;

    @Option(names = "--class-profile",
            description = "Class sizes of the training subset: none, exp (CIFAR-LT) or pareto (ImageNet-LT), class 0 the head (default: ${DEFAULT-VALUE}).")
    String classProfile = DEFAULTS.data().classProfile();

    @Option(names = "--rho", description = "Imbalance ratio n_max / n_min of --class-profile, >= 1 (default: ${DEFAULT-VALUE}).")
    double rho = DEFAULTS.data().rho();

    @Option(names = "--pareto-shape", description = "Shape of --class-profile pareto, > 0 (default: ${DEFAULT-VALUE}, as ImageNet-LT).")
    double paretoShape = DEFAULTS.data().paretoShape();

    @Option(names = "--profile-max",
            description = "n_max, images of the head class (default: the smallest class size of the training split).")
    int profileMax = DEFAULTS.data().profileMax();

    @Option(names = "--balanced-twin", description = "Train on a class-balanced subset of exactly the total size of --class-profile instead.")
    boolean balancedTwin;

    @Option(names = "--scale-by-inv-alpha", negatable = true,
            description = "Divide the loss by alpha (the paper's 1/alpha factor); --no-scale-by-inv-alpha drops it, so that "
                    + "losses compare at equal effective learning rate (default: the preset's choice, on for balanced only).")
    Boolean scaleByInvAlpha;

    @Option(names = "--precision", description = "Number format of the forward passes: fp32, or "
            + "bf16 (mixed precision as torch.autocast: convolutions and linear layers in bfloat16, weights, optimiser "
            + "state and loss in float32; faster only on CPUs with avx512_bf16 or amx_bf16, see docs/performance.md; "
            + "default: ${DEFAULT-VALUE}).")
    String precision = DEFAULTS.precision();

    /**
     * The configuration the options give: each option sets the settings {@link #flatFieldsOf} names (through
     * {@link PretrainConfig.Builder#set}), so no list of settings is kept here; the options whose value is not the
     * setting itself ({@code --crop-scale}, {@code --cache-dir} and {@code --no-cache}, {@code --max-image-pixels})
     * are read through their mixin. A value out of range is an error naming its option.
     */
    PretrainConfig toConfig() {
        PretrainConfig.Builder builder = PretrainConfig.builder();
        for (Object part : List.of(this, data, augmentation)) {
            for (Field field : part.getClass().getDeclaredFields()) {
                Option option = field.getAnnotation(Option.class);
                if (option == null || SET_BY_MIXIN.contains(longest(option.names()))) {
                    continue;
                }
                try {
                    Object value = field.get(part);
                    flatFieldsOf(longest(option.names())).forEach(name -> builder.set(name, value));
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return inOptions(() -> {
            AugmentationSettings settings = augmentation.toSettings(data.dataset, data.channels);
            return builder.set("cacheDir", data.cacheDirOrNull()).set("maxImagePixels", data.maxImagePixels())
                    .set("recipe", settings.recipe()).set("cropScaleMin", settings.cropScaleMin())
                    .set("cropScaleMax", settings.cropScaleMax()).set("jitterStrength", settings.jitterStrength())
                    .build();
        });
    }

    /** The configuration {@code make} makes, a setting out of range told by its option: "--lr must be ...". */
    static <T> T inOptions(Supplier<T> make) {
        return FieldOptions.inOptions(field -> findOption(field).orElse(null), make);
    }

    private static String longest(String[] names) {
        return Arrays.stream(names).max(Comparator.comparingInt(String::length)).orElseThrow();
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
        if (given.contains("method.name")) {
            // a momentum rate belongs to its method: another method does not inherit the stored one
            given.add("method.momentumTau");
            given.add("method.queueSize");
        }
        PretrainConfig options = toConfig();
        return inOptions(() -> run.readConfig().withFieldsOf(options, given));
    }

    /** The long names of the training options. */
    static Set<String> optionNames() {
        return CommandSpec.forAnnotatedObject(new TrainingOptions()).options().stream().map(OptionSpec::longestName)
                .collect(Collectors.toCollection(LinkedHashSet::new));
    }

    /** The config.json settings that training option {@code option} sets: {@code --lr} sets optimizer.lr. */
    static List<String> fieldsOf(String option) {
        return flatFieldsOf(option).stream().map(PretrainConfig::pathOf).toList();
    }

    /**
     * The flat names (PretrainConfig.Builder's) of the settings that training option {@code option} sets: its name in
     * camelCase ({@code --batch-size} sets batchSize) unless {@link #IRREGULAR_FIELDS} says otherwise.
     */
    static List<String> flatFieldsOf(String option) {
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
        return findOption(field).orElseThrow(() -> new IllegalArgumentException("no training option sets " + field));
    }

    private static Optional<String> findOption(String field) {
        return optionNames().stream().filter(option -> fieldsOf(option).contains(field)).findFirst();
    }

    /**
     * What {@code train} gives, pretraining into {@code runDir}, its errors told in options: a setting out of range by
     * its option ({@link #inOptions}), a resume that would change what a run fixes by the options it changes, a new run
     * in a run directory that holds one by {@code --run-dir} and {@code --resume}.
     */
    static <T> T training(Path runDir, Supplier<T> train) {
        try {
            return inOptions(train);
        } catch (Pretrainer.ResumeConflict conflict) {
            throw describe(conflict, runDir);
        } catch (Pretrainer.RunExists exists) {
            throw new BalconException("--run-dir " + runDir + " already holds a run: pass --resume to continue it, or "
                    + "choose another --run-dir", exists);
        }
    }

    /** The conflict, told in options: one line naming each option the resumed run may not change. */
    private static BalconException describe(Pretrainer.ResumeConflict conflict, Path runDir) {
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
