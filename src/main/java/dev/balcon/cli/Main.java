package dev.balcon.cli;

import dev.balcon.BalconException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/** The balcon command line: a few verbs over one library. */
@Command(name = "balcon", mixinStandardHelpOptions = true, version = "balcon " + dev.balcon.Version.NUMBER,
        description = "Self-supervised contrastive representation learning on the JVM "
                + "(SimCLR, the balanced contrastive loss, prototype bias).",
        subcommands = {DemoCommand.class, PretrainCommand.class, KnnCommand.class, LinearCommand.class,
                BiasCommand.class, BoundsCommand.class, BiasPlotCommand.class, PreviewCommand.class,
                ProfileCommand.class, SweepCommand.class, ReportCommand.class, BenchCommand.class, ExportCommand.class,
                EmbedCommand.class,
                CommandLine.HelpCommand.class})
public final class Main {
    /** Exit status of a run stopped by a non-finite loss: a result, not a crash. */
    public static final int EXIT_DIVERGED = 3;
    static final int EXIT_USER_ERROR = 2;
    static final int EXIT_FAILURE = 1;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit status (for tests and embedding). */
    public static int run(String... args) {
        return run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    /** Runs the command line with the given output and error writers. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        CommandLine commandLine = new CommandLine(new Main()).setOut(out).setErr(err);
        commandLine.setParameterExceptionHandler((exception, arguments) -> {
            exception.getCommandLine().getErr().println("balcon: " + exception.getMessage() + " (see '"
                    + exception.getCommandLine().getCommandSpec().qualifiedName() + " --help')");
            return EXIT_USER_ERROR;
        });
        commandLine.setExecutionExceptionHandler((exception, cmd, parseResult) -> {
            BalconException userError = findUserError(exception);
            if (userError != null) {
                cmd.getErr().println("balcon: " + userError.getMessage());
                return EXIT_USER_ERROR;
            }
            if (System.getenv("BALCON_DEBUG") != null) {
                exception.printStackTrace(cmd.getErr());
            }
            cmd.getErr().println("balcon: failed: " + exception + " (set BALCON_DEBUG=1 for the stack trace)");
            return EXIT_FAILURE;
        });
        return commandLine.execute(args);
    }

    private static BalconException findUserError(Throwable exception) {
        for (Throwable t = exception; t != null; t = t.getCause()) {
            if (t instanceof BalconException userError) {
                return userError;
            }
        }
        return null;
    }
}
