package dev.balcon.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.balcon.BalconException;
import dev.balcon.model.Precision;
import dev.balcon.train.ChecksummedFile;

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
 * size, the {@link Precision} the features were computed in, and the float32 matrix, and ends in a CRC32C
 * ({@link ChecksummedFile}). An entry of another source, dataset or precision, or written by an older balcon
 * (version 1, without checksum), is a miss: recomputed and replaced (one entry per split: asking for the other
 * precision replaces it). An entry of version 2, written before entries recorded their precision, holds fp32
 * features. A damaged entry (checksum, length) is an error naming the file, and so are NaN or infinite features,
 * which are never stored.
 */
public final class FeatureCache {
    private static final byte[] MAGIC = "BALCONFT".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final int VERSION = 3;
    /** The version before the precision was recorded: its entries are fp32 features. */
    private static final int VERSION_FP32_ONLY = 2;

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

    /** {@link #getOrCompute(String, String, int, Precision, NDManager, Supplier)} of features computed in fp32. */
    public NDArray getOrCompute(String split, String datasetName, int datasetSize, NDManager manager,
                                Supplier<NDArray> compute) {
        return getOrCompute(split, datasetName, datasetSize, Precision.FP32, manager, compute);
    }

    /**
     * The cached features of {@code split} if they were computed in {@code precision} from the current source
     * file for a dataset of this name and size; otherwise {@code compute}'s result, stored before it is returned.
     *
     * @param precision the number format {@code compute} computes in; an entry of another precision is a miss
     * @param compute   yields float32 [datasetSize, D] features attached to {@code manager}
     * @return float32 [datasetSize, D] features attached to {@code manager}
     * @throws BalconException if the cache file is damaged, or the features (cached or computed) hold a NaN or
     *     infinite value: a diverged model cannot be scored
     * @throws IllegalStateException if {@code compute} yields another shape than [datasetSize, D]
     */
    public NDArray getOrCompute(String split, String datasetName, int datasetSize, Precision precision,
                                NDManager manager, Supplier<NDArray> compute) {
        // Read before computing: if the source is replaced meanwhile, the entry is stale and will be redone.
        Key key = new Key(sourceStamp(), datasetName, datasetSize, java.util.Objects.requireNonNull(precision,
                "precision"));
        NDArray cached = read(file(split), key, manager);
        if (cached != null) {
            // named by the cache file, which is what holds the bad values (a diverged model's, or a damaged entry's)
            NonFinite.requireFiniteRows(cached, "the " + split + " features of " + source + " cached in " + file(split));
            return cached;
        }
        NDArray features;
        try {
            features = compute.get();
        } catch (NonFinite.Found found) {
            throw found.naming("the " + split + " features of " + source);
        }
        long[] shape = features.getShape().getShape();
        if (shape.length != 2 || shape[0] != datasetSize) {
            throw new IllegalStateException("expected [" + datasetSize + ", D] features, got " + features.getShape());
        }
        requireFinite(features, split);
        if (key.sourceStamp() != null) {
            write(file(split), key, features);
        }
        return features;
    }

    private void requireFinite(NDArray features, String split) {
        NonFinite.requireFiniteRows(features, "the " + split + " features of " + source);
    }

    private record Key(String sourceStamp, String datasetName, int datasetSize, Precision precision) {}

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

    /**
     * The entry's features, or null for a miss (no entry, an older version, another source, dataset or precision).
     */
    private static NDArray read(Path file, Key key, NDManager manager) {
        if (key.sourceStamp() == null || !Files.isRegularFile(file)) {
            return null;
        }
        try (ChecksummedFile.LimitedInput limited = new ChecksummedFile.LimitedInput(
                new BufferedInputStream(Files.newInputStream(file), 1 << 16), Files.size(file))) {
            DataInputStream in = new DataInputStream(limited);
            byte[] magic = in.readNBytes(MAGIC.length);
            if (!java.util.Arrays.equals(magic, MAGIC)) {
                throw damaged(file, "it is not a balcon feature cache (wrong magic bytes)");
            }
            int version = in.readInt();
            if (version != VERSION && version != VERSION_FP32_ONLY) {
                return null;
            }
            if (!ChecksummedFile.intact(file)) {
                throw damaged(file, "its checksum does not match its contents");
            }
            limited.limitRemaining(limited.remaining() - ChecksummedFile.CHECKSUM_BYTES);
            String sourceStamp = in.readUTF();
            String datasetName = in.readUTF();
            int datasetSize = in.readInt();
            String precision = version == VERSION_FP32_ONLY ? Precision.FP32.id() : in.readUTF();
            // the precision compared by name: a name this balcon does not know is a miss, not an error
            if (!sourceStamp.equals(key.sourceStamp()) || !datasetName.equals(key.datasetName())
                    || datasetSize != key.datasetSize() || !precision.equals(key.precision().id())) {
                return null;
            }
            int columns = in.readInt();
            if (columns < 1 || limited.remaining() != (long) key.datasetSize() * columns * Float.BYTES) {
                throw damaged(file, "its header (" + key.datasetSize() + " x " + columns + " features) does not"
                        + " match its length");
            }
            byte[] data = new byte[Math.toIntExact(limited.remaining())];
            in.readFully(data);
            return manager.create(ByteBuffer.wrap(data), new Shape(key.datasetSize(), columns), DataType.FLOAT32);
        } catch (java.io.EOFException e) {
            throw damaged(file, "it is truncated");
        } catch (IOException e) {
            throw damaged(file, "it cannot be read: " + e.getMessage());
        } catch (ArithmeticException e) {
            throw damaged(file, "its " + key.datasetSize() + " rows do not fit in one array");
        }
    }

    private static BalconException damaged(Path file, String why) {
        return new BalconException("feature cache " + file + " is damaged: " + why + "; delete it to recompute the"
                + " features");
    }

    private static void write(Path file, Key key, NDArray features) {
        NDArray asFloat = features.toType(DataType.FLOAT32, false);
        try {
            // Raw float32 bytes in native order: little-endian on every platform the PyTorch engine runs on.
            ByteBuffer data = asFloat.toByteBuffer();
            ChecksummedFile.write(file, stream -> {
                DataOutputStream out = new DataOutputStream(stream);
                out.write(MAGIC);
                out.writeInt(VERSION);
                out.writeUTF(key.sourceStamp());
                out.writeUTF(key.datasetName());
                out.writeInt(key.datasetSize());
                out.writeUTF(key.precision().id());
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
