package dev.balcon.spark;

import dev.balcon.BalconException;
import dev.balcon.inference.Encoder;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The files of an exported model directory ({@code balcon export}: model.json and model.safetensors), read on the
 * driver and shipped to the executors in a broadcast variable, so that executors need no copy of the directory and no
 * shared file system for it. Each executor JVM writes them once into its Spark work directory and opens one
 * {@link Encoder} from there, shared by all its tasks.
 *
 * @param source   the directory they were read from, for messages
 * @param files    file name to content
 * @param l2Normalize whether the encoder returns unit-length vectors
 * @param featureDim  length of the vectors
 */
record ModelFiles(String source, Map<String, byte[]> files, boolean l2Normalize, int featureDim) implements Serializable {
    private static final long serialVersionUID = 1L;
    /** One encoder per broadcast variable and executor JVM. */
    private static final Map<Long, Encoder> OPEN = new ConcurrentHashMap<>();

    /**
     * Reads every regular file of {@code directory} after checking, by opening it, that it is an export the core
     * reads (model.json's format, the weights' SHA-256).
     *
     * @throws BalconException if the directory is missing, not an export, or its files are damaged
     */
    static ModelFiles read(Path directory, boolean l2Normalize) {
        if (!Files.isDirectory(directory)) {
            throw new BalconException("--model " + directory + " is not a directory (expected the output of 'balcon export')");
        }
        int featureDim;
        try (Encoder check = Encoder.loadExport(directory, l2Normalize)) {
            featureDim = check.featureDim();
        }
        Map<String, byte[]> files = new LinkedHashMap<>();
        try (Stream<Path> children = Files.list(directory)) {
            for (Path file : children.filter(Files::isRegularFile).sorted().toList()) {
                files.put(file.getFileName().toString(), Files.readAllBytes(file));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the model directory " + directory, e);
        }
        return new ModelFiles(directory.toString(), files, l2Normalize, featureDim);
    }

    /**
     * The encoder of the model shipped in broadcast variable {@code id} on this JVM, opened on first use, with
     * libtorch's intra-op threads set to {@code torchThreads} (a process-wide setting).
     */
    Encoder encoder(long id, int torchThreads) {
        return OPEN.computeIfAbsent(id, key -> {
            try {
                Path root = Path.of(org.apache.spark.SparkFiles.getRootDirectory());
                Path directory = Files.createTempDirectory(root, "balcon-model-");
                for (Map.Entry<String, byte[]> file : files.entrySet()) {
                    Files.write(directory.resolve(file.getKey()), file.getValue());
                }
                TorchThreads.ensure(torchThreads);
                return Encoder.loadExport(directory, l2Normalize);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write the model of " + source + " on this executor", e);
            }
        });
    }
}
