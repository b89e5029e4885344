package dev.balcon.spark.cli;

import dev.balcon.eval.KnnResult;
import dev.balcon.spark.SparkKnn;
import dev.balcon.spark.VectorSchema;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

@Command(name = "knn", mixinStandardHelpOptions = true,
        description = "Weighted k-NN top-1 (cosine, k=200, T=0.1: the protocol of 'balcon knn') of query vectors "
                + "against a memory bank of vectors, both Parquet with columns label and vector (as 'embed' writes), "
                + "computed in blocks on Spark. See docs/spark.md.")
final class KnnCommand implements Callable<Integer> {
    @Option(names = "--bank", required = true, description = "Memory-bank vectors (Parquet: label, vector).")
    String bank;

    @Option(names = "--queries", required = true, description = "Query vectors (Parquet: label, vector).")
    String queries;

    @Option(names = "--knn-k", defaultValue = "200", description = "Neighbours (default: ${DEFAULT-VALUE}); every "
            + "bank vector votes if the bank is smaller.")
    int k;

    @Option(names = "--knn-temperature", defaultValue = "0.1", description = "Vote temperature (default: ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--bank-block-rows", defaultValue = "16384",
            description = "Bank vectors compared at once (default: ${DEFAULT-VALUE}).")
    int bankBlockRows;

    @Option(names = "--query-block-rows", defaultValue = "256",
            description = "Query vectors compared at once (default: ${DEFAULT-VALUE}).")
    int queryBlockRows;

    @Option(names = "--bank-partitions", defaultValue = "0",
            description = "Repartition the bank into N parts (default: as read); tasks = bank x query partitions.")
    int bankPartitions;

    @Option(names = "--query-partitions", defaultValue = "0",
            description = "Repartition the queries into N parts (default: as read).")
    int queryPartitions;

    @Mixin
    SparkOptions sparkOptions;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        if (bankPartitions < 0 || queryPartitions < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--bank-partitions and --query-partitions must be >= 0, got " + bankPartitions + " and " + queryPartitions);
        }
        SparkKnn.Options options = new SparkKnn.Options(k, temperature, bankBlockRows, queryBlockRows, sparkOptions.torchThreads);
        SparkSession spark = sparkOptions.session("balcon-spark knn", spec.commandLine().getErr());
        try {
            Dataset<Row> bankTable = VectorSchema.readVectors(spark, bank, "--bank");
            Dataset<Row> queryTable = VectorSchema.readVectors(spark, queries, "--queries");
            if (bankPartitions > 0) {
                bankTable = bankTable.repartition(bankPartitions);
            }
            if (queryPartitions > 0) {
                queryTable = queryTable.repartition(queryPartitions);
            }
            long start = System.nanoTime();
            KnnResult result = SparkKnn.evaluate(spark, bankTable, "--bank " + bank, queryTable, "--queries " + queries,
                    options);
            double seconds = (System.nanoTime() - start) / 1e9;
            spec.commandLine().getOut().printf("k-NN top-1 %.2f%%  (%s; %.1f s on %s)%n", 100 * result.top1(),
                    result.protocol(), seconds, spark.sparkContext().master());
            return 0;
        } finally {
            spark.stop();
        }
    }
}
