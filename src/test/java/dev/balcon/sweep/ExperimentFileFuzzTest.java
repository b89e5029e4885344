package dev.balcon.sweep;

import dev.balcon.BalconException;
import dev.balcon.cli.TrainingOptionsConfigs;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Experiment files damaged the ways files get damaged (cut short, bytes flipped, keys and values changed, huge
 * numbers, deep nesting, wrong types): reading one either gives a valid experiment or throws a BalconException with
 * one line that starts with the file; never another exception.
 */
class ExperimentFileFuzzTest {
    /** Path settings are not checked against the disk, so that the mutations reach the deeper checks. */
    private static final TrainingOptionsConfigs CONFIGS = new TrainingOptionsConfigs(false);

    /** Valid files in the shape of experiments/*.yaml, every top-level key used by at least one. */
    private static final List<String> VALID = List.of("""
            # a comment
            description: >
              Learning rate of the default recipe.
            budget: 2 cells x 2 seeds
            base:
              dataset: fashion-mnist
              train_limit: 8000
              width: 16
              epochs: 3
              batch_size: 256
              warmup_epochs: 0.5
              monitor_bounds: false
              loss: nt_xent
            grid:
              lr: [0.1, 0.3]
            seeds: [0, 1]
            evaluate: [knn, linear]
            protocol:
              train_images: 8000
            """, """
            base:
              loss: balanced
              alpha: 4
              lambda: 2
              monitor_bounds: true
              probe_size: 1000
              probe_views: 4
            grid:
              alpha: [1, 2]
              lambda: [0.5, 2]
            cells:
              - {name: higher-nu, nu: 2, similarity: dot}
              - name: no-inv-alpha
                scale_by_inv_alpha: false
            seeds: [0, 1, 2]
            evaluate: [knn, bias]
            protocol:
              train_images: 6000
              knn_k: 20
              knn_temperature: 0.1
              linear_iterations: 50
              linear_l2: 0.001
              bias_views: 8
              bias_per_class: 100
              bias_recipe: simclr
            """);

    private static final List<String> KEYS = List.of("description", "budget", "base", "grid", "cells", "seeds",
            "evaluate", "protocol", "name", "lr", "alpha", "lambda", "tau", "nu", "loss", "width", "epochs",
            "batch_size", "train_limit", "seed", "knn_k", "bias_recipe", "dataset", "data", "image_size", "rho",
            "similarity", "recipe", "unknown_key", "", "\"\"", "? [a]", "<<");

    private static final List<String> VALUES = List.of("1e400", "-1e400", "1e-400", "99999999999999999999999999",
            "-1", "0", "-0", "2147483648", "9223372036854775808", "-9223372036854775809", "0x7fffffff", "1_000", ".nan",
            ".inf", "-.inf", "NaN", "~", "null", "", "[]", "{}", "[1, [2, [3]]]", "{a: {b: c}}", "[a, {b: 1}]", "true",
            "yes", "'text'", "\"a\\u0000b\"", "\"\\ud800\"", "&a [*a]", "*undefined", "!!binary AAAA",
            "!!java.io.File /tmp", "!!float x", "12:30:00", "2001-12-14", "/no/such/path", "\"a\\tb\\nc\"", "?", "|",
            ">", "---", "...", "%YAML 1.1", "9".repeat(1500), "\"" + "x".repeat(5000) + "\"",
            "[" + "1, ".repeat(300) + "2]", "'" + "\\".repeat(10) + "'", "@", "`", "!", "&", "*", "#", "{", "[", "]",
            "}", ",", ":");

    private static Path dir;

    @BeforeContainer
    static void createDirectory() throws IOException {
        dir = Files.createTempDirectory("balcon-fuzz");
    }

