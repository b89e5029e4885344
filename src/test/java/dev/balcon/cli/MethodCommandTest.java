package dev.balcon.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.balcon.cli.CommandLineErrorsTest.Outcome;
import dev.balcon.train.RunDirectory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static dev.balcon.cli.CommandLineErrorsTest.balcon;
import static org.assertj.core.api.Assertions.assertThat;

/** --method from the command line: a tiny byol run trains, and the instruments, report and export work on it. */
class MethodCommandTest {
    @TempDir
    static Path dir;
    static Path data;
    static Path runDir;

    @BeforeAll
    static void trainByol() throws IOException {
        data = InstrumentsCommandTest.writeTinyFashionMnist(dir.resolve("data"), 10);
        runDir = dir.resolve("byol");
        Outcome outcome = balcon("pretrain", "--method", "byol", "--momentum-tau", "0.98", "--run-dir", runDir.toString(),
                "--data", data.toString(), "--width", "4", "--proj-hidden", "16", "--proj-out", "8", "--batch-size", "20",
                "--epochs", "2", "--warmup-epochs", "0", "--lr", "0.1", "--workers", "1", "--probe-size", "20",
                "--probe-views", "3", "--no-progress");
        assertThat(outcome.status()).as(outcome.err()).isZero();
    }

    @Test
    void aByolRunRecordsItsMethodAndItsLossFallsInRange() throws IOException {
        RunDirectory run = new RunDirectory(runDir);
        assertThat(run.readConfig().method().name()).isEqualTo("byol");
        assertThat(run.readConfig().method().momentumTau()).isEqualTo(0.98);
        JsonNode pretrain = run.readResults().get("pretrain");
        assertThat(pretrain.get("status").asText()).isEqualTo("finished");
        // the symmetrised normalised MSE lies in [0, 8]
        assertThat(pretrain.get("finalLoss").asDouble()).isBetween(0.0, 8.0);
        try (var lines = Files.lines(run.metrics())) {
            assertThat(lines.filter(line -> line.contains("\"type\":\"epoch\""))).hasSize(2)
                    .allSatisfy(line -> assertThat(line).contains("\"repel_gap\"", "\"attract_gap\""));
        }
    }

    @Test
    void boundsBiasReportAndExportWorkOnAByolRun() throws IOException {
        Outcome bounds = balcon("bounds", "--run-dir", runDir.toString(), "--probe-size", "10", "--probe-views", "3");
        assertThat(bounds.status()).as(bounds.err()).isZero();
        assertThat(bounds.out()).contains("attracting", "repelling");
        Outcome bias = balcon("bias", "--run-dir", runDir.toString(), "--k", "2", "--per-class", "2");
        assertThat(bias.status()).as(bias.err()).isZero();
        assertThat(new RunDirectory(runDir).readResults().get("bias")).isNotNull();
        Path html = dir.resolve("report.html");
        Outcome report = balcon("report", runDir.toString(), "--out", html.toString());
        assertThat(report.status()).as(report.err()).isZero();
        assertThat(Files.readString(html)).contains("<td>method</td><td>byol</td>", "<td>momentumTau</td><td class=\"num\">0.98</td>");
        Path export = dir.resolve("export");
        Outcome exported = balcon("export", "--run-dir", runDir.toString(), "--out", export.toString());
        assertThat(exported.status()).as(exported.err()).isZero();
        JsonNode training = RunDirectory.JSON.readTree(export.resolve("model.json").toFile()).get("training");
        assertThat(training.get("method").asText()).isEqualTo("byol");
        assertThat(training.get("momentum_tau").asDouble()).isEqualTo(0.98);
    }

    @Test
    void resumingWithAnotherMethodIsOneLineNamingTheOption() {
        Outcome outcome = balcon("pretrain", "--run-dir", runDir.toString(), "--resume", "--method", "simsiam",
                "--no-progress");
        assertThat(outcome.status()).isEqualTo(Main.EXIT_USER_ERROR);
        assertThat(outcome.err().strip().lines()).hasSize(1);
        assertThat(outcome.err()).contains("--method (stored byol, given simsiam)");
    }

    @Test
    void anUnknownMethodOrALossSettingForByolIsOneLine(@TempDir Path other) {
        Outcome unknown = balcon("pretrain", "--run-dir", other.resolve("a").toString(), "--method", "moco3");
        assertThat(unknown.status()).isEqualTo(Main.EXIT_USER_ERROR);
        assertThat(unknown.err().strip()).isEqualTo("balcon: --method must be one of [simclr, moco, byol, simsiam], got 'moco3'");
        Outcome loss = balcon("pretrain", "--run-dir", other.resolve("b").toString(), "--method", "byol", "--loss",
                "balanced");
        assertThat(loss.status()).isEqualTo(Main.EXIT_USER_ERROR);
        assertThat(loss.err().strip().lines()).hasSize(1);
        assertThat(loss.err()).contains("method byol has a loss of its own");
    }

    @Test
    void aMocoRunWithTheBalancedLossRecordsItsQueueAndLoss(@TempDir Path other) throws IOException {
        Path mocoDir = other.resolve("moco");
        Outcome outcome = balcon("pretrain", "--method", "moco", "--queue-size", "50", "--loss", "balanced", "--alpha",
                "4", "--lambda", "2", "--run-dir", mocoDir.toString(), "--data", data.toString(), "--width", "4",
                "--proj-hidden", "16", "--proj-out", "8", "--batch-size", "20", "--epochs", "1", "--warmup-epochs", "0",
                "--lr", "0.1", "--workers", "1", "--no-progress");
        assertThat(outcome.status()).as(outcome.err()).isZero();
        RunDirectory run = new RunDirectory(mocoDir);
        assertThat(run.readConfig().method().name()).isEqualTo("moco");
        assertThat(run.readConfig().method().queueSize()).isEqualTo(50);
        assertThat(run.readConfig().method().momentumTau()).isEqualTo(0.99);
        assertThat(run.readConfig().lossConfig().presetName()).isEqualTo("balanced");
        JsonNode pretrain = run.readResults().get("pretrain");
        assertThat(pretrain.get("status").asText()).isEqualTo("finished");
        assertThat(pretrain.get("finalLoss").asDouble()).isFinite();
    }

    @Test
    void aQueueSizeForAnotherMethodIsOneLineNamingTheField(@TempDir Path other) {
        Outcome outcome = balcon("pretrain", "--run-dir", other.resolve("q").toString(), "--method", "byol",
                "--queue-size", "64");
        assertThat(outcome.status()).isEqualTo(Main.EXIT_USER_ERROR);
        assertThat(outcome.err().strip()).isEqualTo("balcon: --queue-size applies to moco only; method byol has no queue");
    }
}
