package dev.balcon.spark.cli;

import dev.balcon.BalconException;
import dev.balcon.spark.SparkErrors;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/** The balcon-spark command line: balcon's embedding, k-NN evaluation and sweeps as Spark jobs. */
@Command(name = "balcon-spark", mixinStandardHelpOptions = true, version = "balcon-spark " + dev.balcon.Version.NUMBER,
        description = "balcon on Apache Spark: embed images with an exported encoder, evaluate k-NN on embeddings, "
                + "run the runs of a sweep as tasks. "
                + "See docs/spark.md.",
        subcommands = {EmbedCommand.class, KnnCommand.class, SweepCommand.class, CommandLine.HelpCommand.class})
public final class SparkMain {
    static final int EXIT_USER_ERROR = 2;
    static final int EXIT_FAILURE = 1;
    /** log4j 2 configuration of the command line (WARN): Spark logs every task at INFO by default. */
    private static final String LOG_CONFIG = "balcon-spark-log4j2.properties";

    public static void main(String[] args) {
        if (System.getProperty("log4j2.configurationFile") == null) {
            System.setProperty("log4j2.configurationFile", LOG_CONFIG);
        }
        System.exit(run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    /** Runs the command line and returns the exit status (for tests and embedding). */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        CommandLine commandLine = new CommandLine(new SparkMain()).setOut(out).setErr(err);
        commandLine.setParameterExceptionHandler((exception, arguments) -> {
            exception.getCommandLine().getErr().println("balcon-spark: " + exception.getMessage() + " (see '"
                    + exception.getCommandLine().getCommandSpec().qualifiedName() + " --help')");
            return EXIT_USER_ERROR;
        });
        commandLine.setExecutionExceptionHandler((exception, cmd, parseResult) -> {
            BalconException userError = SparkErrors.userError(exception);
            if (userError != null) {
                cmd.getErr().println("balcon-spark: " + userError.getMessage());
                return EXIT_USER_ERROR;
            }
            if (System.getenv("BALCON_DEBUG") != null) {
                exception.printStackTrace(cmd.getErr());
            }
            cmd.getErr().println("balcon-spark: failed: " + firstLine(exception) + " (set BALCON_DEBUG=1 for the stack trace)");
            return EXIT_FAILURE;
        });
        return commandLine.execute(args);
    }

    private static String firstLine(Throwable exception) {
        String text = exception.toString();
        int newline = text.indexOf('\n');
        return newline < 0 ? text : text.substring(0, newline);
    }
}
