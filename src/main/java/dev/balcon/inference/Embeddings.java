package dev.balcon.inference;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.balcon.BalconException;
import dev.balcon.ComputeDevice;
import dev.balcon.Progress;
import dev.balcon.data.ImageDataset;
import dev.balcon.eval.KnnClassifier;
import dev.balcon.eval.KnnResult;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.IntStream;

/** Embeds whole datasets into an {@link EmbeddingWriter}, a batch at a time. */
public final class Embeddings {
    /** Images encoded per batch: the features of one batch are all that is held besides the images themselves. */
    static final int BATCH = 512;

    private Embeddings() {}

    /**
     * One split of a dataset to embed.
     *
     * @param name     written to the CSV's split column (e.g. {@code train}, {@code test})
     * @param images   the images, at the encoder's input shape
     * @param labelled whether the class names are labels (false for an unlabelled folder)
     */
    public record Split(String name, ImageDataset images, boolean labelled) {}

    /**
     * What was written.
     *
     * @param images  vectors written
     * @param dim     length of each vector
     * @param seconds wall time of encoding and writing
     */
    public record Summary(long images, int dim, double seconds, Path npyFile, Path csvFile) {
        /** Images embedded per second. */
        public double imagesPerSecond() {
            return images / seconds;
        }
    }

    /**
     * Weighted k-NN top-1 on embed's output, the protocol of {@code balcon knn} on a run: the rows of split
     * {@code train} are the memory bank, those of split {@code test} the queries, classes from the label column.
     * Every vector is held in memory ([N, d] float32).
     *
     * @throws BalconException if the file has no {@code train} or no {@code test} row, or an unlabelled row, or
     *                         (from {@link KnnClassifier}) NaN or infinite features
     */
    public static KnnResult knn(EmbeddingFile file, KnnClassifier knn) {
        String[] splits = file.splits();
        String[] labels = file.labels();
        Map<String, Integer> classes = new TreeMap<>();
        for (long row = 0; row < labels.length; row++) {
            if (labels[(int) row].isEmpty()) {
                throw new BalconException(file.csvFile() + ": row " + row + " has no label; k-NN needs labelled "
                        + "train and test rows (embed both splits of a labelled dataset)");
            }
            classes.putIfAbsent(labels[(int) row], 0);
        }
        int next = 0;
        for (Map.Entry<String, Integer> entry : classes.entrySet()) {
            entry.setValue(next++);
        }
        int memoryRows = (int) Arrays.stream(splits).filter("train"::equals).count();
        int queryRows = (int) Arrays.stream(splits).filter("test"::equals).count();
        if (memoryRows == 0 || queryRows == 0) {
            throw new BalconException(file.csvFile() + " holds " + memoryRows + " train and " + queryRows + " test rows;"
                    + " k-NN needs both (embed both splits of a labelled dataset)");
        }
        int dim = file.dim();
        float[] memory = new float[Math.multiplyExact(memoryRows, dim)];
        float[] queries = new float[Math.multiplyExact(queryRows, dim)];
        int[] memoryLabels = new int[memoryRows];
        int[] queryLabels = new int[queryRows];
        int[] filled = {0, 0};
        file.forEachRow((row, values) -> {
            int r = (int) row;
            if (splits[r].equals("train")) {
                memoryLabels[filled[0]] = classes.get(labels[r]);
                System.arraycopy(values, 0, memory, filled[0]++ * dim, dim);
            } else if (splits[r].equals("test")) {
                queryLabels[filled[1]] = classes.get(labels[r]);
                System.arraycopy(values, 0, queries, filled[1]++ * dim, dim);
            }
        });
        try (NDManager manager = NDManager.newBaseManager(ComputeDevice.current())) {
            return knn.evaluate(manager.create(memory, new Shape(memoryRows, dim)), memoryLabels,
                    manager.create(queries, new Shape(queryRows, dim)), queryLabels, classes.size());
        }
    }

    /**
     * Embeds every image of {@code splits}, in order, to {@code base.npy} and {@code base.csv}; the id of an image
     * is its {@linkplain ImageDataset#id(int) id}: its file path relative to the data root for images loaded from
     * files, else its index in its split. Nothing is left at {@code base} if it fails.
     *
     * @param showProgress draw a progress bar with the images/s on stderr
     * @throws BalconException if the splits hold no image or have another shape than the encoder's input
     */
    public static Summary write(Encoder encoder, List<Split> splits, Path base, boolean showProgress) {
        long total = splits.stream().mapToLong(split -> split.images().size()).sum();
        if (total == 0) {
            throw new BalconException("no image to embed in " + splits.stream().map(s -> s.images().name()).toList());
        }
        long start = System.nanoTime();
        long done = 0;
        try (EmbeddingWriter writer = new EmbeddingWriter(base, total, encoder.featureDim());
             Progress.Task bar = (showProgress ? Progress.current() : Progress.none()).start("embed", total)) {
            for (Split split : splits) {
                ImageDataset images = split.images();
                List<String> classNames = images.classNames();
                for (int from = 0; from < images.size(); from += BATCH) {
                    int to = Math.min(images.size(), from + BATCH);
                    ImageDataset batch = images.subset(IntStream.range(from, to).toArray(), images.name());
                    float[][] vectors = encoder.embed(batch);
                    for (int i = from; i < to; i++) {
                        writer.append(vectors[i - from], images.id(i), split.name(),
                                split.labelled() ? classNames.get(images.label(i)) : null);
                    }
                    done += to - from;
                    for (int i = from; i < to; i++) {
                        bar.step();
                    }
                    bar.message(String.format(" %.0f img/s", done / ((System.nanoTime() - start) / 1e9)));
                }
            }
            writer.commit();
            return new Summary(total, encoder.featureDim(), (System.nanoTime() - start) / 1e9, writer.npyFile(),
                    writer.csvFile());
        }
    }
}
