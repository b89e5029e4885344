package dev.balcon.experiment;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.balcon.augment.Normalization;
import dev.balcon.data.DatasetSplits;
import dev.balcon.eval.FeatureExtractor;
import dev.balcon.eval.KnnClassifier;
import dev.balcon.eval.KnnResult;
import dev.balcon.model.ContrastiveModel;
import dev.balcon.train.Checkpoint;
import dev.balcon.train.PretrainConfig;
import dev.balcon.train.RunDirectory;

/** k-NN evaluation of a run's encoder, and the two floors every learned representation must beat. */
public final class Evaluation {
    private Evaluation() {}

    /**
     * The trained encoder of a run: train split as memory bank, test split as queries (the dataset's full splits,
     * or the run's --eval-data folder; see {@link Datasets#evaluationSplits}).
     */
    public static KnnResult knnOfRun(RunDirectory run, KnnClassifier knn) {
        PretrainConfig config = run.readConfig();
        return knnOfRun(run, Datasets.evaluationSplits(config), knn);
    }

    /** As {@link #knnOfRun(RunDirectory, KnnClassifier)}, on splits the caller has already loaded. */
    public static KnnResult knnOfRun(RunDirectory run, DatasetSplits splits, KnnClassifier knn) {
        PretrainConfig config = run.readConfig();
        Normalization normalization = Normalization.of(splits.train());
        try (NDManager manager = NDManager.newBaseManager();
             ContrastiveModel model = ContrastiveModel.create(config.modelConfig(splits.train().channels()),
                     splits.train().height(), splits.train().width(), manager, config.seed())) {
            Checkpoint.loadModel(run.checkpoint(), model);
            return knnOfModel(model, splits, normalization, knn, manager);
        }
    }

    /** The same encoder, untrained (initialised with the run's seed): what the architecture gives for free. */
    public static KnnResult knnOfRandomInit(PretrainConfig config, DatasetSplits splits, KnnClassifier knn) {
        Normalization normalization = Normalization.of(splits.train());
        try (NDManager manager = NDManager.newBaseManager();
             ContrastiveModel model = ContrastiveModel.create(config.modelConfig(splits.train().channels()),
                     splits.train().height(), splits.train().width(), manager, config.seed())) {
            return knnOfModel(model, splits, normalization, knn, manager);
        }
    }

    /** Normalised pixels as features. */
    public static KnnResult knnOfPixels(DatasetSplits splits, KnnClassifier knn) {
        Normalization normalization = Normalization.of(splits.train());
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray memory = FeatureExtractor.rawPixels(splits.train(), normalization, manager);
            NDArray queries = FeatureExtractor.rawPixels(splits.test(), normalization, manager);
            return knn.evaluate(memory, splits.train().labels(), queries, splits.test().labels(),
                    splits.train().numClasses());
        }
    }

    private static KnnResult knnOfModel(ContrastiveModel model, DatasetSplits splits, Normalization normalization,
                                        KnnClassifier knn, NDManager manager) {
        NDArray memory = FeatureExtractor.backboneFeatures(model, splits.train(), normalization, manager);
        NDArray queries = FeatureExtractor.backboneFeatures(model, splits.test(), normalization, manager);
        return knn.evaluate(memory, splits.train().labels(), queries, splits.test().labels(),
                splits.train().numClasses());
    }
}
