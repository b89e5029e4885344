package dev.balcon.run;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.balcon.BalconException;
import dev.balcon.ComputeDevice;
import dev.balcon.InvalidField;
import dev.balcon.analysis.BiasResult;
import dev.balcon.analysis.BoundGapResult;
import dev.balcon.analysis.BoundGaps;
import dev.balcon.analysis.Plots;
import dev.balcon.analysis.PrototypeBias;
import dev.balcon.analysis.ViewEmbeddings;
import dev.balcon.augment.AugmentationPipeline;
import dev.balcon.augment.Normalization;
import dev.balcon.data.DatasetSplits;
import dev.balcon.data.Datasets;
import dev.balcon.data.ImageDataset;
import dev.balcon.data.ImageSelection;
import dev.balcon.loss.LossConfig;
import dev.balcon.model.ContrastiveModel;
import dev.balcon.train.EpochMonitor;
import dev.balcon.train.PretrainConfig;
import dev.balcon.train.MetricsLog;
import dev.balcon.train.RunDirectory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The bound gaps and the prototype bias on a fixed labelled probe set, measured after every epoch
 * (spec/instruments.md, section 2). The probe is class-balanced (the repelling bound assumes balanced classes),
 * drawn from the test split with a fixed seed, and every image is seen through the same K augmented views
 * (training recipe, fixed seeds) at every epoch, so that the curves follow the model, not the draws; runs with
 * different seeds share the probe.
 *
 * <p>The gaps use the L2-normalised projector outputs (what the loss sees) with the run's loss alpha, lambda and
 * nu; s is the cosine whatever the loss's similarity. The bias is reported in the three forms of
 * {@link BiasMeasurement}. The fields join the epoch's row in metrics.jsonl; after the run {@link #writeGapsPlot}
 * draws gaps.png from them.
 */
public final class BoundMonitor implements EpochMonitor {
    private static final Logger LOG = LoggerFactory.getLogger(BoundMonitor.class);

    /** Default probe size (images, class-balanced). */
    public static final int DEFAULT_PROBE_SIZE = 1000;
    /** Default K, views per probe image. */
    public static final int DEFAULT_PROBE_VIEWS = 4;
    /** File name of the gaps-vs-epoch plot in the run directory. */
    public static final String GAPS_PLOT = "gaps.png";
    /** Key of the on-demand measurement in results.json. */
    public static final String RESULT_KEY = "bounds";
    /** Seed of the probe images and their views: fixed, so that every run is measured on the same probe. */
    private static final long PROBE_SEED = 20250101L;

    private final ImageDataset split;
    private final int[] probe;
    private final AugmentationPipeline pipeline;
    private final int views;
    private final LossConfig loss;

    /**
     * A monitor on images {@code probe} of {@code split}, K = {@code views} views each drawn by {@code pipeline}.
     *
     * @throws InvalidField   naming config.json's {@code monitor.probeViews} if K &lt; 2 (the bounds compare a view
     *                         with the other views of its image)
     * @throws BalconException if a class of the split is missing from the probe
     */
    public BoundMonitor(ImageDataset split, int[] probe, AugmentationPipeline pipeline, int views, LossConfig loss) {
        if (views < 2) {
            throw new InvalidField("monitor.probeViews", "must be >= 2 (the bounds compare each view with the other "
                    + "views of its image), got " + views);
        }
        ImageSelection.requireEveryClass(split, probe);
        this.split = split;
        this.probe = probe.clone();
        this.pipeline = pipeline;
        this.views = views;
        this.loss = loss;
    }

    /**
     * The monitor of a run: {@code probeSize} test images, the same number from each class (fewer if the smallest
     * class has fewer), {@code probeViews} views each of the run's training recipe, the run's loss parameters.
     *
     * @throws InvalidField   naming config.json's {@code monitor.probeSize} if there are fewer probe images than classes,
     *                        {@code monitor.probeViews} if {@code probeViews} &lt; 2
     * @throws BalconException if a class of the test split has no image
     */
    public static BoundMonitor of(PretrainConfig config, ImageDataset test, Normalization normalization,
                                  int probeSize, int probeViews) {
        ImageSelection.requireEveryClass(test);
        int classes = test.numClasses();
        if (probeSize < classes) {
            throw new InvalidField("monitor.probeSize", "must be at least the number of classes (" + classes
                    + ") for a class-balanced probe, got " + probeSize);
        }
        int perClass = probeSize / classes;
        int smallest = ImageSelection.smallestClass(test);
        if (smallest < perClass) {
            LOG.warn("the probe takes {} images per class instead of {}: a class of {} has only {}", smallest, perClass,
                    test.name(), smallest);
            perClass = smallest;
        }
        int[] probe = ImageSelection.balanced(test, perClass, PROBE_SEED, "monitor.probeSize");
        AugmentationPipeline pipeline = config.augmentationRecipe()
                .build(test.channels(), test.height(), test.width(), normalization);
        return new BoundMonitor(test, probe, pipeline, probeViews, config.lossConfig());
    }

    /**
     * Gaps and bias on the probe.
     *
     * @param gaps                the bound gaps of the normalised projector outputs
     * @param backbone            bias of the raw backbone features
     * @param backboneNormalized  bias of the L2-normalised backbone features
     * @param projectorNormalized bias of the L2-normalised projector outputs
     * @param probeImages         N, images in the probe
     * @param viewsPerImage       K
     * @param seconds             wall time of the measurement
     */
    public record Measurement(BoundGapResult gaps, BiasResult backbone, BiasResult backboneNormalized,
                              BiasResult projectorNormalized, int probeImages, int viewsPerImage, double seconds) {}

