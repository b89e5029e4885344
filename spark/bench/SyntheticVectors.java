import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.encoders.ExpressionEncoder;

import java.util.Iterator;
import java.util.SplittableRandom;

/**
 * Writes N synthetic labelled vectors as Parquet in balcon-spark's schema (id, label, vector), for measuring
 * 'balcon-spark knn': C classes, each a random Gaussian centre, every vector its class centre plus Gaussian noise of
 * the given scale (row r draws from a generator seeded with seed and r, so any partitioning gives the same table).
 *
 * <pre>
 * java $(cat spark/jvm-options) -cp "spark/target/lib/*:spark/target/balcon-spark-0.1.0-SNAPSHOT.jar" spark/bench/SyntheticVectors.java \
 *     OUT ROWS DIM CLASSES NOISE SEED PARTITIONS
 * </pre>
 */
public class SyntheticVectors {
    public static void main(String[] args) {
        String out = args[0];
        long rows = Long.parseLong(args[1]);
        int dim = Integer.parseInt(args[2]);
        int classes = Integer.parseInt(args[3]);
        float noise = Float.parseFloat(args[4]);
        long seed = Long.parseLong(args[5]);
        int partitions = Integer.parseInt(args[6]);
        SparkSession spark = SparkSession.builder().master("local[*]").appName("synthetic vectors")
                .config("spark.ui.enabled", "false").getOrCreate();
        float[][] centres = new float[classes][dim];
        SplittableRandom centreRandom = new SplittableRandom(12345); // the same classes for bank and queries
        for (float[] centre : centres) {
            for (int i = 0; i < dim; i++) {
                centre[i] = (float) centreRandom.nextGaussian();
            }
        }
        MapPartitionsFunction<Long, Row> make = ids -> new Iterator<>() {
            @Override
            public boolean hasNext() {
                return ids.hasNext();
            }

            @Override
            public Row next() {
                long id = ids.next();
                SplittableRandom random = new SplittableRandom(seed * 1_000_003L + id);
                int c = (int) (id % classes);
                float[] vector = new float[dim];
                for (int i = 0; i < dim; i++) {
                    vector[i] = centres[c][i] + noise * (float) random.nextGaussian();
                }
                return RowFactory.create("v" + id, "class" + c, vector);
            }
        };
        spark.range(0, rows, 1, partitions).as(org.apache.spark.sql.Encoders.LONG())
                .mapPartitions(make, ExpressionEncoder.apply(dev.balcon.spark.VectorSchema.SCHEMA))
                .write().mode("overwrite").parquet(out);
        spark.stop();
    }
}
