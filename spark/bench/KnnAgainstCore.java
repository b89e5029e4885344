import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.balcon.eval.KnnClassifier;
import dev.balcon.eval.KnnResult;
import dev.balcon.spark.LabelledVector;
import dev.balcon.spark.SparkKnn;
import dev.balcon.spark.VectorSchema;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.SparkSession;

import java.util.List;
import java.util.TreeSet;

/**
 * Runs the weighted k-NN of two Parquet tables of vectors twice, with the core's single-machine KnnClassifier (all
 * vectors in memory) and with SparkKnn on local[2] (in blocks), and prints both results and whether they are equal.
 *
 * <pre>
 * javac -d spark/target/bench -cp "spark/target/lib/*:spark/target/balcon-spark-0.1.0-SNAPSHOT.jar" spark/bench/*.java
 * java -Xmx8g $(cat spark/jvm-options) -Dai.djl.offline=true \
 *     -cp "spark/target/lib/*:spark/target/balcon-spark-0.1.0-SNAPSHOT.jar:spark/target/bench" KnnAgainstCore BANK QUERIES
 * </pre>
 */
public class KnnAgainstCore {
    public static void main(String[] args) {
        SparkSession spark = SparkSession.builder().master("local[2]").appName("k-NN against the core")
                .config("spark.ui.enabled", "false").getOrCreate();
        List<LabelledVector> bank = VectorSchema.readVectors(spark, args[0], "bank")
                .as(Encoders.bean(LabelledVector.class)).collectAsList();
        List<LabelledVector> queries = VectorSchema.readVectors(spark, args[1], "queries")
                .as(Encoders.bean(LabelledVector.class)).collectAsList();
        TreeSet<String> names = new TreeSet<>();
        bank.forEach(v -> names.add(v.getLabel()));
        queries.forEach(v -> names.add(v.getLabel()));
        List<String> classes = List.copyOf(names);
        long start = System.nanoTime();
        KnnResult core;
        try (NDManager manager = NDManager.newBaseManager()) {
            core = new KnnClassifier(200, 0.1).evaluate(array(manager, bank), labels(bank, classes),
                    array(manager, queries), labels(queries, classes), classes.size());
        }
        double coreSeconds = (System.nanoTime() - start) / 1e9;
        start = System.nanoTime();
        KnnResult distributed = SparkKnn.evaluate(spark, VectorSchema.readVectors(spark, args[0], "bank"), "bank",
                VectorSchema.readVectors(spark, args[1], "queries"), "queries", SparkKnn.Options.defaults());
        double sparkSeconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("core:  %s  (%.1f s)%nspark: %s  (%.1f s)%nequal: %b%n", core, coreSeconds, distributed,
                sparkSeconds, core.equals(distributed));
        spark.stop();
    }

    private static ai.djl.ndarray.NDArray array(NDManager manager, List<LabelledVector> rows) {
        int dim = rows.get(0).getVector().length;
        float[] flat = new float[rows.size() * dim];
        for (int r = 0; r < rows.size(); r++) {
            System.arraycopy(rows.get(r).getVector(), 0, flat, r * dim, dim);
        }
        return manager.create(flat, new Shape(rows.size(), dim));
    }

    private static int[] labels(List<LabelledVector> rows, List<String> classes) {
        return rows.stream().mapToInt(row -> classes.indexOf(row.getLabel())).toArray();
    }
}
