package dev.balcon.cli;

import picocli.CommandLine.Option;

/** The option of the verbs that run long jobs; {@link Main} applies it to every job of the command. */
final class ProgressOptions {
    static final String NO_PROGRESS = "--no-progress";

    @Option(names = NO_PROGRESS, description = "No progress bars or progress lines on standard error "
            + "(results, metrics and log messages are still written).")
    boolean noProgress;
}
