package dev.balcon.spark;

import org.apache.spark.sql.SparkSession;

import java.nio.file.Path;

/** The shared fixtures, for tests in other packages. */
public final class TestAccess {
    private TestAccess() {}

    public static SparkSession spark() {
        return TestFixtures.spark();
    }

    public static Path images() {
        return TestFixtures.images();
    }

    public static Path model() {
        return TestFixtures.model();
    }
}
