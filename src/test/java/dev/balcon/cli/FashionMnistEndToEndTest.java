package dev.balcon.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.balcon.data.FashionMnist;
import dev.balcon.train.RunDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The main job on the real Fashion-MNIST, shrunk: pretrain on a slice, k-NN on the full test set with floors. */
class FashionMnistEndToEndTest {

    @Test
    void demoTrainsEvaluatesAndReportsAboveChance(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isDirectory(FashionMnist.DEFAULT_DIR), "Fashion-MNIST is not installed");
        Path runDir = dir.resolve("demo");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), "demo", "--run-dir", runDir.toString(),
                "--epochs", "1", "--train-limit", "2048", "--width", "8", "--proj-hidden", "64", "--batch-size", "128",
                "--lr", "0.2", "--warmup-epochs", "0");
        assertThat(status).as(err.toString()).isZero();
        assertThat(out.toString()).contains("raw pixels (floor)", "random init (floor)", "k=200");

        JsonNode demo = new RunDirectory(runDir).readResults().get("demo");
        // Chance is 10%; raw pixels under this k-NN give about 79%.
        assertThat(demo.get("pixels_top1").asDouble()).isBetween(0.75, 0.83);
        assertThat(demo.get("random_init_top1").asDouble()).isGreaterThan(0.3);
        assertThat(demo.get("pretrained_top1").asDouble()).isGreaterThan(0.5);
        assertThat(Files.readAllLines(runDir.resolve("metrics.jsonl"))).anyMatch(line -> line.contains("\"type\":\"epoch\""));
    }
}
