package dev.balcon.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.balcon.augment.Normalization;
import dev.balcon.data.ImageDataset;
import dev.balcon.data.Datasets;
import dev.balcon.train.PretrainConfig;
import dev.balcon.train.PretrainResult;
import dev.balcon.train.Pretrainer;
import dev.balcon.train.RunDirectory;
import dev.balcon.train.SyntheticImages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

import static org.assertj.core.api.Assertions.assertThat;

class LinearCommandTest {

    record Outcome(int status, String out, String err) {}

    static Outcome balcon(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Outcome(status, out.toString(), err.toString());
    }

    @Test
    void probesATinyRunAndCachesItsFeaturesUntilTheCheckpointChanges(@TempDir Path dir) throws Exception {
        RunDirectory run = tinyRun(dir).run();

        Outcome first = balcon("linear", "--run-dir", run.root().toString(), "--iterations", "50");
        assertThat(first.status()).as(first.err()).isZero();
        assertThat(first.out()).matches("(?s)linear top-1 \\d+\\.\\d\\d% top-5 \\d+\\.\\d\\d%  \\(multinomial logistic "
                + "regression.*L-BFGS.*at most 50 iterations.*L2 0\\.001.*32 test images.*\\)\\s*");
        JsonNode stored = run.readResults().get("linear");
        assertThat(stored.get("trainSize").asInt()).isEqualTo(64);
        assertThat(stored.get("testSize").asInt()).isEqualTo(32);
        assertThat(stored.get("featureDim").asInt()).isPositive();
        assertThat(stored.get("iterations").asInt()).isBetween(1, 50);
        // Quadrants are trivially separable even for a barely trained encoder; chance is 25%.
        assertThat(stored.get("top1").asDouble()).isGreaterThan(0.75);
        assertThat(stored.get("top5").asDouble()).isEqualTo(1.0);
        assertThat(run.readResults().get("pretrain")).isNotNull();

        Path trainCache = run.root().resolve("features-train.bin");
        Path testCache = run.root().resolve("features-test.bin");
        Object trainEntry = identity(trainCache);
        Object testEntry = identity(testCache);

        Outcome second = balcon("linear", "--run-dir", run.root().toString(), "--iterations", "50");
        assertThat(second.out()).isEqualTo(first.out());
        assertThat(identity(trainCache)).isEqualTo(trainEntry);
        assertThat(identity(testCache)).isEqualTo(testEntry);

        // Same bytes, but a new checkpoint file: the features are computed again (to the same values).
        RunDirectory.writeAtomically(run.checkpoint(), Files.readAllBytes(run.checkpoint()));
        Outcome third = balcon("linear", "--run-dir", run.root().toString(), "--iterations", "50");
        assertThat(third.out()).isEqualTo(first.out());
        assertThat(identity(trainCache)).isNotEqualTo(trainEntry);
        assertThat(identity(testCache)).isNotEqualTo(testEntry);
    }

    @Test
    void floorsScoreRawPixelsAndTheUntrainedEncoderOnTheRunsImages(@TempDir Path dir) throws Exception {
        TinyRun tiny = tinyRun(dir);
        RunDirectory run = tiny.run();
        PretrainConfig config = tiny.config();

        Outcome knn = balcon("knn", "--run-dir", run.root().toString(), "--knn-k", "10", "--floors");
        assertThat(knn.status()).as(knn.err()).isZero();
        assertThat(knn.out()).containsPattern("floor: raw pixels \\d+\\.\\d\\d%, resnet-small w4 random init "
                + "\\d+\\.\\d\\d%; run minus the higher floor: [+-]\\d+\\.\\d\\d points");
        Outcome linear = balcon("linear", "--run-dir", run.root().toString(), "--iterations", "50", "--floors");
        assertThat(linear.status()).as(linear.err()).isZero();
        assertThat(linear.out()).contains("floor: raw pixels", "random init");

        JsonNode results = run.readResults();
        dev.balcon.data.DatasetSplits splits = Datasets.evaluationSplits(config.data());
        dev.balcon.eval.KnnClassifier classifier = new dev.balcon.eval.KnnClassifier(10, 0.1);
        // the stored floors are the library's, on the same splits
        assertThat(results.get("knn_pixels").get("top1").asDouble())
                .isEqualTo(dev.balcon.run.Evaluation.knnOfPixels(splits, classifier).top1());
        assertThat(results.get("knn_random_init").get("top1").asDouble())
                .isEqualTo(dev.balcon.run.Evaluation.knnOfRandomInit(config, splits, classifier, dev.balcon.model.Precision.FP32).top1());
        // quadrant images are separable from their pixels (chance 25%)
        assertThat(results.get("knn_pixels").get("top1").asDouble()).isGreaterThan(0.75);
        assertThat(results.get("linear_pixels").get("top1").asDouble()).isGreaterThan(0.75);
        assertThat(results.get("linear_random_init").get("featureDim").asInt()).isEqualTo(32);
        assertThat(results.get("linear_pixels").get("featureDim").asInt()).isEqualTo(16 * 16);
        assertThat(results.get("knn")).isNotNull();
        assertThat(results.get("linear")).isNotNull();
    }

