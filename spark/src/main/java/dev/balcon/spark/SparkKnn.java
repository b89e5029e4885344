package dev.balcon.spark;

import dev.balcon.BalconException;
import dev.balcon.eval.KnnClassifier;
import dev.balcon.eval.KnnResult;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

import static org.apache.spark.sql.functions.col;

/**
 * Weighted k-NN top-1 of query vectors against a memory bank of vectors on Spark: the protocol of {@code balcon knn}
 * (each of the k most cosine-similar bank vectors votes for its class with weight exp(s / T); k = 200, T = 0.1 by
 * default), computed in blocks: besides Spark's cached blocks of its two partitions, a task holds one bank block as a
 * libtorch tensor, one {@code queryBlockRows x bankBlockRows} similarity matrix, and the running top k of the queries
 * of its query partition ({@code queries in the partition x k x 8} bytes).
 *
 * <p>Both tables are cut into blocks within their partitions (no shuffle) and cached; every pair of a query partition
 * and a bank partition is one task. It turns each bank block of its bank partition once into a normalised tensor and
 * multiplies each query block by it with libtorch (the operations of the core's {@link KnnClassifier}); the top k of
 * each query are kept in a bounded heap on primitive arrays. The partial top-k lists of one query block from all bank
 * partitions are then merged by a shuffle of {@code queries x k x bank partitions x 8} bytes, and the vote is taken.
 * The result equals {@link KnnClassifier#evaluate} on the same vectors: the similarities are computed by the same
 * float32 operations, the top k of a union is the top k of its parts' top k, and the vote is the same arithmetic. Two
 * things could make a prediction differ, neither seen in the tests: a tie in similarity at the k-th place (another
 * neighbour than libtorch's full top-k may be picked), and two classes whose scores tie to the last bits (the weights
 * are added in descending order of similarity here, in libtorch's unsorted top-k order in the core).
 */
public final class SparkKnn {
    /**
     * How the work is cut.
     *
     * @param k              neighbours, >= 1 (every bank vector votes if the bank is smaller)
     * @param temperature    vote temperature T > 0
     * @param bankBlockRows  bank vectors per block, >= 1
     * @param queryBlockRows query vectors per block, >= 1 (the core takes 256 at a time)
     * @param torchThreads   libtorch intra-op threads per executor, or 0 for {@code spark.task.cpus}
     */
    public record Options(int k, double temperature, int bankBlockRows, int queryBlockRows, int torchThreads) {
        public Options {
            new KnnClassifier(k, temperature); // the core's checks of k and T, with its messages
            if (bankBlockRows < 1 || queryBlockRows < 1) {
                throw new BalconException("--bank-block-rows and --query-block-rows must be >= 1, got "
                        + bankBlockRows + " and " + queryBlockRows);
            }
            if (torchThreads < 0) {
                throw new BalconException("--torch-threads must be >= 0 (0: spark.task.cpus), got " + torchThreads);
            }
        }

        /** k = 200, T = 0.1, bank blocks of 16384 rows, query blocks of 256, spark.task.cpus threads. */
        public static Options defaults() {
            return new Options(KnnClassifier.DEFAULT_K, KnnClassifier.DEFAULT_TEMPERATURE, 16384, 256, 0);
        }

        public Options withBlocks(int bankRows, int queryRows) {
            return new Options(k, temperature, bankRows, queryRows, torchThreads);
        }

        public Options withK(int value) {
            return new Options(value, temperature, bankBlockRows, queryBlockRows, torchThreads);
        }

        public Options withTemperature(double value) {
            return new Options(k, value, bankBlockRows, queryBlockRows, torchThreads);
        }

        public Options withTorchThreads(int value) {
            return new Options(k, temperature, bankBlockRows, queryBlockRows, value);
        }
    }

    private SparkKnn() {}

