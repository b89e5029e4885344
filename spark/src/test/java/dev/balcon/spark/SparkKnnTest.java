package dev.balcon.spark;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.balcon.BalconException;
import dev.balcon.eval.KnnClassifier;
import dev.balcon.eval.KnnResult;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SparkKnnTest {
    private static final int DIM = 24;
    private static final List<String> CLASSES = List.of("ant", "bee", "cat", "dog", "eel");

    @TempDir
    Path dir;

    /** Labelled vectors around one random centre per class, noisy enough that k-NN is neither always right nor wrong. */
    private static List<Row> vectors(int count, long seed) {
        SplittableRandom centres = new SplittableRandom(99);
        float[][] centre = new float[CLASSES.size()][DIM];
        for (float[] c : centre) {
            for (int i = 0; i < DIM; i++) {
                c[i] = (float) centres.nextGaussian();
            }
        }
        SplittableRandom random = new SplittableRandom(seed);
        List<Row> rows = new ArrayList<>();
        for (int r = 0; r < count; r++) {
            int c = random.nextInt(CLASSES.size());
            float[] vector = new float[DIM];
            for (int i = 0; i < DIM; i++) {
                vector[i] = centre[c][i] + 2.2f * (float) random.nextGaussian();
            }
            rows.add(RowFactory.create("row-" + seed + "-" + r, CLASSES.get(c), vector));
        }
        return rows;
    }

    private Dataset<Row> parquet(List<Row> rows, String name) {
        SparkSession spark = TestFixtures.spark();
        String path = dir.resolve(name).toString();
        spark.createDataFrame(rows, VectorSchema.SCHEMA).write().parquet(path);
        return VectorSchema.readVectors(spark, path, "--" + name);
    }

    /** The core's KnnClassifier on the same vectors, classes indexed by sorted name as balcon knn --embeddings does. */
    private static KnnResult core(List<Row> bank, List<Row> queries, int k) {
        TreeSet<String> names = new TreeSet<>();
        bank.forEach(row -> names.add(row.getString(1)));
        queries.forEach(row -> names.add(row.getString(1)));
        List<String> index = List.copyOf(names);
        try (NDManager manager = NDManager.newBaseManager()) {
            return new KnnClassifier(k, 0.1).evaluate(array(manager, bank), labels(bank, index),
                    array(manager, queries), labels(queries, index), index.size());
        }
    }

    private static ai.djl.ndarray.NDArray array(NDManager manager, List<Row> rows) {
        float[] flat = new float[rows.size() * DIM];
        for (int r = 0; r < rows.size(); r++) {
            System.arraycopy((float[]) rows.get(r).get(2), 0, flat, r * DIM, DIM);
        }
        return manager.create(flat, new Shape(rows.size(), DIM));
    }

    private static int[] labels(List<Row> rows, List<String> index) {
        return rows.stream().mapToInt(row -> index.indexOf(row.getString(1))).toArray();
    }

    @Test
    void equalsTheCoresKnnExactlyHoweverTheWorkIsCut() {
        List<Row> bankRows = vectors(2000, 1);
        List<Row> queryRows = vectors(500, 2);
        KnnResult expected = core(bankRows, queryRows, 200);
        assertThat(expected.top1()).isBetween(0.3, 0.95);

        Dataset<Row> bank = parquet(bankRows, "bank");
        Dataset<Row> queries = parquet(queryRows, "queries");
        SparkSession spark = TestFixtures.spark();
        // one block each; then bank blocks smaller than k over 3 partitions, so every query's top k is merged
        // from many partial lists, and query blocks that do not divide the queries
        for (SparkKnn.Options options : List.of(SparkKnn.Options.defaults(),
                SparkKnn.Options.defaults().withBlocks(150, 64))) {
            KnnResult result = SparkKnn.evaluate(spark, bank.repartition(3), "--bank", queries.repartition(2),
                    "--queries", options);
            assertThat(result).isEqualTo(expected);
        }
    }

    @Test
    void aBankSmallerThanKVotesWhole() {
        List<Row> bankRows = vectors(120, 3);
        List<Row> queryRows = vectors(90, 4);
        KnnResult expected = core(bankRows, queryRows, 200);
        KnnResult result = SparkKnn.evaluate(TestFixtures.spark(), parquet(bankRows, "bank").repartition(2), "--bank",
                parquet(queryRows, "queries"), "--queries", SparkKnn.Options.defaults().withBlocks(50, 32));
        assertThat(result).isEqualTo(expected);
        assertThat(result.k()).isEqualTo(120);
        assertThat(result.requestedK()).isEqualTo(200);
    }

    @Test
    void vectorsOfAnotherLengthOrNotFiniteAreNamed() {
        SparkSession spark = TestFixtures.spark();
        Dataset<Row> bank = spark.createDataFrame(vectors(30, 5), VectorSchema.SCHEMA);
        Dataset<Row> shortQueries = spark.createDataFrame(
                List.of(RowFactory.create("q", "ant", new float[] {1, 2, 3})), VectorSchema.SCHEMA);
        assertThatThrownBy(() -> SparkKnn.evaluate(spark, bank, "--bank b", shortQueries, "--queries q",
                SparkKnn.Options.defaults()))
                .isInstanceOf(BalconException.class)
                .hasMessage("--bank b holds 24-d vectors and --queries q 3-d; k-NN needs vectors of one length");
        float[] bad = new float[DIM];
        bad[5] = Float.NaN;
        Dataset<Row> nanQueries = spark.createDataFrame(List.of(RowFactory.create("q", "ant", bad)), VectorSchema.SCHEMA);
        assertThatThrownBy(() -> SparkKnn.evaluate(spark, bank, "--bank b", nanQueries, "--queries q",
                SparkKnn.Options.defaults()))
                .satisfies(e -> assertThat(SparkErrors.userError(e)).isNotNull()
                        .extracting(Throwable::getMessage).asString()
                        .isEqualTo("--queries q: a vector of label ant holds NaN at index 5; k-NN needs finite features"));
        // a table whose vector column allows null elements, with one
        Dataset<Row> nullQueries = spark.createDataFrame(List.of(RowFactory.create("q", "bee",
                        java.util.Arrays.asList(1f, null, 3f))), new org.apache.spark.sql.types.StructType()
                .add("id", DataTypes.StringType).add("label", DataTypes.StringType)
                .add("vector", DataTypes.createArrayType(DataTypes.FloatType, true)));
        assertThatThrownBy(() -> SparkKnn.evaluate(spark, bank, "--bank b", nullQueries, "--queries q",
                SparkKnn.Options.defaults()))
                .satisfies(e -> assertThat(SparkErrors.userError(e)).isNotNull()
                        .extracting(Throwable::getMessage).asString()
                        .isEqualTo("--queries q: a vector of label bee holds null at index 1; k-NN needs finite features"));
    }
}
