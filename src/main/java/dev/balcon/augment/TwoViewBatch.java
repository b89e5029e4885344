package dev.balcon.augment;

/**
 * Two augmented views of {@code batchSize} images: {@code view1} and {@code view2} are each
 * {@code batchSize x channels x height x width} floats (row k is a view of dataset image
 * {@code indices[k]}).
 */
public record TwoViewBatch(float[] view1, float[] view2, int[] indices, int batchSize, int channels, int height,
        int width) {
}
