package dev.balcon.train;

import com.fasterxml.jackson.databind.JsonNode;
import dev.balcon.BalconException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RunDirectoryTest {

    @Test
    void resultsAreMergedKeyByKeyAndWrittenWithoutLeftovers(@TempDir Path dir) throws Exception {
        RunDirectory run = new RunDirectory(dir.resolve("run"));
        run.create();
        run.putResult("knn", Map.of("top1", 0.8));
        run.putResult("pretrain", Map.of("status", "finished"));
        run.putResult("knn", Map.of("top1", 0.85));
        JsonNode results = RunDirectory.JSON.readTree(run.results().toFile());
        assertThat(results.get("knn").get("top1").asDouble()).isEqualTo(0.85);
        assertThat(results.get("pretrain").get("status").asText()).isEqualTo("finished");
        try (var files = Files.list(run.root())) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("results.json");
        }
    }

    @Test
    void aMissingOrBrokenConfigIsAOneLineError(@TempDir Path dir) throws Exception {
        RunDirectory run = new RunDirectory(dir);
        assertThatThrownBy(run::readConfig).isInstanceOf(BalconException.class).hasMessageContaining("config.json is missing");
        Files.writeString(run.config(), "{\"epochs\": \"many\"}");
        assertThatThrownBy(run::readConfig).isInstanceOf(BalconException.class)
                .hasMessageContaining(run.config().toString()).hasMessageNotContaining("\n");
    }

    @Test
    void metricsAreOneJsonObjectPerLine(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("metrics.jsonl");
        try (MetricsLog log = new MetricsLog(file)) {
            log.write("step", Map.of("loss", 1.5));
            log.write("epoch", Map.of("epoch", 1));
        }
        var lines = Files.readAllLines(file);
        assertThat(lines).hasSize(2);
        assertThat(RunDirectory.JSON.readTree(lines.get(0)).get("type").asText()).isEqualTo("step");
        assertThat(RunDirectory.JSON.readTree(lines.get(0)).get("loss").asDouble()).isEqualTo(1.5);
        assertThat(RunDirectory.JSON.readTree(lines.get(1)).get("epoch").asInt()).isEqualTo(1);
    }
}