    @Test
    void invalidOptionsGetOneLineNamingTheOption(@TempDir Path dir) {
        Outcome iterations = balcon("linear", "--run-dir", dir.toString(), "--iterations", "0");
        assertThat(iterations.status()).isEqualTo(Main.EXIT_USER_ERROR);
        assertThat(iterations.err().strip()).startsWith("balcon: ").contains("--iterations", "got 0").doesNotContain("\n");
        Outcome l2 = balcon("linear", "--run-dir", dir.toString(), "--l2", "-1");
        assertThat(l2.status()).isEqualTo(Main.EXIT_USER_ERROR);
        assertThat(l2.err().strip()).startsWith("balcon: ").contains("--l2").doesNotContain("\n");
        Outcome noRun = balcon("linear", "--run-dir", dir.toString());
        assertThat(noRun.status()).isEqualTo(Main.EXIT_USER_ERROR);
        assertThat(noRun.err()).contains("config.json");
    }

    @Test
    void helpShowsTheVerbAndItsOptions() {
        assertThat(balcon("--help").out()).contains("linear");
        Outcome help = balcon("linear", "--help");
        assertThat(help.status()).isZero();
        assertThat(help.out()).contains("--run-dir", "--iterations", "--l2", "default: 300", "default: 0.001");
    }

    record TinyRun(RunDirectory run, PretrainConfig config) {}

    /**
     * A run pretrained for one epoch on synthetic quadrant images (64 train, 32 test, 16x16), stored as IDX files so
     * 'linear' and 'knn' can load them as the run's configured "fashion-mnist" data set.
     */
    static TinyRun tinyRun(Path dir) throws IOException {
        ImageDataset train = SyntheticImages.quadrants(64, 16, 1);
        ImageDataset test = SyntheticImages.quadrants(32, 16, 2);
        Path data = Files.createDirectories(dir.resolve("data"));
        writeIdx(data, "train", train);
        writeIdx(data, "t10k", test);
        RunDirectory run = new RunDirectory(dir.resolve("run"));
        PretrainConfig config = PretrainConfig.builder().width(4).projectorHidden(16).projectorOut(8).batchSize(16)
                .dataDir(data.toString()).tau(0.5).epochs(1).learningRate(0.1).warmupEpochs(0).seed(7)
                .boundMonitor(false).build();
        PretrainResult pretrained = new Pretrainer(config, train, Normalization.of(train), run)
                .showProgress(false).run(false);
        assertThat(pretrained.status()).isEqualTo(PretrainResult.FINISHED);
        return new TinyRun(run, config);
    }

    /** The file's identity on disk: every atomic rewrite makes a new file. */
    private static Object identity(Path file) throws IOException {
        BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
        return attributes.fileKey() + "@" + attributes.lastModifiedTime();
    }

    static void writeIdx(Path dir, String prefix, ImageDataset images) throws IOException {
        writeIdx(dir, prefix, images, images.labels());
    }

    /** {@code images} as the IDX pair PREFIX-images-idx3-ubyte / PREFIX-labels-idx1-ubyte, with {@code labels}. */
    static void writeIdx(Path dir, String prefix, ImageDataset images, int[] labels) throws IOException {
        try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(dir.resolve(prefix + "-images-idx3-ubyte")))) {
            out.writeInt(2051);
            out.writeInt(images.size());
            out.writeInt(images.height());
            out.writeInt(images.width());
            out.write(images.pixels(), 0, images.size() * images.imageSize());
        }
        try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(dir.resolve(prefix + "-labels-idx1-ubyte")))) {
            out.writeInt(2049);
            out.writeInt(images.size());
            for (int label : labels) {
                out.writeByte(label);
            }
        }
    }
}