    /**
     * Top-1 accuracy of the queries' weighted k-NN vote against the bank. Classes are the labels of both tables,
     * indexed in sorted order (as {@code balcon knn --embeddings} indexes them, which decides ties).
     *
     * @param bank    the memory bank: columns {@code label} (string) and {@code vector} (array of float), as
     *                {@link VectorSchema}; its partitions are kept
     * @param queries the queries, likewise
     * @return the result as the core reports it (top-1, k used, k asked, T, queries, bank size)
     * @throws BalconException if a table lacks a column, is empty, has a row without label or vector, a non-finite
     *                         value, or vectors of different lengths (naming the table by {@code bankName} /
     *                         {@code queryName})
     */
    public static KnnResult evaluate(SparkSession spark, Dataset<Row> bank, String bankName, Dataset<Row> queries,
                                     String queryName, Options options) {
        VectorSchema.requireColumns(bank.schema(), labelAndVector(), bankName);
        VectorSchema.requireColumns(queries.schema(), labelAndVector(), queryName);
        Dataset<Row> bankRows = bank.select(col("label"), col("vector"));
        Dataset<Row> queryRows = queries.select(col("label"), col("vector"));

        TreeSet<String> names = new TreeSet<>();
        for (Row row : bankRows.select("label").union(queryRows.select("label")).distinct().collectAsList()) {
            if (row.isNullAt(0)) {
                throw new BalconException("a row of " + bankName + " or " + queryName
                        + " has no label; k-NN needs labelled vectors");
            }
            names.add(row.getString(0));
        }
        Map<String, Integer> classes = new HashMap<>();
        for (String name : names) {
            classes.put(name, classes.size());
        }
        int threads = options.torchThreads() > 0 ? options.torchThreads()
                : Integer.parseInt(spark.sparkContext().getConf().get("spark.task.cpus", "1"));
        Broadcast<Map<String, Integer>> classIndex = spark.sparkContext().broadcast(classes,
                scala.reflect.ClassTag$.MODULE$.apply(Map.class));

        JavaRDD<VectorBlock> bankBlocks = blocks(bankRows, classIndex, options.bankBlockRows(), bankName);
        JavaRDD<VectorBlock> queryBlocks = blocks(queryRows, classIndex, options.queryBlockRows(), queryName);
        try {
            Tuple2<Long, Integer> bankShape = rowsAndDim(bankBlocks, bankName);
            Tuple2<Long, Integer> queryShape = rowsAndDim(queryBlocks, queryName);
            long bankSize = bankShape._1;
            long querySize = queryShape._1;
            if (!bankShape._2.equals(queryShape._2)) {
                throw new BalconException(bankName + " holds " + bankShape._2 + "-d vectors and " + queryName + " "
                        + queryShape._2 + "-d; k-NN needs vectors of one length");
            }
            if (bankSize > Integer.MAX_VALUE || querySize > Integer.MAX_VALUE) {
                throw new BalconException("k-NN takes at most " + Integer.MAX_VALUE + " bank vectors and queries, got "
                        + bankSize + " and " + querySize);
            }
            int neighbours = (int) Math.min(options.k(), bankSize);
            int numClasses = classes.size();
            double temperature = options.temperature();
            long correct = queryBlocks.glom().cartesian(bankBlocks.glom())
                    .flatMapToPair(pair -> Neighbours.ofPartitions(pair._1, pair._2, neighbours, threads).iterator())
                    .reduceByKey(Neighbours::merge)
                    .map(entry -> entry._2.correct(temperature, numClasses))
                    .fold(0L, Long::sum);
            return new KnnResult(correct / (double) querySize, neighbours, options.k(), temperature, (int) querySize,
                    (int) bankSize);
        } finally {
            bankBlocks.unpersist(false);
            queryBlocks.unpersist(false);
            classIndex.destroy();
        }
    }

    private static org.apache.spark.sql.types.StructType labelAndVector() {
        return new org.apache.spark.sql.types.StructType().add(VectorSchema.SCHEMA.apply("label"))
                .add(VectorSchema.SCHEMA.apply("vector"));
    }

    /** The table cut into cached blocks, partition by partition. */
    private static JavaRDD<VectorBlock> blocks(Dataset<Row> rows, Broadcast<Map<String, Integer>> classes, int blockRows,
                                               String what) {
        boolean mayHoldNulls = ((ArrayType) rows.schema().apply("vector").dataType()).containsNull();
        return rows.queryExecution().toRdd().toJavaRDD()
                .mapPartitionsWithIndex((partition, it) -> VectorBlock.cut(partition, it, mayHoldNulls, classes.value(),
                        blockRows, what), true)
                .persist(StorageLevel.MEMORY_AND_DISK());
    }

    /**
     * Number of vectors and their length; computing it fills the cache.
     *
     * @throws BalconException if the table is empty or its vectors differ in length between partitions
     */
    private static Tuple2<Long, Integer> rowsAndDim(JavaRDD<VectorBlock> blocks, String what) {
        List<Tuple2<Integer, Long>> perDim = new ArrayList<>(blocks
                .mapToPair(block -> new Tuple2<>(block.dim(), (long) block.rows()))
                .reduceByKey(Long::sum).collect());
        if (perDim.isEmpty()) {
            throw new BalconException(what + " holds no vector");
        }
        if (perDim.size() > 1) {
            throw new BalconException(what + " holds vectors of different lengths: "
                    + perDim.stream().map(t -> t._2 + " of length " + t._1).toList());
        }
        return new Tuple2<>(Objects.requireNonNull(perDim.get(0)._2), perDim.get(0)._1);
    }
}
