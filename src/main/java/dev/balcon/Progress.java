package dev.balcon;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Where long jobs (image decoding, pretraining, feature extraction) report how far they are: the one place
 * that decides between a bar redrawn in place, plain lines and nothing.
 *
 * <ul>
 *   <li>{@link #standardError()}: on an interactive terminal a bar on standard error, redrawn in place once a
 *       second (ASCII, carriage returns, no escape codes); otherwise (a file, a pipe, a CI log) a plain line
 *       every {@value #LINE_INTERVAL_SECONDS} s and a last one at the end, only for jobs that outlast the
 *       first interval.</li>
 *   <li>{@link #lines(Consumer, Duration)}: such plain lines, handed to a consumer.</li>
 *   <li>{@link #none()}: nothing.</li>
 * </ul>
 *
 * Library jobs report to {@link #current()}, {@link #standardError()} unless replaced with {@link #setCurrent};
 * the command line's {@code --no-progress} sets {@link #none()} for the duration of a command.
 */
public final class Progress {
    /** Seconds between two plain progress lines. */
    public static final long LINE_INTERVAL_SECONDS = 30;

    private static final Progress NONE = new Progress(null, null);
    private static final Progress STANDARD_ERROR = new Progress(null, Duration.ofSeconds(LINE_INTERVAL_SECONDS));
    private static volatile Progress current = STANDARD_ERROR;

    /** Plain-line sink; null for standard error (bar or lines, decided when a task starts). */
    private final Consumer<String> sink;
    /** Time between plain lines; null for no output at all. */
    private final Duration interval;

    private Progress(Consumer<String> sink, Duration interval) {
        this.sink = sink;
        this.interval = interval;
    }

    /** A bar on an interactive terminal, plain lines otherwise, both on standard error. */
    public static Progress standardError() {
        return STANDARD_ERROR;
    }

    /** No progress output. */
    public static Progress none() {
        return NONE;
    }

    /**
     * Plain lines ("Decoding train: 1200/5000 (24%), 31 s, about 98 s left") handed to {@code sink} at most
     * once per {@code interval}, and a last line when a job that printed one ends.
     *
     * @param sink     receives each line, without a line terminator; called from the jobs' threads, one
     *                 call at a time per job
     * @param interval time between two lines, zero or more
     */
    public static Progress lines(Consumer<String> sink, Duration interval) {
        Objects.requireNonNull(sink, "sink");
        if (interval.isNegative()) {
            throw new IllegalArgumentException("interval must not be negative: " + interval);
        }
        return new Progress(sink, interval);
    }

    /** Where library jobs report now. */
    public static Progress current() {
        return current;
    }

    /** Makes library jobs report to {@code progress} from now on (process-wide). */
    public static void setCurrent(Progress progress) {
        current = Objects.requireNonNull(progress, "progress");
    }

    /** Starts reporting a job of {@code total} steps, none done yet. */
    public Task start(String name, long total) {
        return start(name, total, 0);
    }

    /**
     * Starts reporting a job of {@code total} steps of which {@code done} are already done (a resumed job).
     *
     * @param name what the job does, e.g. "Decoding train"
     */
    public Task start(String name, long total, long done) {
        if (interval == null) {
            return new Task();
        }
        if (sink == null && interactiveTerminal()) {
            return new BarTask(new ProgressBarBuilder().setTaskName(name).setInitialMax(total)
                    .startsFrom(done, Duration.ZERO).setStyle(ProgressBarStyle.ASCII)
                    .setUpdateIntervalMillis(1000).continuousUpdate()
                    .setConsumer(new ConsoleProgressBarConsumer(System.err)).build());
        }
        Consumer<String> out = sink != null ? sink : line -> printLine(System.err, line);
        return new LineTask(name, total, done, interval, out);
    }

    /**
     * Whether standard error most likely shows on a terminal that redraws a line on carriage return. Java
     * 17 only tells whether standard input and output are a terminal (a {@link System#console()}); a dumb
     * or absent TERM (Emacs shells, CI runners) gets plain lines too.
     */
    private static boolean interactiveTerminal() {
        String term = System.getenv("TERM");
        return System.console() != null && term != null && !term.isBlank() && !term.equals("dumb");
    }

    private static void printLine(PrintStream stream, String line) {
        stream.println(line);
        stream.flush();
    }

    /** One job's progress. Thread-safe: steps may come from several threads. This base class shows nothing. */
    public static class Task implements AutoCloseable {
        Task() {
        }

        /** One more step done. */
        public void step() {
        }

        /** Text shown after the counts, e.g. " epoch 3/10 loss 4.21". */
        public void message(String text) {
        }

        /** Ends the report (a last line or the bar's final state). */
        @Override
        public void close() {
        }
    }

    private static final class BarTask extends Task {
        private final ProgressBar bar;

        BarTask(ProgressBar bar) {
            this.bar = bar;
        }

        @Override
        public void step() {
            bar.step();
        }

        @Override
        public void message(String text) {
            bar.setExtraMessage(text);
        }

        @Override
        public void close() {
            bar.close();
        }
    }

    private static final class LineTask extends Task {
        private final String name;
        private final long total;
        private final long startDone;
        private final long intervalNanos;
        private final Consumer<String> out;
        private final long startNanos = System.nanoTime();
        private final AtomicLong done;
        private volatile String message = "";
        private long lastLineNanos;
        private boolean printed;

        LineTask(String name, long total, long done, Duration interval, Consumer<String> out) {
            this.name = name;
            this.total = total;
            this.startDone = done;
            this.done = new AtomicLong(done);
            this.intervalNanos = interval.toNanos();
            this.out = out;
            this.lastLineNanos = startNanos;
        }

        @Override
        public void step() {
            long count = done.incrementAndGet();
            long now = System.nanoTime();
            if (now - lastLineNanos >= intervalNanos) {
                synchronized (this) {
                    if (now - lastLineNanos >= intervalNanos) {
                        lastLineNanos = now;
                        printed = true;
                        out.accept(line(count, now));
                    }
                }
            }
        }

        @Override
        public void message(String text) {
            message = text;
        }

        @Override
        public synchronized void close() {
            if (printed) {
                out.accept(line(done.get(), System.nanoTime()));
                printed = false;
            }
        }

        private String line(long count, long now) {
            double seconds = (now - startNanos) / 1e9;
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%s: %d/%d", name, count, total));
            if (total > 0) {
                line.append(String.format(Locale.ROOT, " (%d%%)", 100 * count / total));
            }
            line.append(String.format(Locale.ROOT, ", %.0f s", seconds));
            long stepsHere = count - startDone;
            if (stepsHere > 0 && count < total) {
                line.append(String.format(Locale.ROOT, ", about %.0f s left", seconds / stepsHere * (total - count)));
            }
            return line.append(message).toString();
        }
    }
}
