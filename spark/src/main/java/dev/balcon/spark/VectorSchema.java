package dev.balcon.spark;

import dev.balcon.BalconException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The table of vectors {@code balcon-spark embed} writes and {@code balcon-spark knn} reads, as Parquet: {@code id}
 * (string, the image's path below the image root), {@code label} (string, its class name; null if unlabelled) and
 * {@code vector} (array of float32, the backbone features).
 */
public final class VectorSchema {
    public static final StructType SCHEMA = new StructType()
            .add("id", DataTypes.StringType, false)
            .add("label", DataTypes.StringType, true)
            .add("vector", DataTypes.createArrayType(DataTypes.FloatType, false), false);

    private VectorSchema() {}

    /**
     * Reads a Parquet table of vectors and checks that it has at least the columns {@code label} (string) and
     * {@code vector} (array of float).
     *
     * @param option the command-line option that named it, for messages
     * @throws BalconException naming the option and the path if it does not exist, is not Parquet, or lacks a column
     */
    public static Dataset<Row> readVectors(SparkSession spark, String path, String option) {
        Dataset<Row> table;
        try {
            table = spark.read().parquet(path);
        } catch (Exception e) { // AnalysisException (checked in Java's eyes) for a missing path, SparkException for a non-Parquet file
            throw new BalconException(option + " " + path + " cannot be read as Parquet: " + firstLine(e), e);
        }
        requireColumns(table.schema(), new StructType().add(SCHEMA.apply("label")).add(SCHEMA.apply("vector")),
                option + " " + path);
        return table;
    }

    /**
     * Checks that {@code actual} has every column of {@code expected} with the same type (nullability aside).
     *
     * @throws BalconException naming {@code what}, the missing or mistyped column and the columns it has
     */
    public static void requireColumns(StructType actual, StructType expected, String what) {
        for (StructField field : expected.fields()) {
            StructField found = Arrays.stream(actual.fields()).filter(f -> f.name().equals(field.name())).findFirst()
                    .orElse(null);
            if (found == null || !sameType(found.dataType(), field.dataType())) {
                throw new BalconException(what + (found == null ? " has no column '" + field.name() + "'"
                        : " has column '" + field.name() + "' of type " + found.dataType().simpleString())
                        + ": expected " + field.name() + " " + field.dataType().simpleString() + " (has "
                        + describe(actual) + ")");
            }
        }
    }

    private static boolean sameType(DataType a, DataType b) {
        return DataType.equalsIgnoreNullability(a, b);
    }

    private static String describe(StructType schema) {
        return Arrays.stream(schema.fields()).map(f -> f.name() + " " + f.dataType().simpleString())
                .collect(Collectors.joining(", "));
    }

    /** The first line of an exception's message, for one-line errors. */
    static String firstLine(Throwable e) {
        String message = String.valueOf(e.getMessage());
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
