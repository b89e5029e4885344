package dev.balcon.spark;

import ai.djl.inference.Predictor;
import ai.djl.translate.TranslateException;
import dev.balcon.BalconException;
import dev.balcon.inference.Encoder;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.encoders.ExpressionEncoder;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.CollectionAccumulator;
import org.apache.spark.util.LongAccumulator;
import org.apache.spark.util.TaskCompletionListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.element_at;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.lower;
import static org.apache.spark.sql.functions.split;
import static org.apache.spark.sql.functions.substring;
import static org.apache.spark.sql.functions.when;

/**
 * Embeds images on Spark with an exported balcon encoder: the library entry point behind {@code balcon-spark embed}.
 *
 * <pre>{@code
 * SparkEmbedder embedder = SparkEmbedder.create(spark, Path.of("models/fm"), SparkEmbedder.Options.defaults());
 * Dataset<Row> vectors = embedder.embed(SparkEmbedder.readImageFolder(spark, "hdfs:///images/train"));
 * vectors.write().parquet("train.parquet");             // id, label, vector
 * long skipped = embedder.skippedImages();              // after the action
 * }</pre>
 *
 * <p>The model's files are read on the driver and broadcast; each executor JVM opens one {@link Encoder} from them on
 * first use and keeps it (one load per executor, whatever the number of tasks), each partition gets its own DJL
 * {@link Predictor} of that encoder (as DJL documents for Spark) and encodes its images in batches. Images are
 * prepared exactly as {@code balcon embed} prepares them ({@link Encoder}'s preprocessing), so the vectors equal
 * {@code balcon embed}'s. libtorch's intra-op threads are set to {@code spark.task.cpus} on every executor: Spark
 * runs {@code executor cores / task cpus} tasks at once, each with that many cores, so the cores are used without
 * oversubscription; set {@link Options#torchThreads} to override.
 */
