package dev.balcon.run;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.balcon.ComputeDevice;
import dev.balcon.augment.Normalization;
import dev.balcon.data.DatasetSplits;
import dev.balcon.data.Datasets;
import dev.balcon.data.ImageDataset;
import dev.balcon.eval.FeatureCache;
import dev.balcon.eval.FeatureExtractor;
import dev.balcon.eval.KnnClassifier;
import dev.balcon.eval.KnnResult;
import dev.balcon.eval.LinearProbe;
import dev.balcon.eval.LinearProbeResult;
import dev.balcon.model.ContrastiveModel;
import dev.balcon.model.Precision;
import dev.balcon.train.PretrainConfig;
import dev.balcon.train.RunDirectory;

/**
 * k-NN and linear evaluation of a run's encoder, and the floors every learned representation must beat. The encoder's
 * features are computed in a {@link Precision}: fp32 unless a method taking one is given another (bf16 runs the
 * backbone's convolutions and linear layers in bfloat16 on bfloat16 copies of the weights, the features come back
 * float32; see {@link ContrastiveModel#features}).
 */
public final class Evaluation {
    /** The field of a stored result that names the precision of its features, when that is not fp32. */
    public static final String PRECISION_FIELD = "precision";

    private Evaluation() {}

    /**
     * Stores {@code result} under {@code key} in the run's results.json as {@link RunDirectory#putResult} does,
     * with a field {@value #PRECISION_FIELD} naming {@code precision} ({@code "bf16"}) unless it is fp32: results
     * computed in fp32 are stored exactly as before precisions existed.
     *
     * @param result a result record ({@link KnnResult}, {@link LinearProbeResult}) that serialises to a JSON object
     * @throws IllegalArgumentException if {@code result} does not serialise to a JSON object
     */
    public static void putResult(RunDirectory run, String key, Object result, Precision precision) {
        if (precision == Precision.FP32) {
            run.putResult(key, result);
            return;
        }
        if (!(RunDirectory.JSON.valueToTree(result) instanceof ObjectNode node)) {
            throw new IllegalArgumentException("a result stored with its precision must be a JSON object, got "
                    + result);
        }
        node.put(PRECISION_FIELD, precision.id());
        run.putResult(key, node);
    }

    /**
     * The trained encoder of a run: train split as memory bank, test split as queries (the dataset's full splits,
     * or the run's evalData folder; see {@link Datasets#evaluationSplits}). The features are cached in the run
     * directory, shared with {@link #linearOfRun}, until the checkpoint changes.
     */
    public static KnnResult knnOfRun(RunDirectory run, KnnClassifier knn) {
        PretrainConfig config = run.readConfig();
        return knnOfRun(run, Datasets.evaluationSplits(config.data()), knn, Precision.FP32);
    }

    /**
     * As {@link #knnOfRun(RunDirectory, KnnClassifier)}, on splits the caller has already loaded, with the features
     * computed in {@code precision}; they are cached per precision (a cached entry of the other precision is
     * recomputed).
     *
     * @throws dev.balcon.BalconException if {@code precision} does not work with this engine (naming the field
     *     {@code precision}), besides the errors of the two-argument method
     */
    public static KnnResult knnOfRun(RunDirectory run, DatasetSplits splits, KnnClassifier knn, Precision precision) {
        return onRunFeatures(run, splits, precision, knn::evaluate);
    }

    /**
     * The same encoder, untrained (initialised with the run's seed): what the architecture gives for free; the
     * features computed in {@code precision}.
     *
     * @throws dev.balcon.BalconException if {@code precision} does not work with this engine
     */
    public static KnnResult knnOfRandomInit(PretrainConfig config, DatasetSplits splits, KnnClassifier knn,
                                            Precision precision) {
        return onRandomInit(config, splits, precision, knn::evaluate);
    }

    /**
     * Linear probe of the same encoder, untrained (initialised with the run's seed), the features computed in
     * {@code precision}.
     *
     * @throws dev.balcon.BalconException if {@code precision} does not work with this engine
     */
    public static LinearProbeResult linearOfRandomInit(PretrainConfig config, DatasetSplits splits, LinearProbe probe,
                                                       Precision precision) {
        return onRandomInit(config, splits, precision, probe::evaluate);
    }

    /** Normalised pixels as features. */
    public static KnnResult knnOfPixels(DatasetSplits splits, KnnClassifier knn) {
        return onPixels(splits, knn::evaluate);
    }

