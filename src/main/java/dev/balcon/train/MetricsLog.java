package dev.balcon.train;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Appends one JSON object per line to metrics.jsonl, flushed at once so that a killed run keeps its history. Every
 * row has a "type" ("step", "epoch", "diverged", "extended") and the 1-based "epoch" and the global "step" it belongs
 * to.
 */
public final class MetricsLog implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MetricsLog.class);
    private static final ObjectMapper LINE_JSON = new ObjectMapper();
    private final BufferedWriter writer;

    public MetricsLog(Path file) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open " + file, e);
        }
    }

    /** Writes {"type": type, ...fields}. */
    public synchronized void write(String type, Map<String, ?> fields) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("type", type);
        row.putAll(fields);
        row.put("time", System.currentTimeMillis() / 1000.0);
        try {
            writer.write(LINE_JSON.writeValueAsString(row));
            writer.newLine();
            writer.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write metrics", e);
        }
    }

    /**
     * Cuts {@code file} back to the rows of the first {@code epochsDone} epochs (rows without an epoch stay), before a
     * resumed run logs again from its checkpoint: the rows a killed process wrote of the epoch in progress would
     * otherwise stand twice. A torn last line is dropped too. Rewritten atomically; nothing happens without a file.
     */
    public static void truncate(Path file, int epochsDone) {
        if (!Files.isRegularFile(file)) {
            return;
        }
        List<String> kept = new ArrayList<>();
        int dropped = 0;
        for (String line : lines(file)) {
            JsonNode row = parse(line);
            if (row != null && !(row.path("epoch").isNumber() && row.path("epoch").asInt() > epochsDone)) {
                kept.add(line);
            } else if (!line.isBlank()) {
                dropped++;
            }
        }
        if (dropped > 0) {
            if (epochsDone == 0) {
                LOG.info("{}: dropped {} rows of the first epoch, which no checkpoint holds", file, dropped);
            } else {
                LOG.info("{}: dropped {} rows logged after epoch {}, the last in the checkpoint", file, dropped,
                        epochsDone);
            }
            StringBuilder text = new StringBuilder();
            kept.forEach(line -> text.append(line).append('\n'));
            RunDirectory.writeAtomically(file, text.toString().getBytes(StandardCharsets.UTF_8));
        }
    }

    /**
     * The rows of a metrics.jsonl as the plots and reports read them: in file order, except that a row logged again
     * for the same type, epoch and step (a run resumed before this was cut back, see {@link #truncate}) replaces the
     * earlier one and takes its later place; lines that are not a JSON object (a torn last line) are skipped. Empty
     * if there is no file.
     */
    public static List<JsonNode> rows(Path file) {
        if (!Files.isRegularFile(file)) {
            return List.of();
        }
        Map<String, JsonNode> rows = new LinkedHashMap<>();
        int index = 0;
        for (String line : lines(file)) {
            JsonNode row = parse(line);
            index++;
            if (row == null) {
                continue;
            }
            String key = row.has("epoch") || row.has("step")
                    ? row.path("type").asText() + "|" + row.path("epoch").asText() + "|" + row.path("step").asText()
                    : "line " + index;
            rows.remove(key);
            rows.put(key, row);
        }
        return new ArrayList<>(rows.values());
    }

    private static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** The JSON object of a line, or null for a blank line or one that is not a whole JSON object. */
    private static JsonNode parse(String line) {
        if (line.isBlank()) {
            return null;
        }
        try {
            JsonNode row = LINE_JSON.readTree(line);
            return row != null && row.isObject() ? row : null;
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    @Override
    public synchronized void close() {
        try {
            writer.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
