package dev.balcon.spark.cli;

import dev.balcon.BalconException;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.LinkedHashMap;
import java.util.Map;

/** Where the job runs: the options every balcon-spark verb shares, and the session they make. */
final class SparkOptions {
    /** How long to wait for a standalone master to accept a connection before calling it unreachable. */
    private static final int CONNECT_TIMEOUT_MILLIS = 5000;

    @Option(names = "--master",
            description = "Spark master URL: local[*] (all cores of this machine; the default), local[N], "
                    + "spark://HOST:PORT, yarn, k8s://... Under spark-submit, its --master is the default.")
    String master;

    @Option(names = "--torch-threads", defaultValue = "0",
            description = "libtorch threads per executor (default 0: spark.task.cpus, one per running task).")
    int torchThreads;

    @Option(names = "--conf", paramLabel = "KEY=VALUE",
            description = "A Spark setting, e.g. --conf spark.executor.memory=8g (repeatable).")
    Map<String, String> conf = new LinkedHashMap<>();

    /**
     * A session on {@code --master} with the {@code --conf} settings, after checking that a standalone master
     * ({@code spark://}) accepts connections: Spark itself would retry for a minute and then leave the application
     * without executors.
     *
     * @throws BalconException if the master URL is malformed or a standalone master cannot be reached
     */
    SparkSession session(String appName, PrintWriter err) {
        // spark-submit passes its --master as the system property spark.master
        String url = master != null ? master : System.getProperty("spark.master", "local[*]");
        if (url.startsWith("spark://")) {
            requireReachable(url);
        }
        SparkSession.Builder builder = SparkSession.builder().appName(appName).master(url)
                .config("spark.ui.showConsoleProgress", "true");
        conf.forEach(builder::config);
        SparkSession spark;
        try {
            spark = builder.getOrCreate();
        } catch (Exception e) { // SparkException (checked in Java's eyes) for a malformed master URL
            throw new BalconException("cannot start Spark on --master " + url + ": " + firstLine(e), e);
        }
        if (spark.sparkContext().uiWebUrl().isDefined()) {
            err.println("balcon-spark: Spark UI at " + spark.sparkContext().uiWebUrl().get());
        }
        return spark;
    }

    private static void requireReachable(String url) {
        String failure = null;
        for (String hostPort : url.substring("spark://".length()).split(",")) {
            int colon = hostPort.lastIndexOf(':');
            String host = colon < 0 ? hostPort : hostPort.substring(0, colon);
            int port;
            try {
                port = colon < 0 ? 7077 : Integer.parseInt(hostPort.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new BalconException("--master " + url + ": expected spark://HOST:PORT, got port '"
                        + hostPort.substring(colon + 1) + "'");
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(host, port), CONNECT_TIMEOUT_MILLIS);
                return; // one reachable master of a list (standby masters) is enough
            } catch (IOException | IllegalArgumentException e) {
                failure = "cannot connect to " + host + ":" + port + " (" + e.getMessage() + ")";
            }
        }
        throw new BalconException("--master " + url + ": " + failure + "; is the Spark master running and reachable "
                + "from here?");
    }

    private static String firstLine(Throwable e) {
        String text = String.valueOf(e.getMessage());
        int newline = text.indexOf('\n');
        return newline < 0 ? text : text.substring(0, newline);
    }
}