    /** Number of probe images. */
    public int probeImages() {
        return probe.length;
    }

    /**
     * Measures the model on the probe.
     *
     * @throws BalconException if the model's embeddings are not finite
     */
    public Measurement measure(ContrastiveModel model) {
        return measure(model, "the model");
    }

    /** As {@link #measure(ContrastiveModel)}; {@code name} names the model in the error. */
    private Measurement measure(ContrastiveModel model, String name) {
        long start = System.nanoTime();
        AugmentedViews embedded = embed(model);
        embedded.requireFinite(name);
        return compute(embedded, start);
    }

    /**
     * The epoch's fields: the means of {@link BoundGapResult} in snake case ({@code attract_gap},
     * {@code repel_gap}, {@code attract_violations}, ...), {@code probe_anchors}, and the three biases
     * ({@code bias_backbone}, {@code bias_backbone_normalized}, {@code bias_projector_normalized}). A model whose
     * embeddings are not finite gets {@code probe_skipped} instead: a monitor does not stop a run.
     */
    @Override
    public Map<String, Object> measure(int epoch, ContrastiveModel model) {
        long start = System.nanoTime();
        AugmentedViews embedded = embed(model);
        int nonFinite = embedded.nonFiniteImages();
        if (nonFinite > 0) {
            LOG.warn("epoch {}: the embeddings of {} of {} probe images are not finite, bound gaps skipped", epoch,
                    nonFinite, embedded.images());
            return Map.of("probe_skipped", "non-finite embeddings");
        }
        return fields(compute(embedded, start));
    }

    /** The fields of a measurement as they appear in the metrics row (see {@link #measure(int, ContrastiveModel)}). */
    public static Map<String, Object> fields(Measurement measurement) {
        BoundGapResult gaps = measurement.gaps();
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("attract_term", gaps.attractTerm());
        fields.put("attract_bound", gaps.attractBound());
        fields.put("attract_gap", gaps.attractGap());
        fields.put("attract_violations", gaps.attractViolations());
        fields.put("repel_term", gaps.repelTerm());
        fields.put("repel_bound", gaps.repelBound());
        fields.put("repel_gap", gaps.repelGap());
        fields.put("repel_violations", gaps.repelViolations());
        fields.put("supervised_objective", gaps.supervisedObjective());
        fields.put("self_supervised_bound", gaps.selfSupervisedBound());
        fields.put("probe_anchors", gaps.anchors());
        fields.put("bias_backbone", measurement.backbone().bias());
        fields.put("bias_backbone_normalized", measurement.backboneNormalized().bias());
        fields.put("bias_projector_normalized", measurement.projectorNormalized().bias());
        return fields;
    }

    /**
     * Measures the checkpoint of a run on demand (the {@code bounds} verb), on its own dataset.
     *
     * @throws InvalidField as {@link #of}
     */
    public static Measurement ofRun(RunDirectory run, int probeSize, int probeViews) {
        PretrainConfig config = run.readConfig();
        DatasetSplits splits = Datasets.evaluationSplits(config.data());
        ImageDataset train = splits.train();
        try (NDManager manager = NDManager.newBaseManager(ComputeDevice.current());
             TrainedEncoder encoder = TrainedEncoder.open(run, config, train, manager)) {
            return of(config, splits.test(), encoder.normalization(), probeSize, probeViews).measure(encoder.model(),
                    "run " + run.root());
        }
    }

    /**
     * Draws gaps.png in the run directory from the epoch rows of metrics.jsonl that carry gaps.
     *
     * @return the plot, or null if no epoch row has gaps
     */
    public static Path writeGapsPlot(RunDirectory run) {
        List<Plots.EpochGaps> rows = gapsFromMetrics(run.metrics());
        if (rows.isEmpty()) {
            return null;
        }
        Path png = run.root().resolve(GAPS_PLOT);
        Plots.gapsVsEpoch(rows, png);
        return png;
    }

    /** The gaps of every epoch row of a metrics.jsonl that has them; for an epoch logged twice, the last row. */
    public static List<Plots.EpochGaps> gapsFromMetrics(Path metrics) {
        Map<Integer, Plots.EpochGaps> byEpoch = new TreeMap<>();
        for (JsonNode row : MetricsLog.rows(metrics)) {
            if ("epoch".equals(row.path("type").asText()) && row.path("attract_gap").isNumber()
                    && row.path("repel_gap").isNumber()) {
                int epoch = row.path("epoch").asInt();
                byEpoch.put(epoch, new Plots.EpochGaps(epoch, row.get("attract_gap").asDouble(),
                        row.get("repel_gap").asDouble()));
            }
        }
        return new ArrayList<>(byEpoch.values());
    }

    private AugmentedViews embed(ContrastiveModel model) {
        return AugmentedViews.embed(model, split, probe, pipeline, views, PROBE_SEED);
    }

    private Measurement compute(AugmentedViews embedded, long start) {
        try (NDManager manager = NDManager.newBaseManager(ComputeDevice.current())) {
            ViewEmbeddings backbone = embedded.backboneEmbeddings(manager);
            ViewEmbeddings projector = embedded.projectorEmbeddings(manager);
            BoundGapResult gaps = BoundGaps.compute(projector, loss.alpha(), loss.lambda(), loss.nu());
            return new Measurement(gaps,
                    PrototypeBias.compute(backbone, false, BiasMeasurement.BACKBONE),
                    PrototypeBias.compute(backbone, true, BiasMeasurement.BACKBONE_NORMALIZED),
                    PrototypeBias.compute(projector, true, BiasMeasurement.PROJECTOR_NORMALIZED),
                    probe.length, views, (System.nanoTime() - start) / 1e9);
        }
    }
}
