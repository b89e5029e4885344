package dev.balcon.run;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.balcon.augment.AugmentationPipeline;
import dev.balcon.augment.Normalization;
import dev.balcon.data.DatasetSplits;
import dev.balcon.data.ImageDataset;
import dev.balcon.model.ContrastiveModel;
import dev.balcon.train.Checkpoint;
import dev.balcon.train.PretrainConfig;
import dev.balcon.train.Pretrainer;
import dev.balcon.train.RunDirectory;
import dev.balcon.train.SyntheticImages;

import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.function.Function;

/** A run trained in about a second (width 4, 16x16 quadrant images, 4 classes), and direct references for it. */
final class TinyRun {
    static final DatasetSplits SPLITS = new DatasetSplits(SyntheticImages.quadrants(64, 16, 3),
            SyntheticImages.quadrants(24, 16, 4));

    private TinyRun() {}

    /** The config of the tiny runs: the balanced loss with alpha 3, lambda 1.5, so that the defaults cannot pass. */
    static PretrainConfig config(int epochs) {
        return PretrainConfig.builder().width(4).projectorHidden(16).projectorOut(8).batchSize(16).loss("balanced").alpha(3.0).lambda(1.5)
                .epochs(epochs).learningRate(0.1).warmupEpochs(0).seed(7).boundMonitor(false).build();
    }

    static RunDirectory train(Path dir, PretrainConfig config) {
        RunDirectory run = new RunDirectory(dir);
        new Pretrainer(config, SPLITS.train(), normalization(), run).showProgress(false).run(false);
        return run;
    }

    static Normalization normalization() {
        return Normalization.of(SPLITS.train());
    }

    static ContrastiveModel load(RunDirectory run, NDManager manager) {
        PretrainConfig config = run.readConfig();
        ContrastiveModel model = ContrastiveModel.create(config.modelConfig(1), 16, 16, manager, config.seed());
        Checkpoint.loadModel(run.checkpoint(), model);
        return model;
    }

    /**
     * The K views of images {@code indices} rendered one by one with the documented seeds, pushed through
     * {@code encoder} in a single batch: float32 [N, K, D]. Independent of AugmentedViews' batching.
     */
    static NDArray directViews(ImageDataset dataset, int[] indices, AugmentationPipeline pipeline, int views, long seed,
                               Function<NDArray, NDArray> encoder, NDManager manager) {
        int length = pipeline.viewLength();
        float[] pixels = new float[indices.length * views * length];
        for (int i = 0; i < indices.length; i++) {
            for (int k = 0; k < views; k++) {
                pipeline.render(dataset, indices[i], new SplittableRandom(AugmentedViews.viewSeed(seed, indices[i], k)),
                        pixels, (i * views + k) * length);
            }
        }
        NDArray images = manager.create(pixels, new Shape((long) indices.length * views, 1, 16, 16));
        NDArray embedded = encoder.apply(images);
        return embedded.reshape(indices.length, views, -1);
    }
}
