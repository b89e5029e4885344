package dev.balcon.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.balcon.BalconException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The folder of one run: config.json (what was asked), metrics.jsonl (what happened, a JSON object a
 * line), checkpoint.bin (latest state, replaced atomically each epoch) and results.json (evaluations,
 * merged key by key). Every file here is written through a temporary file and an atomic rename, so a
 * killed process leaves either the old or the new version, never half of one.
 */
public final class RunDirectory {
    public static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Path root;

    public RunDirectory(Path root) {
        this.root = root;
    }

    public Path root() {
        return root;
    }

    public Path config() {
        return root.resolve("config.json");
    }

    public Path metrics() {
        return root.resolve("metrics.jsonl");
    }

    public Path checkpoint() {
        return root.resolve("checkpoint.bin");
    }

    public Path results() {
        return root.resolve("results.json");
    }

    public void create() {
        try {
            Files.createDirectories(root);
        } catch (IOException e) {
            throw new BalconException("cannot create run directory " + root + ": " + e.getMessage(), e);
        }
    }

    public PretrainConfig readConfig() {
        if (!Files.isRegularFile(config())) {
            throw new BalconException("no run found in " + root + ": " + config().getFileName()
                    + " is missing (expected a directory written by 'balcon pretrain')");
        }
        try {
            return PretrainConfig.fromJson(JSON.readTree(config().toFile()));
        } catch (BalconException e) {
            throw new BalconException("cannot read " + config() + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new BalconException("cannot read " + config() + ": " + firstLine(e.getMessage()), e);
        }
    }

    public void writeConfig(PretrainConfig config) {
        writeAtomically(config(), toJson(config));
    }

    /** Reads results.json, or an empty object if there is none yet. */
    public ObjectNode readResults() {
        if (!Files.isRegularFile(results())) {
            return JSON.createObjectNode();
        }
        try {
            return (ObjectNode) JSON.readTree(results().toFile());
        } catch (IOException | ClassCastException e) {
            throw new BalconException("cannot read " + results() + ": expected a JSON object", e);
        }
    }

    /** Sets one top-level key of results.json, keeping the others. */
    public synchronized void putResult(String key, Object value) {
        ObjectNode results = readResults();
        results.set(key, JSON.valueToTree(value));
        writeAtomically(results(), toJson(results));
    }

    public static byte[] toJson(Object value) {
        try {
            return JSON.writeValueAsBytes(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes bytes to a temporary sibling, forces them to disk, then renames over the target. */
    public static void writeAtomically(Path target, byte[] bytes) {
        writeAtomically(target, out -> out.write(bytes));
    }

    public interface StreamWriter {
        void write(java.io.OutputStream out) throws IOException;
    }

    public static void writeAtomically(Path target, StreamWriter writer) {
        Path temporary = target.resolveSibling(target.getFileName() + ".tmp");
        try {
            Files.createDirectories(target.toAbsolutePath().getParent());
            try (var channel = java.nio.channels.FileChannel.open(temporary,
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE,
                    java.nio.file.StandardOpenOption.TRUNCATE_EXISTING);
                 var out = new java.io.BufferedOutputStream(java.nio.channels.Channels.newOutputStream(channel), 1 << 16)) {
                writer.write(out);
                out.flush();
                channel.force(true);
            }
            Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target, e);
        }
    }

    private static String firstLine(String message) {
        return message == null ? "" : message.lines().findFirst().orElse("");
    }
}
