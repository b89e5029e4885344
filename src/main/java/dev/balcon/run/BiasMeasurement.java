package dev.balcon.run;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.balcon.BalconException;
import dev.balcon.ComputeDevice;
import dev.balcon.InvalidField;
import dev.balcon.analysis.BiasResult;
import dev.balcon.analysis.Plots;
import dev.balcon.analysis.PrototypeBias;
import dev.balcon.augment.AugmentationPipeline;
import dev.balcon.augment.AugmentationRecipe;
import dev.balcon.augment.AugmentationSettings;
import dev.balcon.data.DatasetSplits;
import dev.balcon.data.Datasets;
import dev.balcon.data.ImageDataset;
import dev.balcon.data.ImageSelection;
import dev.balcon.model.ContrastiveModel;
import dev.balcon.train.PretrainConfig;
import dev.balcon.train.RunDirectory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The prototype representation bias of a trained model under an augmentation recipe (spec/instruments.md,
 * section 1): K augmented views of every evaluation image, embedded by the run's checkpoint, and
 * {@link PrototypeBias} in three forms: raw backbone features (the paper's scale), L2-normalised backbone
 * features and L2-normalised projector outputs (both in [0, 2], comparable across widths).
 *
 * <p>Results are stored in the run's results.json under {@code "bias"}, one entry per recipe, so that the
 * bias of one model under several augmentation sets can be kept side by side.
 */
public final class BiasMeasurement {
    /** The default K, views per image. */
    public static final int DEFAULT_VIEWS = 8;
    /** Key of the measurements in results.json. */
    public static final String RESULT_KEY = "bias";
    /** The names of the three spaces, as stored in {@link BiasResult#space()}. */
    public static final String BACKBONE = "backbone";
    public static final String BACKBONE_NORMALIZED = "backbone-l2";
    public static final String PROJECTOR_NORMALIZED = "projector-l2";
    /** The three spaces, in the order of the report. */
    public static final List<String> SPACES = List.of(BACKBONE, BACKBONE_NORMALIZED, PROJECTOR_NORMALIZED);
    /** The splits that can be measured. */
    public static final List<String> SPLITS = List.of("test", "train");

    private BiasMeasurement() {}

    /**
     * What to measure.
     *
     * @param views    K, augmented views per image, >= 1
     * @param perClass images drawn from each class (class-balanced, seeded), or 0 for every image of the split
     * @param split    "test" or "train"
     * @param recipe   augmentation recipe name, or null for the one the run was trained with
     * @param seed     seed of the image draw and of the augmentations
     */
    public record Options(int views, int perClass, String split, String recipe, long seed) {
        /** @throws InvalidField naming the parameter ({@code views}, {@code perClass}, {@code split}, {@code recipe}) */
        public Options {
            if (views < 1) {
                throw new InvalidField("views", "(per image) must be >= 1, got " + views);
            }
            if (perClass < 0) {
                throw new InvalidField("perClass", "must be >= 1, or 0 for every image of the split, got " + perClass);
            }
            if (!SPLITS.contains(split)) {
                throw new InvalidField("split", "must be one of " + SPLITS + ", got '" + split + "'");
            }
            if (recipe != null && !AugmentationRecipe.names().contains(recipe)) {
                throw new InvalidField("recipe", "must be one of " + AugmentationRecipe.names() + ", got '" + recipe
                        + "'");
            }
        }

        /** The defaults: K = 8, every test image, the run's recipe, seed 0. */
        public static Options defaults() {
            return new Options(DEFAULT_VIEWS, 0, "test", null, 0);
        }
    }

    /**
     * One measurement.
     *
     * @param split               the split measured
     * @param recipe              the augmentation recipe that drew the views
     * @param viewsPerImage       K
     * @param images              N, the images averaged over
     * @param perClass            images per class (0: every image of the split)
     * @param seed                seed of the image draw and the augmentations
     * @param backbone            bias of the raw backbone features
     * @param backboneNormalized  bias of the L2-normalised backbone features, in [0, 2]
     * @param projectorNormalized bias of the L2-normalised projector outputs, in [0, 2]
     * @param seconds             wall time of the measurement (rendering, forward passes, bias)
     */
    public record Report(String split, String recipe, int viewsPerImage, int images, int perClass, long seed,
                         BiasResult backbone, BiasResult backboneNormalized, BiasResult projectorNormalized,
                         double seconds) {}

    /**
     * Measures the bias of the run's checkpoint on its own dataset.
     *
     * @throws InvalidField naming {@code perClass} if a class of the split has fewer images
     */
    public static Report ofRun(RunDirectory run, Options options) {
        PretrainConfig config = run.readConfig();
        return ofRun(run, Datasets.evaluationSplits(config.data()), options);
    }

    /**
     * As {@link #ofRun(RunDirectory, Options)} on splits the caller has loaded; the input normalisation is the
     * one the model was trained with (stored in its checkpoint).
     *
     * @throws InvalidField naming {@code perClass} if a class of the split has fewer images
     */
    public static Report ofRun(RunDirectory run, DatasetSplits splits, Options options) {
        PretrainConfig config = run.readConfig();
        ImageDataset train = splits.train();
        AugmentationRecipe recipe = options.recipe() == null ? config.augmentationRecipe()
                : new AugmentationSettings(options.recipe(), config.augmentation().cropScaleMin(),
                        config.augmentation().cropScaleMax(), config.augmentation().jitterStrength()).toRecipe();
        ImageDataset split = options.split().equals("train") ? train : splits.test();
        int[] images = options.perClass() == 0 ? ImageSelection.all(split)
                : ImageSelection.balanced(split, options.perClass(), options.seed(), "perClass");
        try (NDManager manager = NDManager.newBaseManager(ComputeDevice.current());
             TrainedEncoder encoder = TrainedEncoder.open(run, config, train, manager)) {
            AugmentationPipeline pipeline = recipe.build(train.channels(), train.height(), train.width(),
                    encoder.normalization());
            return measure(encoder.model(), "run " + run.root(), split, images, pipeline, recipe.name(), options);
        }
    }

    /**
     * The bias of {@code model} on images {@code images} of {@code split}, K = {@code options.views()} views each
     * drawn by {@code pipeline} (whose name in the report is {@code recipeName}).
     *
     * @throws BalconException if the model's embeddings are not finite
     */
    public static Report measure(ContrastiveModel model, ImageDataset split, int[] images,
                                 AugmentationPipeline pipeline, String recipeName, Options options) {
        return measure(model, "the model", split, images, pipeline, recipeName, options);
    }

    /** As the public {@code measure}; {@code name} names the model in the error. */
    private static Report measure(ContrastiveModel model, String name, ImageDataset split, int[] images,
                                  AugmentationPipeline pipeline, String recipeName, Options options) {
        long start = System.nanoTime();
        ImageSelection.requireEveryClass(split, images);
        AugmentedViews views = AugmentedViews.embed(model, split, images, pipeline, options.views(), options.seed());
        views.requireFinite(name);
        try (NDManager manager = NDManager.newBaseManager(ComputeDevice.current())) {
            var backbone = views.backboneEmbeddings(manager);
            var projector = views.projectorEmbeddings(manager);
            BiasResult raw = PrototypeBias.compute(backbone, false, BACKBONE);
            BiasResult normalized = PrototypeBias.compute(backbone, true, BACKBONE_NORMALIZED);
            BiasResult projected = PrototypeBias.compute(projector, true, PROJECTOR_NORMALIZED);
            return new Report(options.split(), recipeName, options.views(), images.length, options.perClass(),
                    options.seed(), raw, normalized, projected, (System.nanoTime() - start) / 1e9);
        }
    }

    /** Stores the report in results.json under "bias" / its recipe, keeping the other recipes' reports. */
    public static void store(RunDirectory run, Report report) {
        JsonNode existing = run.readResults().get(RESULT_KEY);
        ObjectNode byRecipe = existing instanceof ObjectNode node ? node : RunDirectory.JSON.createObjectNode();
        byRecipe.set(report.recipe(), RunDirectory.JSON.valueToTree(report));
        run.putResult(RESULT_KEY, byRecipe);
    }

    /** The stored report of {@code recipe}, or null if the run has none. */
    public static Report stored(RunDirectory run, String recipe) {
        JsonNode byRecipe = run.readResults().get(RESULT_KEY);
        JsonNode report = byRecipe == null ? null : byRecipe.get(recipe);
        if (report == null) {
            return null;
        }
        try {
            return RunDirectory.JSON.treeToValue(report, Report.class);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new BalconException("cannot read the bias of recipe " + recipe + " in " + run.results() + ": "
                    + e.getOriginalMessage(), e);
        }
    }

    /**
     * Plots bias against k-NN top-1 (%) across runs ({@link Plots#biasVsAccuracy}), one point per run: the bias
     * stored for the recipe the run was trained with, in {@code space} ({@link #BACKBONE}, {@link
     * #BACKBONE_NORMALIZED} or {@link #PROJECTOR_NORMALIZED}), and the run's stored k-NN result.
     *
     * @throws InvalidField   naming the parameter if {@code runDirs} is empty or {@code space} is not a space
     * @throws BalconException if a run lacks either result, or the runs' biases were measured differently (K,
     *     split or number of images): such points are not comparable
     */
    public static List<Plots.RunPoint> plotAgainstAccuracy(List<Path> runDirs, String space, Path png) {
        if (runDirs.isEmpty()) {
            throw new InvalidField("runDirs", "must name at least one run directory");
        }
        List<Plots.RunPoint> points = new ArrayList<>();
        Report first = null;
        for (Path runDir : runDirs) {
            RunDirectory run = new RunDirectory(runDir);
            String recipe = run.readConfig().augmentation().recipe();
            Report report = stored(run, recipe);
            if (report == null) {
                throw new BalconException("run " + runDir + " has no bias for its recipe '" + recipe + "' in "
                        + run.results().getFileName() + ": run 'balcon bias --run-dir " + runDir + "' first");
            }
            JsonNode top1 = run.readResults().path("knn").path("top1");
            if (!top1.isNumber()) {
                throw new BalconException("run " + runDir + " has no k-NN result in " + run.results().getFileName()
                        + ": run 'balcon knn --run-dir " + runDir + "' first");
            }
            if (first == null) {
                first = report;
            } else if (first.viewsPerImage() != report.viewsPerImage() || !first.split().equals(report.split())
                    || first.images() != report.images()) {
                throw new BalconException("run " + runDir + " measured its bias on " + describe(report) + ", run "
                        + runDirs.get(0) + " on " + describe(first) + "; measure every run alike (--k, --split, "
                        + "--per-class) to compare them");
            }
            String label = runDir.toAbsolutePath().normalize().getFileName() + " (" + recipe + ")";
            points.add(new Plots.RunPoint(label, inSpace(report, space).bias(), 100 * top1.asDouble()));
        }
        Plots.biasVsAccuracy(points, png);
        return points;
    }

    /**
     * The bias of a report in one of the three spaces, by name.
     *
     * @throws InvalidField naming the parameter {@code space} if it is not one of {@link #SPACES}
     */
    public static BiasResult inSpace(Report report, String space) {
        return switch (space) {
            case BACKBONE -> report.backbone();
            case BACKBONE_NORMALIZED -> report.backboneNormalized();
            case PROJECTOR_NORMALIZED -> report.projectorNormalized();
            default -> throw new InvalidField("space", "must be one of " + SPACES + ", got '" + space + "'");
        };
    }

    private static String describe(Report report) {
        return report.images() + " " + report.split() + " images with K = " + report.viewsPerImage();
    }

    /** A small table of the three forms, for the terminal. */
    public static String table(Report report) {
        StringBuilder out = new StringBuilder();
        out.append(String.format("prototype bias: %d %s images, K = %d views of recipe %s, seed %d (%.1f s)%n",
                report.images(), report.split(), report.viewsPerImage(), report.recipe(), report.seed(),
                report.seconds()));
        out.append("| space                              | bias      | range        |\n");
        out.append("|------------------------------------|-----------|--------------|\n");
        row(out, "backbone features (paper's scale)", report.backbone().bias(), "feature norm");
        row(out, "backbone features, L2-normalised", report.backboneNormalized().bias(), "0 to 2");
        row(out, "projector outputs, L2-normalised", report.projectorNormalized().bias(), "0 to 2");
        return out.toString();
    }

    private static void row(StringBuilder out, String space, double bias, String range) {
        out.append(String.format("| %-34s | %9.4f | %-12s |%n", space, bias, range));
    }
}
