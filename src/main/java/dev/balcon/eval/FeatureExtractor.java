package dev.balcon.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.balcon.Progress;
import dev.balcon.augment.Normalization;
import dev.balcon.data.ImageDataset;
import dev.balcon.model.ContrastiveModel;

import java.util.function.Function;

/**
 * Turns a dataset into a feature matrix [N, D]: backbone features of a model, or normalised raw pixels. Every method
 * throws {@link NonFinite.Found} at the first batch (of {@value #BATCH} images) whose features hold a NaN or infinite
 * value: a diverged model is refused after one batch, not after the whole split.
 */
public final class FeatureExtractor {
    private static final int BATCH = 512;

    private FeatureExtractor() {}

    /** Backbone (pre-projector) features of every image, in inference mode, attached to {@code manager}. */
    public static NDArray backboneFeatures(ContrastiveModel model, ImageDataset dataset, Normalization normalization,
                                           NDManager manager) {
        return extract(dataset, normalization, manager, model::features);
    }

    /** Projector outputs of every image, in inference mode. */
    public static NDArray projectorFeatures(ContrastiveModel model, ImageDataset dataset, Normalization normalization,
                                            NDManager manager) {
        return extract(dataset, normalization, manager, model::project);
    }

    /** Normalised pixels, flattened: the floor any learned representation must beat. */
    public static NDArray rawPixels(ImageDataset dataset, Normalization normalization, NDManager manager) {
        return extract(dataset, normalization, manager, images -> images.reshape(images.getShape().get(0), -1));
    }

    private static NDArray extract(ImageDataset dataset, Normalization normalization, NDManager manager,
                                   Function<NDArray, NDArray> encoder) {
        int imageSize = dataset.imageSize();
        NDList chunks = new NDList();
        int batch = Math.min(BATCH, dataset.size()); // a few images need no buffer of a full batch
        float[] buffer = new float[batch * imageSize];
        long batches = (dataset.size() + batch - 1) / batch;
        // chunks are closed whatever happens: on success once concatenated, on failure (a non-finite batch) at once
        try (chunks; Progress.Task progress = batches > 1
                ? Progress.current().start("Features of " + dataset.name(), batches) : null) {
            for (int start = 0; start < dataset.size(); start += batch) {
                int count = Math.min(batch, dataset.size() - start);
                for (int i = 0; i < count; i++) {
                    normalization.toTensor(dataset, start + i, buffer, i * imageSize);
                }
                try (NDManager batchManager = manager.newSubManager()) {
                    float[] input = count == batch ? buffer : java.util.Arrays.copyOf(buffer, count * imageSize);
                    NDArray images = batchManager.create(input,
                            new Shape(count, dataset.channels(), dataset.height(), dataset.width()));
                    NDArray features = encoder.apply(images);
                    long bad = NonFinite.rows(features);
                    if (bad > 0) {
                        throw new NonFinite.Found(bad, start + count, dataset.size());
                    }
                    features.attach(manager);
                    chunks.add(features);
                }
                if (progress != null) {
                    progress.step();
                }
            }
            return NDArrays.concat(chunks);
        }
    }
}