public final class SparkEmbedder implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(SparkEmbedder.class);
    /** Undecodable files named per task in {@link #skippedExamples()}: enough to find the problem, bounded. */
    private static final int EXAMPLES_PER_TASK = 5;

    /**
     * Schema of the input of {@link #embed}: an image's id, its class name (null if unlabelled) and its file's bytes
     * (null for a file that could not be read, which is skipped like an undecodable one).
     */
    public static final StructType INPUT_SCHEMA = new StructType()
            .add("id", DataTypes.StringType, false)
            .add("label", DataTypes.StringType, true)
            .add("content", DataTypes.BinaryType, true);

    /** Schema of the output: the id and label of the input row and the vector {@code [featureDim]} float32. */
    public static final StructType OUTPUT_SCHEMA = VectorSchema.SCHEMA;

    /**
     * How images are embedded.
     *
     * @param batchSize    images per forward pass, >= 1; decoded images of a batch are held at once
     * @param strict       fail the job on the first undecodable file instead of skipping and counting it
     * @param l2Normalize  return every vector divided by its Euclidean norm
     * @param torchThreads libtorch intra-op threads per executor, or 0 for {@code spark.task.cpus}
     * @param maxPixels    largest width x height decoded; larger images are undecodable
     */
    public record Options(int batchSize, boolean strict, boolean l2Normalize, int torchThreads, long maxPixels)
            implements java.io.Serializable {
        public Options {
            if (batchSize < 1) {
                throw new BalconException("--batch-size must be >= 1, got " + batchSize);
            }
            if (torchThreads < 0) {
                throw new BalconException("--torch-threads must be >= 0 (0: spark.task.cpus), got " + torchThreads);
            }
            if (maxPixels < 1) {
                throw new BalconException("the pixel limit must be >= 1, got " + maxPixels);
            }
        }

        /** Batches of 64, skip undecodable files, raw features, spark.task.cpus threads, the core's pixel limit. */
        public static Options defaults() {
            return new Options(64, false, false, 0, ImageBytes.DEFAULT_MAX_PIXELS);
        }

        public Options withStrict(boolean value) {
            return new Options(batchSize, value, l2Normalize, torchThreads, maxPixels);
        }

        public Options withBatchSize(int value) {
            return new Options(value, strict, l2Normalize, torchThreads, maxPixels);
        }

        public Options withL2Normalize(boolean value) {
            return new Options(batchSize, strict, value, torchThreads, maxPixels);
        }

        public Options withTorchThreads(int value) {
            return new Options(batchSize, strict, l2Normalize, value, maxPixels);
        }
    }

    private final Broadcast<ModelFiles> model;
    private final Options options;
    private final int torchThreads;
    private final int featureDim;
    private final LongAccumulator embedded;
    private final LongAccumulator skipped;
    private final CollectionAccumulator<String> skippedExamples;

    private SparkEmbedder(Broadcast<ModelFiles> model, Options options, int torchThreads, int featureDim,
                          SparkSession spark) {
        this.model = model;
        this.options = options;
        this.torchThreads = torchThreads;
        this.featureDim = featureDim;
        this.embedded = spark.sparkContext().longAccumulator("balcon images embedded");
        this.skipped = spark.sparkContext().longAccumulator("balcon images skipped");
        this.skippedExamples = spark.sparkContext().collectionAccumulator("balcon skipped files");
    }

    /**
     * Opens the export in {@code modelDir} on the driver (checking its format and checksum) and broadcasts its files.
     *
     * @param modelDir a directory written by {@code balcon export}, readable by the driver
     * @throws BalconException if it is missing, not an export, or damaged
     */
    public static SparkEmbedder create(SparkSession spark, Path modelDir, Options options) {
        ModelFiles files = ModelFiles.read(modelDir, options.l2Normalize());
        int threads = options.torchThreads() > 0 ? options.torchThreads()
                : Integer.parseInt(spark.sparkContext().getConf().get("spark.task.cpus", "1"));
        Broadcast<ModelFiles> broadcast = spark.sparkContext().broadcast(files,
                scala.reflect.ClassTag$.MODULE$.apply(ModelFiles.class));
        return new SparkEmbedder(broadcast, options, threads, files.featureDim(), spark);
    }

    /** Length of the vectors. */
    public int featureDim() {
        return featureDim;
    }

    /**
     * The image files below {@code root} (any Hadoop file system URI or local path), recursively, as rows of
     * {@link #INPUT_SCHEMA}: {@code .jpg/.jpeg/.png} files (any case), skipping hidden files and folders (name
     * starting with '.' or '_', which Spark's file listing leaves out) and {@code __MACOSX} folders. The id is the
     * file's path relative to {@code root} with '/' separators; the label is its first folder below {@code root} (the
     * class folder of an image folder, as {@code balcon embed} names it), null for a file directly in {@code root}.
     * Lazy: files are listed by the first action and read by the tasks that embed them.
     *
     * @throws BalconException if {@code root} does not exist or is not a folder
     */
    public static Dataset<Row> readImageFolder(SparkSession spark, String root) {
        String prefix;
        try {
            org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(root);
            FileSystem fs = path.getFileSystem(spark.sparkContext().hadoopConfiguration());
            if (!fs.exists(path)) {
                throw new BalconException("--images " + root + " does not exist (expected a folder of images)");
            }
            if (!fs.getFileStatus(path).isDirectory()) {
                throw new BalconException("--images " + root + " is a file, expected a folder of images");
            }
            prefix = fs.makeQualified(path).toString();
        } catch (IOException | IllegalArgumentException e) {
            throw new BalconException("--images " + root + " cannot be read: " + e.getMessage(), e);
        }
        String withSlash = prefix.endsWith("/") ? prefix : prefix + "/";
        Dataset<Row> files = spark.read().format("binaryFile").option("recursiveFileLookup", "true")
                .load(root)
                .filter(lower(col("path")).rlike("\\.(jpe?g|png)$"))
                // Spark lists qualified paths, as makeQualified wrote the root; a path in another form keeps it whole
                .withColumn("id", when(col("path").startsWith(withSlash),
                        substring(col("path"), withSlash.length() + 1, Integer.MAX_VALUE)).otherwise(col("path")))
                .filter(col("id").rlike("(^|/)__MACOSX/").unary_$bang());
        Dataset<Row> labelled = files.withColumn("label",
                        when(col("path").startsWith(withSlash).and(col("id").contains("/")),
                                element_at(split(col("id"), "/"), 1)).otherwise(lit(null)))
                .select(col("id"), col("label"), col("content"));
        return labelled;
    }

    /**
     * The images named by a list file, as rows of {@link #INPUT_SCHEMA}: one image per line, its path (a Hadoop file
     * system URI, an absolute path, or a path relative to the list file's folder), then optionally whitespace and its
     * label; blank lines and lines starting with '#' are ignored. The id is the path as listed. A listed file that
     * does not exist or cannot be read gets a null content (skipped and counted by {@link #embed}, or an error with
     * {@link Options#strict}). Paths may not contain whitespace when a label follows. Lazy: files are read by the
     * tasks that embed them.
     *
     * @throws BalconException if the list file does not exist
     */
    public static Dataset<Row> readImageList(SparkSession spark, String listFile) {
        org.apache.hadoop.fs.Path list = new org.apache.hadoop.fs.Path(listFile);
        String base;
        try {
            FileSystem fs = list.getFileSystem(spark.sparkContext().hadoopConfiguration());
            if (!fs.isFile(list)) {
                throw new BalconException("--image-list " + listFile + " is not a file (expected one image path per line)");
            }
            base = fs.makeQualified(list).getParent().toString();
        } catch (IOException | IllegalArgumentException e) {
            throw new BalconException("--image-list " + listFile + " cannot be read: " + e.getMessage(), e);
        }
        HadoopConf conf = HadoopConf.of(spark.sparkContext().hadoopConfiguration());
        MapPartitionsFunction<String, Row> read = lines -> new ListedFiles(lines, base, conf);
        return spark.read().textFile(listFile).mapPartitions(read, ExpressionEncoder.apply(INPUT_SCHEMA));
    }

    /**
     * The vectors of {@code images} (rows of {@link #INPUT_SCHEMA}; extra columns are ignored) as rows of
     * {@link #OUTPUT_SCHEMA}, one per decodable image, in the input's partitions. Lazy, like any transformation: the
     * counts below are known after an action.
     *
     * @throws BalconException if {@code images} lacks a column of {@link #INPUT_SCHEMA}; during the action, with
     *                         {@link Options#strict}, for the first undecodable file (named)
     */
    public Dataset<Row> embed(Dataset<Row> images) {
        VectorSchema.requireColumns(images.schema(), INPUT_SCHEMA, "the images to embed");
        Dataset<Row> input = images.select(col("id"), col("label"), col("content"));
        MapPartitionsFunction<Row, Row> task = this::embedPartition;
        return input.mapPartitions(task, ExpressionEncoder.apply(OUTPUT_SCHEMA));
    }

    /** Images embedded by the actions so far (a retried task counts twice). */
    public long embeddedImages() {
        return embedded.value();
    }

    /** Files skipped as undecodable by the actions so far. */
    public long skippedImages() {
        return skipped.value();
    }

    /** Some of the skipped files, each as {@code id: why} (at most a few per task). */
    public List<String> skippedExamples() {
        return List.copyOf(skippedExamples.value());
    }

    private Iterator<Row> embedPartition(Iterator<Row> rows) {
        Encoder encoder = model.value().encoder(model.id(), torchThreads);
        Predictor<BufferedImage, float[]> predictor = encoder.newPredictor();
        TaskContext.get().addTaskCompletionListener((TaskCompletionListener) context -> predictor.close());
        return new Iterator<>() {
            private final List<Row> ready = new ArrayList<>();
            private int next;
            private int examples;

            @Override
            public boolean hasNext() {
                while (next == ready.size()) {
                    if (!rows.hasNext()) {
                        return false;
                    }
                    fill();
                }
                return true;
            }

            @Override
            public Row next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return ready.get(next++);
            }

            /** Decodes up to one batch of images and encodes it. */
            private void fill() {
                ready.clear();
                next = 0;
                List<BufferedImage> batch = new ArrayList<>();
                List<Row> sources = new ArrayList<>();
                while (batch.size() < options.batchSize() && rows.hasNext()) {
                    Row row = rows.next();
                    String id = row.getString(0);
                    try {
                        if (row.isNullAt(2)) {
                            throw new java.io.FileNotFoundException("the file does not exist or cannot be read");
                        }
                        batch.add(ImageBytes.decode((byte[]) row.get(2), options.maxPixels()));
                        sources.add(row);
                    } catch (IOException e) {
                        if (options.strict()) {
                            throw new BalconException("image " + id + (row.isNullAt(2) ? ": " : " is not decodable: ")
                                    + e.getMessage() + " (--strict)", e);
                        }
                        skipped.add(1);
                        if (examples++ < EXAMPLES_PER_TASK) {
                            skippedExamples.add(id + ": " + e.getMessage());
                        }
                        LOG.warn("skipping image {}: {}", id, e.getMessage());
                    }
                }
                if (batch.isEmpty()) {
                    return;
                }
                List<float[]> vectors;
                try {
                    vectors = predictor.batchPredict(batch);
                } catch (TranslateException e) {
                    throw new IllegalStateException("encoding a batch of " + batch.size() + " images failed", e);
                }
                for (int i = 0; i < batch.size(); i++) {
                    Row source = sources.get(i);
                    ready.add(RowFactory.create(source.getString(0), source.isNullAt(1) ? null : source.getString(1),
                            vectors.get(i)));
                }
                embedded.add(batch.size());
            }
        };
    }
}
