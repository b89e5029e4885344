package dev.balcon.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

import static dev.balcon.cli.CommandLineErrorsTest.balcon;
import static org.assertj.core.api.Assertions.assertThat;

class BenchCommandTest {

    private static Path referenceBlasPeer() throws URISyntaxException {
        return Path.of(Objects.requireNonNull(BenchCommandTest.class.getResource("/bench/reference-blas-peer.sh")).toURI());
    }

    @Test
    void aPeerOnTheReferenceBlasIsRefusedWithTheWayToInstallOpenBlas() throws URISyntaxException {
        CommandLineErrorsTest.Outcome outcome = balcon("bench", "--no-progress", "--python", "/bin/sh",
                "--peer", referenceBlasPeer().toString());

        assertThat(outcome.status()).isEqualTo(2);
        assertThat(outcome.err().strip()).doesNotContain("\n").contains("reference BLAS")
                .contains("apt-get install libopenblas0-pthread").contains("--allow-reference-blas");
        // the machine was described before the refusal, and nothing was measured
        assertThat(outcome.out()).contains("CPU: ").contains("malloc: ").contains("REFERENCE BLAS [libblas.so.3]")
                .doesNotContain("| measurement");
    }

    @Test
    void aShardedBenchSaysThePeerIsNotShardedAndBreakdownRefusesShards() throws URISyntaxException {
        CommandLineErrorsTest.Outcome outcome = balcon("bench", "--no-progress", "--shards", "4", "--python",
                "/bin/sh", "--peer", referenceBlasPeer().toString());
        assertThat(outcome.out()).contains("balcon's step is sharded (--shards 4, emulated one shard after another); "
                + "the peer is not sharded: it trains the whole batch in one step");

        CommandLineErrorsTest.Outcome breakdown = balcon("bench", "--no-peer", "--breakdown", "--shards", "2");
        assertThat(breakdown.status()).isEqualTo(2);
        assertThat(breakdown.err().strip()).doesNotContain("\n")
                .contains("--breakdown times the phases of the unsharded step; leave --shards at 1");
    }

    @Test
    void profileWritesLibtorchsTraceAndPrintsTheOperatorsOfTheBreakdown(@TempDir Path dir) throws IOException {
        Path profile = dir.resolve("profile");
        Files.createDirectories(profile);
        // a trace of an earlier run with the peer: this run has none, and must not leave the old one beside its own
        Files.writeString(profile.resolve("pytorch-trace.json"), "[]");
        CommandLineErrorsTest.Outcome outcome = balcon("bench", "--no-peer", "--no-progress", "--breakdown",
                "--profile", profile.toString(), "--profile-top", "3", "--steps", "1", "--warmup", "1",
                "--width", "4", "--batch-size", "16");

        assertThat(outcome.status()).as(outcome.err()).isZero();
        assertThat(profile.resolve("balcon-trace.json")).isNotEmptyFile();
        assertThat(profile.resolve("pytorch-trace.json")).doesNotExist();
        assertThat(outcome.out()).contains("operators by self time in the profiled step").contains("| all operators |");
        // exactly the three operators asked for, between the table's header and its total
        String table = outcome.out().substring(outcome.out().indexOf("|---|"), outcome.out().indexOf("| all operators |"));
        assertThat(table.lines().skip(1).filter(line -> line.startsWith("| "))).hasSize(3);
    }

    @Test
    void profileOptionsThatCannotApplyAreOneLineErrorsBeforeAnythingRuns(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        String[][] cases = {
                {"--profile", dir.toString(), "--profile profiles the --breakdown run; add --breakdown"},
                {"--breakdown", "--profile-top", "5", "--profile-top is for --profile; add --profile DIR"},
                {"--breakdown", "--profile=", "--profile needs a directory, got an empty path"},
                {"--breakdown", "--profile", dir.toString(), "--profile-top", "0", "--profile-top must be >= 1, got 0"},
                {"--breakdown", "--profile", file.toString(), "exists and is not a directory"}};
        for (String[] c : cases) {
            List<String> args = new java.util.ArrayList<>(List.of("bench", "--no-peer", "--no-progress"));
            args.addAll(List.of(c).subList(0, c.length - 1));
            CommandLineErrorsTest.Outcome outcome = balcon(args.toArray(String[]::new));
            assertThat(outcome.status()).as(String.join(" ", args)).isEqualTo(2);
            assertThat(outcome.err().strip()).doesNotContain("\n").contains(c[c.length - 1]);
            // refused before the machine was measured
            assertThat(outcome.out()).doesNotContain("CPU: ");
        }
        assertThat(Files.readString(file)).isEqualTo("x");
    }

    @Test
    void anUnknownPrecisionIsOneLineNamingIt() {
        CommandLineErrorsTest.Outcome outcome = balcon("bench", "--no-peer", "--precision", "fp8");

        assertThat(outcome.status()).isEqualTo(2);
        assertThat(outcome.err().strip()).doesNotContain("\n").contains("precision must be fp32 or bf16, got 'fp8'");
    }

    @Test
    void roundsBelowOneAreAUsageError() {
        CommandLineErrorsTest.Outcome outcome = balcon("bench", "--no-peer", "--rounds", "0");

        assertThat(outcome.status()).isEqualTo(2);
        assertThat(outcome.err().strip()).doesNotContain("\n").contains("--rounds");
    }
}
