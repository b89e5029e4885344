package dev.balcon.train;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.time.Duration;

/** balcon's progress bars on stderr: redrawn every second on a console, a plain line every half minute in a log. */
public final class ProgressBars {
    private ProgressBars() {}

    /**
     * Starts a bar of {@code max} units with {@code done} already done; close it when the work ends.
     *
     * @param task the name shown before the bar
     */
    public static ProgressBar start(String task, long max, long done) {
        ProgressBarBuilder builder = new ProgressBarBuilder().setTaskName(task).setInitialMax(max)
                .setStyle(ProgressBarStyle.ASCII).startsFrom(done, Duration.ZERO);
        if (System.console() != null) {
            builder.setUpdateIntervalMillis(1000).continuousUpdate()
                    .setConsumer(new ConsoleProgressBarConsumer(System.err));
        } else {
            // Redirected to a file or a CI log: a plain line every half minute instead of carriage-return redraws.
            builder.setUpdateIntervalMillis(30_000).setMaxRenderedLength(160)
                    .setConsumer(new DelegatingProgressBarConsumer(System.err::println));
        }
        return builder.build();
    }
}
