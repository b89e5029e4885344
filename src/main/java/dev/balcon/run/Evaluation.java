package dev.balcon.run;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
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
import dev.balcon.train.PretrainConfig;
import dev.balcon.train.RunDirectory;

/** k-NN and linear evaluation of a run's encoder, and the floors every learned representation must beat. */
public final class Evaluation {
    private Evaluation() {}

    /**
     * The trained encoder of a run: train split as memory bank, test split as queries (the dataset's full splits,
     * or the run's --eval-data folder; see {@link Datasets#evaluationSplits}). The features are cached in the run
     * directory, shared with {@link #linearOfRun}, until the checkpoint changes.
     */
    public static KnnResult knnOfRun(RunDirectory run, KnnClassifier knn) {
        PretrainConfig config = run.readConfig();
        return knnOfRun(run, Datasets.evaluationSplits(config.data()), knn);
    }

    /** As {@link #knnOfRun(RunDirectory, KnnClassifier)}, on splits the caller has already loaded. */
    public static KnnResult knnOfRun(RunDirectory run, DatasetSplits splits, KnnClassifier knn) {
        return onRunFeatures(run, splits, knn::evaluate);
    }

    /** The same encoder, untrained (initialised with the run's seed): what the architecture gives for free. */
    public static KnnResult knnOfRandomInit(PretrainConfig config, DatasetSplits splits, KnnClassifier knn) {
        return onRandomInit(config, splits, knn::evaluate);
    }

    /** Linear probe of the same encoder, untrained (initialised with the run's seed). */
    public static LinearProbeResult linearOfRandomInit(PretrainConfig config, DatasetSplits splits, LinearProbe probe) {
        return onRandomInit(config, splits, probe::evaluate);
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
        return linearOfRun(run, Datasets.evaluationSplits(config.data()), probe);
    }

    /** As {@link #linearOfRun(RunDirectory, LinearProbe)}, on splits the caller has already loaded. */
    public static LinearProbeResult linearOfRun(RunDirectory run, DatasetSplits splits, LinearProbe probe) {
        return onRunFeatures(run, splits, probe::evaluate);
    }

    /** Linear probe of normalised pixels. */
    public static LinearProbeResult linearOfPixels(DatasetSplits splits, LinearProbe probe) {
        return onPixels(splits, probe::evaluate);
    }

    /** An evaluation of features: fitted on (or remembering) the train rows, scored on the test rows. */
    private interface FeatureEvaluation<R> {
        R evaluate(NDArray train, int[] trainLabels, NDArray test, int[] testLabels, int numClasses);
    }

    /** Runs {@code evaluation} on the run's backbone features, cached in the run directory per checkpoint. */
    private static <R> R onRunFeatures(RunDirectory run, DatasetSplits splits, FeatureEvaluation<R> evaluation) {
        PretrainConfig config = run.readConfig();
        FeatureCache cache = new FeatureCache(run.root(), run.checkpoint());
        try (NDManager manager = NDManager.newBaseManager(ComputeDevice.current())) {
            NDArray train = cachedBackboneFeatures(cache, "train", splits.train(), config, run, manager);
            NDArray test = cachedBackboneFeatures(cache, "test", splits.test(), config, run, manager);
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
                                                  PretrainConfig config, RunDirectory run, NDManager manager) {
        return cache.getOrCompute(split, dataset.name(), dataset.size(), manager, () -> {
            try (TrainedEncoder encoder = TrainedEncoder.open(run, config, dataset, manager)) {
                return FeatureExtractor.backboneFeatures(encoder.model(), dataset, encoder.normalization(), manager);
            }
        });
    }

    /** Runs {@code evaluation} on the backbone features of the run's encoder, untrained. */
    private static <R> R onRandomInit(PretrainConfig config, DatasetSplits splits, FeatureEvaluation<R> evaluation) {
        Normalization normalization = Normalization.of(splits.train());
        try (NDManager manager = NDManager.newBaseManager(ComputeDevice.current());
             ContrastiveModel model = ContrastiveModel.create(config.modelConfig(splits.train().channels()),
                     splits.train().height(), splits.train().width(), manager, config.seed())) {
            NDArray train = FeatureExtractor.backboneFeatures(model, splits.train(), normalization, manager);
            NDArray test = FeatureExtractor.backboneFeatures(model, splits.test(), normalization, manager);
            return evaluation.evaluate(train, splits.train().labels(), test, splits.test().labels(),
                    splits.train().numClasses());
        }
    }
}
