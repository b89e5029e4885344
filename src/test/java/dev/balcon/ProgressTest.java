package dev.balcon;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

class ProgressTest {
    @Test
    void plainLinesCountTheStepsAndEndWithALastLine() {
        List<String> lines = new ArrayList<>();
        try (Progress.Task task = Progress.lines(lines::add, Duration.ZERO).start("Decoding train", 4)) {
            task.step();
            task.message(" loss 1.5");
            task.step();
        }
        assertThat(lines).hasSize(3);
        assertThat(lines.get(0)).startsWith("Decoding train: 1/4 (25%), ").contains("s left");
        assertThat(lines.get(1)).startsWith("Decoding train: 2/4 (50%), ").endsWith(" loss 1.5");
        assertThat(lines.get(2)).startsWith("Decoding train: 2/4 (50%), ");
        assertThat(String.join("\n", lines)).doesNotContain("\r", "\u001b");
    }

    @Test
    void aResumedJobCountsFromWhereItStopped() {
        List<String> lines = new ArrayList<>();
        try (Progress.Task task = Progress.lines(lines::add, Duration.ZERO).start("pretrain", 10, 6)) {
            task.step();
        }
        assertThat(lines.get(0)).startsWith("pretrain: 7/10 (70%), ");
    }

    @Test
    void aJobShorterThanTheIntervalPrintsNothing() {
        List<String> lines = new ArrayList<>();
        try (Progress.Task task = Progress.lines(lines::add, Duration.ofHours(1)).start("Decoding train", 1000)) {
            IntStream.range(0, 1000).parallel().forEach(i -> task.step());
        }
        assertThat(lines).isEmpty();
    }

    @Test
    void noneAndTheCurrentChoice() {
        Progress previous = Progress.current();
        assertThat(previous).isSameAs(Progress.standardError());
        try {
            Progress.setCurrent(Progress.none());
            assertThat(Progress.current()).isSameAs(Progress.none());
            try (Progress.Task task = Progress.current().start("Decoding train", 2)) {
                task.step();
                task.step();
            }
        } finally {
            Progress.setCurrent(previous);
        }
    }
}
