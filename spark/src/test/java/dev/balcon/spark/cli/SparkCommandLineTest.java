package dev.balcon.spark.cli;

import dev.balcon.data.ImageFolder;
import dev.balcon.eval.KnnClassifier;
import dev.balcon.eval.KnnResult;
import dev.balcon.inference.EmbeddingFile;
import dev.balcon.inference.Embeddings;
import dev.balcon.inference.Encoder;
import dev.balcon.spark.TestAccess;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The command line end to end on local[2]: the happy path against the core's commands, then bad input. */
class SparkCommandLineTest {
    @TempDir
    Path dir;

    record Result(int exit, String out, String err) {
        /** The error output is one line, naming the problem, and no stack trace. */
        void failedInOneLine(String... fragments) {
            assertThat(exit).as("exit status; stderr: %s", err).isEqualTo(2);
            assertThat(err.strip()).doesNotContain("\n").startsWith("balcon-spark: ").doesNotContain("\tat ");
            assertThat(err).contains(fragments);
        }
    }

    private static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = SparkMain.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Result(exit, out.toString(), err.toString());
    }

    private static String[] local(String... args) {
        String[] all = java.util.Arrays.copyOf(args, args.length + 4);
        System.arraycopy(new String[] {"--master", "local[2]", "--conf", "spark.ui.enabled=false"}, 0, all, args.length, 4);
        return all;
    }

    @Test
    void embedThenKnnPrintTheCoresResultForTheSameImages() {
        Path images = TestAccess.images();
        String model = TestAccess.model().toString();
        String train = dir.resolve("train.parquet").toString();
        String test = dir.resolve("test.parquet").toString();
        Result embedTrain = run(local("embed", "--model", model, "--images", images.resolve("train").toString(),
                "--out", train, "--batch-size", "7"));
        assertThat(embedTrain.exit()).as(embedTrain.err()).isZero();
        assertThat(embedTrain.out()).startsWith("embedded 24 images into 32-d vectors in ").contains(train);
        Result embedTest = run(local("embed", "--model", model, "--images", images.resolve("test").toString(),
                "--out", test, "--partitions", "3"));
        assertThat(embedTest.out()).startsWith("embedded 12 images into 32-d vectors");
        List<Row> written = TestAccess.spark().read().parquet(test).collectAsList();
        assertThat(written).hasSize(12).allSatisfy(row -> assertThat(row.getList(row.fieldIndex("vector"))).hasSize(32));

        // balcon embed --split all, then balcon knn --embeddings, on the same images
        KnnResult core;
        try (Encoder encoder = Encoder.loadExport(TestAccess.model(), false)) {
            List<Embeddings.Split> splits = List.of(
                    new Embeddings.Split("train", ImageFolder.load(images.resolve("train"), 3, 16, 16, true), true),
                    new Embeddings.Split("test", ImageFolder.load(images.resolve("test"), 3, 16, 16, true), true));
            Embeddings.write(encoder, splits, dir.resolve("core"), false);
        }
        try (EmbeddingFile file = EmbeddingFile.open(dir.resolve("core"))) {
            core = Embeddings.knn(file, new KnnClassifier(200, 0.1));
        }
        Result knn = run(local("knn", "--bank", train, "--queries", test, "--bank-block-rows", "10"));
        assertThat(knn.exit()).as(knn.err()).isZero();
        assertThat(knn.out()).startsWith(String.format("k-NN top-1 %.2f%%  (%s; ", 100 * core.top1(), core.protocol()));
    }

    @Test
    void anUnreachableMasterIsOneLine() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort(); // free once closed: nothing listens there
        }
        long start = System.nanoTime();
        Result result = run("knn", "--bank", "b", "--queries", "q", "--master", "spark://127.0.0.1:" + port);
        result.failedInOneLine("--master spark://127.0.0.1:" + port + ": cannot connect to 127.0.0.1:" + port);
        assertThat((System.nanoTime() - start) / 1e9).isLessThan(10);
        run("knn", "--bank", "b", "--queries", "q", "--master", "nonsense://x")
                .failedInOneLine("cannot start Spark on --master nonsense://x");
    }

    @Test
    void aMissingModelOrImageFolderIsOneLine() {
        run(local("embed", "--model", dir.resolve("absent").toString(), "--images", dir.toString(), "--out",
                dir.resolve("o").toString())).failedInOneLine("--model " + dir.resolve("absent") + " is not a directory");
        run(local("embed", "--model", dir.toString(), "--images", dir.toString(), "--out", dir.resolve("o").toString()))
                .failedInOneLine(dir + " holds no exported model: model.json is missing");
        run(local("embed", "--model", TestAccess.model().toString(), "--images", dir.resolve("none").toString(),
                "--out", dir.resolve("o").toString())).failedInOneLine("--images " + dir.resolve("none") + " does not exist");
        run(local("embed", "--model", TestAccess.model().toString(), "--images", TestAccess.model().toString(),
                "--out", dir.resolve("o").toString()))
                .failedInOneLine("--images " + TestAccess.model() + " holds no image file (expected .jpg, .jpeg or .png files)");
    }

    @Test
    void undecodableAndMissingImagesAreCountedAndSkippedOrFailWithStrict() throws IOException {
        Path images = dir.resolve("images");
        Files.createDirectories(images.resolve("cat"));
        Files.copy(TestAccess.images().resolve("train/red/img-000.png"), images.resolve("cat/good.png"));
        Files.write(images.resolve("cat/broken.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
        String model = TestAccess.model().toString();
        Result lenient = run(local("embed", "--model", model, "--images", images.toString(), "--out",
                dir.resolve("out").toString()));
        assertThat(lenient.exit()).as(lenient.err()).isZero();
        assertThat(lenient.out()).contains("embedded 1 images").contains("skipped 1 missing or undecodable files")
                .contains("cat/broken.png");
        run(local("embed", "--model", model, "--images", images.toString(), "--out", dir.resolve("strict").toString(),
                "--strict")).failedInOneLine("image cat/broken.png is not decodable", "(--strict)");

        Path list = dir.resolve("list.txt");
        Files.writeString(list, "# path label\nimages/cat/good.png cat\nimages/cat/gone.png cat\n\n");
        Result listed = run(local("embed", "--model", model, "--image-list", list.toString(), "--out",
                dir.resolve("listed").toString()));
        assertThat(listed.exit()).as(listed.err()).isZero();
        assertThat(listed.out()).contains("embedded 1 images").contains("images/cat/gone.png");
        List<Row> rows = TestAccess.spark().read().parquet(dir.resolve("listed").toString()).collectAsList();
        assertThat(rows).singleElement().satisfies(row -> {
            assertThat(row.getString(row.fieldIndex("id"))).isEqualTo("images/cat/good.png");
            assertThat(row.getString(row.fieldIndex("label"))).isEqualTo("cat");
        });
        run(local("embed", "--model", model, "--image-list", list.toString(), "--out", dir.resolve("l2").toString(),
                "--strict")).failedInOneLine("image images/cat/gone.png: the file does not exist or cannot be read");
    }

    @Test
    void aSweepOfAMissingFileOrOnAnUnreachableMasterIsOneLine() throws IOException {
        run(local("sweep", dir.resolve("absent.yaml").toString()))
                .failedInOneLine("experiment file " + dir.resolve("absent.yaml") + " does not exist");
        Path file = dir.resolve("one.yaml");
        Files.writeString(file, "base:\n  data: " + dir + "\n  epochs: 1\nseeds: [0]\nevaluate: [knn]\n");
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        run("sweep", file.toString(), "--out", dir.resolve("sweep").toString(), "--master", "spark://127.0.0.1:" + port)
                .failedInOneLine("--master spark://127.0.0.1:" + port + ": cannot connect to 127.0.0.1:" + port);
        assertThat(dir.resolve("sweep")).doesNotExist();
    }

    @Test
    void parquetOfAnotherSchemaOrNoParquetIsOneLine() {
        SparkSession spark = TestAccess.spark();
        String wrong = dir.resolve("wrong.parquet").toString();
        spark.createDataFrame(List.of(RowFactory.create("a", new double[] {1, 2})), new StructType()
                .add("label", DataTypes.StringType).add("vector", DataTypes.createArrayType(DataTypes.DoubleType)))
                .write().parquet(wrong);
        run(local("knn", "--bank", wrong, "--queries", wrong)).failedInOneLine(
                "--bank " + wrong + " has column 'vector' of type array<double>: expected vector array<float>");
        run(local("knn", "--bank", dir.resolve("absent").toString(), "--queries", wrong))
                .failedInOneLine("--bank " + dir.resolve("absent") + " cannot be read as Parquet");
    }
}
