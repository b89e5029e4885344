package dev.balcon.cli;

import ai.djl.Device;
import dev.balcon.BalconException;
import dev.balcon.ComputeDevice;
import dev.balcon.Progress;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/** The balcon command line: a few verbs over one library. */
@Command(name = "balcon", mixinStandardHelpOptions = true, version = "balcon " + dev.balcon.Version.NUMBER,
        description = "Self-supervised contrastive representation learning on the JVM "
                + "(SimCLR, the balanced contrastive loss, prototype bias).",
        subcommands = {DemoCommand.class, PretrainCommand.class, KnnCommand.class, LinearCommand.class,
                BiasCommand.class, BoundsCommand.class, BiasPlotCommand.class, PreviewCommand.class,
                ProfileCommand.class, SweepCommand.class, TuneCommand.class, ReportCommand.class, BenchCommand.class, ExportCommand.class,
                EmbedCommand.class, MapCommand.class, NeighborsCommand.class, IndexCommand.class,
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
            FileSystemException fileProblem = find(exception, FileSystemException.class);
            if (fileProblem != null) {
                cmd.getErr().println("balcon: " + describe(exception, fileProblem));
                return EXIT_USER_ERROR;
            }
            if (System.getenv("BALCON_DEBUG") != null) {
                exception.printStackTrace(cmd.getErr());
            }
            cmd.getErr().println("balcon: failed: " + exception + " (set BALCON_DEBUG=1 for the stack trace)");
            return EXIT_FAILURE;
        });
        commandLine.setExecutionStrategy(Main::executeWithProgressChoice);
        return commandLine.execute(args);
    }

    /**
     * Runs the command with every long job's progress silenced under --no-progress and its --device as
     * {@link ComputeDevice#current()}, both restored afterwards.
     */
    private static int executeWithProgressChoice(CommandLine.ParseResult parseResult) {
        CommandLine.ParseResult command = parseResult;
        while (command.hasSubcommand()) {
            command = command.subcommand();
        }
        Progress previous = Progress.current();
        if (command.hasMatchedOption(ProgressOptions.NO_PROGRESS)) {
            Progress.setCurrent(Progress.none());
        }
        Device previousDevice = ComputeDevice.current();
        CommandLine.Model.OptionSpec deviceOption = command.commandSpec().findOption(DeviceOptions.DEVICE);
        if (deviceOption != null) {
            ComputeDevice.setCurrent(deviceOption.getValue());
        }
        try {
            return new CommandLine.RunLast().execute(parseResult);
        } finally {
            Progress.setCurrent(previous);
            ComputeDevice.setCurrent(previousDevice);
        }
    }

    private static BalconException findUserError(Throwable exception) {
        return find(exception, BalconException.class);
    }

    private static <T extends Throwable> T find(Throwable exception, Class<T> type) {
        for (Throwable t = exception; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }

    /**
     * A file the user named that cannot be written or read (a run directory that is a file, a missing or
     * read-only folder) as one line: what balcon was doing, then which file and why.
     */
    private static String describe(Throwable exception, FileSystemException problem) {
        String file = problem.getFile();
        String why;
        if (problem instanceof NoSuchFileException) {
            why = file + " does not exist";
        } else if (problem instanceof NotDirectoryException) {
            why = file + " is not a directory";
        } else if (problem instanceof FileAlreadyExistsException) {
            why = file + " is in the way (a file where a directory is needed, or the reverse)";
        } else if (problem instanceof AccessDeniedException) {
            why = "permission denied on " + file;
        } else {
            why = problem.getMessage();
        }
        String doing = exception != problem && exception.getMessage() != null
                && !exception.getMessage().equals(problem.toString()) ? exception.getMessage() : null;
        return (doing == null ? why : doing + ": " + why).replaceAll("\\R", " ");
    }
}
