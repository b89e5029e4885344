package dev.balcon.spark;

import org.apache.hadoop.conf.Configuration;

import java.io.Serializable;
import java.util.HashMap;
import java.util.Map;

/**
 * The driver's Hadoop configuration (file system settings and credentials set through {@code spark.hadoop.*}) in a
 * form that travels to the executors, where tasks open files themselves.
 */
record HadoopConf(Map<String, String> entries) implements Serializable {
    private static final long serialVersionUID = 1L;

    static HadoopConf of(Configuration configuration) {
        Map<String, String> entries = new HashMap<>();
        configuration.forEach(entry -> entries.put(entry.getKey(), entry.getValue()));
        return new HadoopConf(entries);
    }

    Configuration toConfiguration() {
        Configuration configuration = new Configuration(false);
        entries.forEach(configuration::set);
        return configuration;
    }
}
