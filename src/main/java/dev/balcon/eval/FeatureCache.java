package dev.balcon.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.balcon.train.RunDirectory;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Feature matrices kept next to the file they were computed from (a run's checkpoint), as
 * {@code features-<split>.bin}: reused while that file is unchanged, recomputed once it is replaced. A cache
 * entry records the source file's size, modification time and file key (inode), the dataset's name and
 * size, and the float32 matrix; any mismatch, or an unreadable entry, counts as a miss.
 */
public final class FeatureCache {
    private static final byte[] MAGIC = "BALCONFT".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final int VERSION = 1;

    private final Path directory;
    private final Path source;

    /**
     * @param directory where the cache files live
     * @param source    the file the features derive from; replacing it invalidates the cache
     */
    public FeatureCache(Path directory, Path source) {
        this.directory = directory;
        this.source = source;
    }

    /** The cache file of one split. */
    public Path file(String split) {
        return directory.resolve("features-" + split + ".bin");
    }

    /**
     * The cached features of {@code split} if they were computed from the current source file for a dataset
     * of this name and size; otherwise {@code compute}'s result, stored before it is returned.
     *
     * @param compute yields float32 [datasetSize, D] features attached to {@code manager}
     */
    public NDArray getOrCompute(String split, String datasetName, int datasetSize, NDManager manager,
                                Supplier<NDArray> compute) {
        // Read before computing: if the source is replaced meanwhile, the entry is stale and will be redone.
        Key key = new Key(sourceStamp(), datasetName, datasetSize);
        NDArray cached = read(file(split), key, manager);
        if (cached != null) {
            return cached;
        }
        NDArray features = compute.get();
        long[] shape = features.getShape().getShape();
        if (shape.length != 2 || shape[0] != datasetSize) {
            throw new IllegalStateException("expected [" + datasetSize + ", D] features, got " + features.getShape());
        }
        if (key.sourceStamp() != null) {
            write(file(split), key, features);
        }
        return features;
    }

    private record Key(String sourceStamp, String datasetName, int datasetSize) {}

    /** Size, modification time and file key of the source, or null if there is none (nothing to cache against). */
    private String sourceStamp() {
        try {
            BasicFileAttributes attributes = Files.readAttributes(source, BasicFileAttributes.class);
            return attributes.size() + "/" + attributes.lastModifiedTime().to(TimeUnit.NANOSECONDS) + "/"
                    + Objects.toString(attributes.fileKey(), "");
        } catch (IOException e) {
            return null;
        }
    }

    private static NDArray read(Path file, Key key, NDManager manager) {
        if (key.sourceStamp() == null || !Files.isRegularFile(file)) {
            return null;
        }
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
            byte[] magic = in.readNBytes(MAGIC.length);
            if (!java.util.Arrays.equals(magic, MAGIC) || in.readInt() != VERSION
                    || !new Key(in.readUTF(), in.readUTF(), in.readInt()).equals(key)) {
                return null;
            }
            int columns = in.readInt();
            byte[] data = new byte[Math.multiplyExact(Math.multiplyExact(key.datasetSize(), columns), Float.BYTES)];
            in.readFully(data);
            return manager.create(ByteBuffer.wrap(data), new Shape(key.datasetSize(), columns), DataType.FLOAT32);
        } catch (IOException | ArithmeticException e) {
            return null; // truncated or foreign file: recompute and overwrite it
        }
    }

    private static void write(Path file, Key key, NDArray features) {
        NDArray asFloat = features.toType(DataType.FLOAT32, false);
        try {
            // Raw float32 bytes in native order: little-endian on every platform the PyTorch engine runs on.
            ByteBuffer data = asFloat.toByteBuffer();
            RunDirectory.writeAtomically(file, stream -> {
                DataOutputStream out = new DataOutputStream(stream);
                out.write(MAGIC);
                out.writeInt(VERSION);
                out.writeUTF(key.sourceStamp());
                out.writeUTF(key.datasetName());
                out.writeInt(key.datasetSize());
                out.writeInt((int) features.getShape().get(1));
                byte[] chunk = new byte[1 << 16];
                while (data.hasRemaining()) {
                    int length = Math.min(chunk.length, data.remaining());
                    data.get(chunk, 0, length);
                    out.write(chunk, 0, length);
                }
                out.flush();
            });
        } finally {
            if (asFloat != features) {
                asFloat.close();
            }
        }
    }
}