    /**
     * Linear probe of a run's frozen backbone: trained on the train split, scored on the test split. The
     * features of each split are cached in the run directory and recomputed only after a new checkpoint.
     */
    public static LinearProbeResult linearOfRun(RunDirectory run, LinearProbe probe) {
        PretrainConfig config = run.readConfig();
        return linearOfRun(run, Datasets.evaluationSplits(config.data()), probe, Precision.FP32);
    }

    /**
     * As {@link #linearOfRun(RunDirectory, LinearProbe)}, on splits the caller has already loaded, with the features
     * computed in {@code precision}; they are cached per precision (a cached entry of the other precision is
     * recomputed).
     *
     * @throws dev.balcon.BalconException if {@code precision} does not work with this engine (naming the field
     *     {@code precision}), besides the errors of the two-argument method
     */
    public static LinearProbeResult linearOfRun(RunDirectory run, DatasetSplits splits, LinearProbe probe,
                                                Precision precision) {
        return onRunFeatures(run, splits, precision, probe::evaluate);
    }

    /** Linear probe of normalised pixels. */
    public static LinearProbeResult linearOfPixels(DatasetSplits splits, LinearProbe probe) {
        return onPixels(splits, probe::evaluate);
    }

    /** An evaluation of features: fitted on (or remembering) the train rows, scored on the test rows. */
    private interface FeatureEvaluation<R> {
        R evaluate(NDArray train, int[] trainLabels, NDArray test, int[] testLabels, int numClasses);
    }

    /**
     * Runs {@code evaluation} on the run's backbone features in {@code precision}, cached in the run directory per
     * checkpoint and precision.
     */
    private static <R> R onRunFeatures(RunDirectory run, DatasetSplits splits, Precision precision,
                                       FeatureEvaluation<R> evaluation) {
        PretrainConfig config = run.readConfig();
        FeatureCache cache = new FeatureCache(run.root(), run.checkpoint());
        try (NDManager manager = NDManager.newBaseManager(ComputeDevice.current())) {
            NDArray train = cachedBackboneFeatures(cache, "train", splits.train(), config, run, precision, manager);
            NDArray test = cachedBackboneFeatures(cache, "test", splits.test(), config, run, precision, manager);
            return evaluation.evaluate(train, splits.train().labels(), test, splits.test().labels(),
                    splits.train().numClasses());
        }
    }

    /** Runs {@code evaluation} on normalised pixels. */
    private static <R> R onPixels(DatasetSplits splits, FeatureEvaluation<R> evaluation) {
        Normalization normalization = Normalization.of(splits.train());
        try (NDManager manager = NDManager.newBaseManager(ComputeDevice.current())) {
            NDArray train = FeatureExtractor.rawPixels(splits.train(), normalization, manager);
            NDArray test = FeatureExtractor.rawPixels(splits.test(), normalization, manager);
            return evaluation.evaluate(train, splits.train().labels(), test, splits.test().labels(),
                    splits.train().numClasses());
        }
    }

    private static NDArray cachedBackboneFeatures(FeatureCache cache, String split, ImageDataset dataset,
                                                  PretrainConfig config, RunDirectory run, Precision precision,
                                                  NDManager manager) {
        return cache.getOrCompute(split, dataset.name(), dataset.size(), precision, manager, () -> {
            try (TrainedEncoder encoder = TrainedEncoder.open(run, config, dataset, manager)) {
                encoder.model().setPrecision(precision);
                return FeatureExtractor.backboneFeatures(encoder.model(), dataset, encoder.normalization(), manager);
            }
        });
    }

    /** Runs {@code evaluation} on the backbone features of the run's encoder, untrained, in {@code precision}. */
    private static <R> R onRandomInit(PretrainConfig config, DatasetSplits splits, Precision precision,
                                      FeatureEvaluation<R> evaluation) {
        Normalization normalization = Normalization.of(splits.train());
        try (NDManager manager = NDManager.newBaseManager(ComputeDevice.current());
             ContrastiveModel model = ContrastiveModel.create(config.modelConfig(splits.train().channels()),
                     splits.train().height(), splits.train().width(), manager, config.seed())) {
            model.setPrecision(precision);
            NDArray train = FeatureExtractor.backboneFeatures(model, splits.train(), normalization, manager);
            NDArray test = FeatureExtractor.backboneFeatures(model, splits.test(), normalization, manager);
            return evaluation.evaluate(train, splits.train().labels(), test, splits.test().labels(),
                    splits.train().numClasses());
        }
    }
}
