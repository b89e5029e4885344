package dev.balcon.train;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/** Appends one JSON object per line to metrics.jsonl, flushed at once so that a killed run keeps its history. */
public final class MetricsLog implements AutoCloseable {
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

    @Override
    public synchronized void close() {
        try {
            writer.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
