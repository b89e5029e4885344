package dev.balcon.train;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class MetricsLogTest {
    /** A run directory resumed by an older balcon: epoch 2's first step rows logged twice, and a torn line. */
    private static final String RESUMED_BEFORE_THE_CUT = """
            {"type":"step","epoch":1,"step":10,"loss":5.0}
            {"type":"epoch","epoch":1,"step":12,"loss":5.1}
            {"type":"step","epoch":2,"step":20,"loss":4.0}
            {"type":"step","epoch":2,"st
            {"type":"step","epoch":2,"step":20,"loss":4.5}
            {"type":"step","epoch":2,"step":24,"loss":4.4}
            {"type":"epoch","epoch":2,"step":24,"loss":4.6}
            """;

    @Test
    void readersSeeEachStepOnceTheLastLoggedAndSkipATornLine(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("metrics.jsonl");
        Files.writeString(file, RESUMED_BEFORE_THE_CUT);

        List<JsonNode> rows = MetricsLog.rows(file);

        assertThat(rows).extracting(row -> row.get("type").asText() + " " + row.get("step").asInt() + " "
                + row.get("loss").asDouble())
                .containsExactly("step 10 5.0", "epoch 12 5.1", "step 20 4.5", "step 24 4.4", "epoch 24 4.6");
    }

    @Test
    void truncateKeepsTheCheckpointsEpochsAndDropsTheRest(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("metrics.jsonl");
        Files.writeString(file, RESUMED_BEFORE_THE_CUT);

        MetricsLog.truncate(file, 1);

        assertThat(Files.readAllLines(file)).containsExactly("{\"type\":\"step\",\"epoch\":1,\"step\":10,\"loss\":5.0}",
                "{\"type\":\"epoch\",\"epoch\":1,\"step\":12,\"loss\":5.1}");
        try (MetricsLog log = new MetricsLog(file)) {
            log.write("step", java.util.Map.of("epoch", 2, "step", 20));
        }
        assertThat(MetricsLog.rows(file)).hasSize(3);
    }
}
