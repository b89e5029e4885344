package dev.balcon.spark.cli;

import dev.balcon.BalconException;
import dev.balcon.spark.SparkEmbedder;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "embed", mixinStandardHelpOptions = true,
        description = "Backbone features of every image of a folder tree or a list file, as a Spark job: Parquet with "
                + "columns id (path below --images, or as listed), label (class folder, or as listed) and vector "
                + "(float32). The model is read here and shipped to the executors. See docs/spark.md.")
final class EmbedCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Exported model directory ('balcon export'), on this machine.")
    Path model;

    @Option(names = "--images", description = "Folder of images (class sub-folders give the labels): a local path or "
            + "any Hadoop file system URI (hdfs://, s3a://, ...).")
    String images;

    @Option(names = "--image-list", description = "Instead of --images: a text file with one image path per line, "
            + "optionally followed by whitespace and a label; relative paths are below the list's folder.")
    String imageList;

    @Option(names = "--out", required = true, description = "Output Parquet directory (replaced if it exists).")
    String out;

    @Option(names = "--batch-size", defaultValue = "64", description = "Images per forward pass (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--partitions", defaultValue = "0",
            description = "Repartition the images into N tasks (default: as Spark lists the files).")
    int partitions;

    @Option(names = "--strict", description = "Fail on the first missing or undecodable image instead of skipping it.")
    boolean strict;

    @Option(names = "--l2-normalize", description = "Divide every vector by its Euclidean norm.")
    boolean l2Normalize;

    @Mixin
    SparkOptions sparkOptions;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        if ((images == null) == (imageList == null)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "give exactly one of --images DIR and --image-list FILE");
        }
        if (partitions < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--partitions must be >= 0, got " + partitions);
        }
        SparkEmbedder.Options options = SparkEmbedder.Options.defaults().withBatchSize(batchSize).withStrict(strict)
                .withL2Normalize(l2Normalize).withTorchThreads(sparkOptions.torchThreads);
        PrintWriter stdout = spec.commandLine().getOut();
        SparkSession spark = sparkOptions.session("balcon-spark embed", spec.commandLine().getErr());
        try {
            SparkEmbedder embedder = SparkEmbedder.create(spark, model, options);
            Dataset<Row> input = images != null ? SparkEmbedder.readImageFolder(spark, images)
                    : SparkEmbedder.readImageList(spark, imageList);
            if (input.select("id").isEmpty()) { // before the job: it would write an empty table
                throw new BalconException((images != null ? "--images " + images : "--image-list " + imageList)
                        + " holds no image file (expected .jpg, .jpeg or .png files)");
            }
            if (partitions > 0) {
                input = input.repartition(partitions);
            }
            long start = System.nanoTime();
            embedder.embed(input).write().mode(SaveMode.Overwrite).parquet(out);
            double seconds = (System.nanoTime() - start) / 1e9;
            long embedded = embedder.embeddedImages();
            long skipped = embedder.skippedImages();
            stdout.printf("embedded %d images into %d-d vectors in %.1f s (%.0f images/s) on %s: %s%n", embedded,
                    embedder.featureDim(), seconds, embedded / seconds, spark.sparkContext().master(), out);
            if (skipped > 0) {
                stdout.printf("skipped %d missing or undecodable files (--strict fails on them), e.g. %s%n", skipped,
                        String.join("; ", embedder.skippedExamples().stream().limit(3).toList()));
            }
            return 0;
        } finally {
            spark.stop();
        }
    }
}