    @AfterContainer
    static void deleteDirectory() throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(file);
            }
        }
    }

    @net.jqwik.api.Example
    void theUndamagedFilesAreValid() throws IOException {
        for (String text : VALID) {
            Path file = dir.resolve("valid.yaml");
            Files.writeString(file, text);
            assertThat(ExperimentFile.read(file, CONFIGS).runs()).hasSizeGreaterThanOrEqualTo(4);
        }
    }

    /** The message of reading {@code yaml} with paths checked against the disk, as 'balcon sweep' does. */
    private static String errorOf(String yaml) throws IOException {
        Path file = dir.resolve("bad.yaml");
        Files.writeString(file, yaml);
        Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(
                () -> ExperimentFile.read(file, new TrainingOptionsConfigs()));
        assertThat(thrown).isInstanceOf(BalconException.class);
        assertThat(thrown.getMessage()).startsWith(file.toString()).doesNotContain("\n");
        return thrown.getMessage();
    }

    @net.jqwik.api.Example
    void aPathThatCannotBeAPathIsNamed() throws IOException {
        assertThat(errorOf("base: {data: \"runs\\u0000x\"}\nseeds: [0]\n")).contains("base.data", "not a valid path");
    }

    @net.jqwik.api.Example
    void aGridOfTooManyRunsIsRefusedBeforeItIsExpanded() throws IOException {
        String values = "[" + String.join(", ", java.util.stream.IntStream.range(1, 1001).mapToObj(String::valueOf)
                .toList()) + "]";
        assertThat(errorOf("grid: {epochs: " + values + ", width: " + values + "}\nseeds: [0]\n"))
                .contains("grid", "1000000 cells, more than 10000");
    }

    @Property(tries = 200)
    void aDamagedFileReadsOrFailsWithOneLineNamingIt(@ForAll("damagedFiles") byte[] bytes) throws IOException {
        Path file = dir.resolve("experiment.yaml");
        Files.write(file, bytes);
        try {
            ExperimentFile experiment = ExperimentFile.read(file, CONFIGS);
            assertThat(experiment.runs()).isNotEmpty();
        } catch (BalconException e) {
            assertThat(e.getMessage()).startsWith(file.toString()).doesNotContain("\n", "\r");
        }
    }

    @Provide
    Arbitrary<byte[]> damagedFiles() {
        Arbitrary<Function<String, String>> textMutation = Arbitraries.oneOf(
                truncation(), valueChange(), keyChange(), deepNesting(), lineDeletion(), lineDuplication(),
                indentChange(), insertion());
        Arbitrary<byte[]> texts = Combinators.combine(Arbitraries.of(VALID), textMutation.list().ofMinSize(1).ofMaxSize(3))
                .as((text, mutations) -> {
                    String mutated = text;
                    for (Function<String, String> mutation : mutations) {
                        mutated = mutation.apply(mutated);
                    }
                    return mutated.getBytes(StandardCharsets.UTF_8);
                });
        Arbitrary<byte[]> flipped = Combinators.combine(Arbitraries.of(VALID),
                        Arbitraries.integers().between(0, Integer.MAX_VALUE).list().ofMinSize(1).ofMaxSize(4),
                        Arbitraries.integers().between(0, 7))
                .as((text, positions, bit) -> {
                    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
                    for (int position : positions) {
                        bytes[position % bytes.length] ^= (byte) (1 << bit);
                    }
                    return bytes;
                });
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(4, texts), net.jqwik.api.Tuple.of(1, flipped));
    }

    private static Arbitrary<Function<String, String>> truncation() {
        return Arbitraries.doubles().between(0, 1).map(share -> text -> text.substring(0, (int) (share * text.length())));
    }

    /** A line's value after "key:" replaced. */
    private static Arbitrary<Function<String, String>> valueChange() {
        return Combinators.combine(Arbitraries.integers().between(0, 1000), Arbitraries.of(VALUES))
                .as((line, value) -> text -> onLine(text, line, l -> l.contains(":")
                        ? l.substring(0, l.indexOf(':') + 1) + " " + value : l + " " + value));
    }

    /** A line's key replaced. */
    private static Arbitrary<Function<String, String>> keyChange() {
        return Combinators.combine(Arbitraries.integers().between(0, 1000), Arbitraries.of(KEYS))
                .as((line, key) -> text -> onLine(text, line, l -> {
                    int colon = l.indexOf(':');
                    int start = l.length() - l.stripLeading().length();
                    return colon > start ? l.substring(0, start) + key + l.substring(colon) : l;
                }));
    }

    /** A value nested hundreds or thousands of lists or mappings deep. */
    private static Arbitrary<Function<String, String>> deepNesting() {
        return Combinators.combine(Arbitraries.integers().between(0, 1000), Arbitraries.integers().between(10, 5000),
                Arbitraries.of(true, false)).as((line, depth, lists) -> text -> onLine(text, line, l -> {
                    String nested = lists ? "[".repeat(depth) + "1" + "]".repeat(depth)
                            : "{a: ".repeat(depth) + "1" + "}".repeat(depth);
                    return l.contains(":") ? l.substring(0, l.indexOf(':') + 1) + " " + nested : nested;
                }));
    }

    private static Arbitrary<Function<String, String>> lineDeletion() {
        return Arbitraries.integers().between(0, 1000).map(line -> text -> onLine(text, line, l -> null));
    }

    private static Arbitrary<Function<String, String>> lineDuplication() {
        return Arbitraries.integers().between(0, 1000).map(line -> text -> onLine(text, line, l -> l + "\n" + l));
    }

    private static Arbitrary<Function<String, String>> indentChange() {
        return Combinators.combine(Arbitraries.integers().between(0, 1000), Arbitraries.integers().between(-4, 4))
                .as((line, shift) -> text -> onLine(text, line,
                        l -> shift >= 0 ? " ".repeat(shift) + l : l.substring(Math.min(-shift, l.length()))));
    }

    /** Random characters (control characters, tabs, YAML indicators, non-ASCII) put in somewhere. */
    private static Arbitrary<Function<String, String>> insertion() {
        return Combinators.combine(Arbitraries.doubles().between(0, 1),
                        Arbitraries.strings().withCharRange('\u0000', '\u00ff').withChars("\t\n:-[]{}&*!|>'\"%@`#,?")
                                .ofMinLength(1).ofMaxLength(8))
                .as((share, inserted) -> text -> {
                    int at = (int) (share * text.length());
                    return text.substring(0, at) + inserted + text.substring(at);
                });
    }

    /** The text with line {@code index} (modulo the line count) mapped; a null result deletes the line. */
    private static String onLine(String text, int index, Function<String, String> change) {
        List<String> lines = new ArrayList<>(Arrays.asList(text.split("\n", -1)));
        int at = index % lines.size();
        String changed = change.apply(lines.get(at));
        if (changed == null) {
            lines.remove(at);
        } else {
            lines.set(at, changed);
        }
        return String.join("\n", lines);
    }
}
