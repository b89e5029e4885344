package dev.balcon.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URISyntaxException;
import java.nio.file.Path;
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
    void profileWritesLibtorchsTraceAndPrintsTheOperatorsOfTheBreakdown(@TempDir Path dir) {
        Path profile = dir.resolve("profile");
        CommandLineErrorsTest.Outcome outcome = balcon("bench", "--no-peer", "--no-progress", "--breakdown",
                "--profile", profile.toString(), "--profile-top", "3", "--steps", "1", "--warmup", "1",
                "--width", "4", "--batch-size", "16");

        assertThat(outcome.status()).as(outcome.err()).isZero();
        assertThat(profile.resolve("balcon-trace.json")).isNotEmptyFile();
        assertThat(outcome.out()).contains("operators by self time in the first timed step, ms").contains("| all operators |");
        // three operator rows between the table's header and its total
        String table = outcome.out().substring(outcome.out().indexOf("| operator |"), outcome.out().indexOf("| all operators |"));
        assertThat(table.lines().filter(line -> line.startsWith("| aten::"))).hasSize(3);

        CommandLineErrorsTest.Outcome alone = balcon("bench", "--no-peer", "--profile", profile.toString());
        assertThat(alone.status()).isEqualTo(2);
        assertThat(alone.err().strip()).doesNotContain("\n").contains("--profile profiles the --breakdown run");
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
