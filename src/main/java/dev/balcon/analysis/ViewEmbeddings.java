package dev.balcon.analysis;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.balcon.BalconException;
import dev.balcon.eval.NonFinite;

/**
 * Embeddings of K augmented views for each of N labelled images: {@code views} is a float32 array of
 * shape [N, K, D] (view k of image i is {@code views[i, k, :]}), {@code labels[i]} is the class of image
 * i in [0, numClasses).
 *
 * <p>The constructor validates the shape, the data type, that every value is finite, that the labels
 * match the images and lie in range, and that every class has at least one image (a class prototype is
 * the mean over its images). The record does not own {@code views}: the caller closes it; the
 * instruments only read it. The labels are copied on the way in and on the way out.
 */
public record ViewEmbeddings(NDArray views, int[] labels, int numClasses) {

    public ViewEmbeddings {
        if (views == null) {
            throw new BalconException("views must be a float32 array of shape [N, K, D], got null");
        }
        Shape shape = views.getShape();
        if (shape.dimension() != 3) {
            throw new BalconException("views must have shape [N, K, D] (images, views, dimensions), got " + shape);
        }
        if (views.getDataType() != DataType.FLOAT32) {
            throw new BalconException("views must be float32, got " + views.getDataType());
        }
        if (shape.get(0) < 1 || shape.get(1) < 1 || shape.get(2) < 1) {
            throw new BalconException("views needs N >= 1 images, K >= 1 views and D >= 1 dimensions, got shape "
                    + shape);
        }
        if (labels == null) {
            throw new BalconException("labels must hold one class per image, got null");
        }
        if (labels.length != shape.get(0)) {
            throw new BalconException("labels has " + labels.length + " entries but views has N = " + shape.get(0)
                    + " images; expected one label per image");
        }
        if (numClasses < 1) {
            throw new BalconException("numClasses must be >= 1, got " + numClasses);
        }
        int[] imagesPerClass = new int[numClasses];
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= numClasses) {
                throw new BalconException("labels[" + i + "] = " + labels[i] + " is outside [0, " + numClasses + ")");
            }
            imagesPerClass[labels[i]]++;
        }
        for (int c = 0; c < numClasses; c++) {
            if (imagesPerClass[c] == 0) {
                throw new BalconException("class " + c + " has no images in labels; every class in [0, " + numClasses
                        + ") needs at least one image to define its prototype");
            }
        }
        requireFinite(views);
        labels = labels.clone();
    }

    /** The labels, one per image (a copy). */
    @Override
    public int[] labels() {
        return labels.clone();
    }

    /** N, the number of images. */
    public int images() {
        return Math.toIntExact(views.getShape().get(0));
    }

    /** K, the number of augmented views per image. */
    public int viewsPerImage() {
        return Math.toIntExact(views.getShape().get(1));
    }

    /** D, the embedding dimension. */
    public int dimension() {
        return Math.toIntExact(views.getShape().get(2));
    }

    private static void requireFinite(NDArray views) {
        try (NDArray nan = views.isNaN();
                NDArray infinite = views.isInfinite();
                NDArray bad = nan.logicalOr(infinite);
                NDArray anyBad = bad.any()) {
            if (!anyBad.getBoolean()) {
                return;
            }
            try (NDArray flat = bad.reshape(-1).toType(DataType.INT32, false); NDArray first = flat.argMax()) {
                long perImage = views.getShape().get(1) * views.getShape().get(2);
                long index = first.getLong();
                throw new BalconException("views holds NaN or infinite values in " + NonFinite.rows(views)
                        + " of " + views.getShape().get(0) + " images (the first at image " + index / perImage + ", view "
                        + index % perImage / views.getShape().get(2) + "); embeddings must be finite");
            }
        }
    }
}
