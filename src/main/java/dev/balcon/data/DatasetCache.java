package dev.balcon.data;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.CRC32C;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * On-disk cache of a decoded and resized image folder, so that a second run skips decoding. One file per
 * key, named {@code imageset-<first 16 hex digits of the key>.bin}; the key is a SHA-256 of everything
 * the result depends on (see {@link #key}). The file is written to a temporary file in the same
 * directory and then atomically renamed, so readers never see a partial cache. A missing, stale or
 * damaged cache is never an error: the caller decodes again and rewrites it.
 *
 * <p>Format (big-endian, {@link DataOutputStream}): magic {@code "BALCONIS"}, int version, 32 key bytes,
 * UTF name, int channels, height, width, int class count + UTF names, int skipped count + (UTF path,
 * UTF reason) pairs, int count + UTF paths of the JPEGs without end marker, int image count + labels, then
 * the pixel bytes, and last the CRC-32C of all bytes before it as a long. Counts are checked against the
 * file's length before anything is allocated for them; a checksum mismatch makes the file unusable.
 */
final class DatasetCache {
    private static final Logger LOG = LoggerFactory.getLogger(DatasetCache.class);
    private static final byte[] MAGIC = "BALCONIS".getBytes(StandardCharsets.US_ASCII);
    private static final int VERSION = 2;
    private static final int KEY_BYTES = 32;
    private static final long MAX_ARRAY_LENGTH = Integer.MAX_VALUE - 8;

    private DatasetCache() {
    }

    /** What a cache file holds besides the key. */
    record Entry(ImageDataset dataset, List<ImageFolder.SkippedFile> skipped, List<Path> missingEndMarker) {
    }

    /**
     * The cache key: a digest of the format version, the root, the list file (if any), the output
     * channels and size, the pixel limit, the class names, and every listed file's relative path, label,
     * byte size and modification time, in order. Changing or touching any image therefore invalidates the
     * cache.
     */
    static byte[] key(Path root, Path listFileOrNull, int channels, int height, int width, long maxImagePixels,
                      List<String> classNames, List<ImageFolder.ImageFile> files) {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform provides SHA-256", e);
        }
        StringBuilder header = new StringBuilder()
                .append(VERSION).append('\n')
                .append(root.toAbsolutePath().normalize()).append('\n')
                .append(listFileOrNull == null ? "" : listFileOrNull.toAbsolutePath().normalize()).append('\n')
                .append(channels).append('x').append(height).append('x').append(width).append('\n')
                .append(maxImagePixels).append('\n')
                .append(String.join("\u0000", classNames)).append('\n');
        digest.update(header.toString().getBytes(StandardCharsets.UTF_8));
        for (ImageFolder.ImageFile file : files) {
            String line = file.relativePath().toString() + '\u0000' + file.label() + '\u0000' + file.sizeBytes()
                    + '\u0000'
                    + file.modifiedMillis() + '\n';
            digest.update(line.getBytes(StandardCharsets.UTF_8));
        }
        return digest.digest();
    }

    static Path fileFor(Path cacheDir, byte[] key) {
        return cacheDir.resolve("imageset-" + HexFormat.of().formatHex(key, 0, 8) + ".bin");
    }

    /** The cached entry for {@code key}, or null if there is none or it cannot be used (logged). */
    static Entry read(Path cacheFile, byte[] key) {
        if (!Files.isRegularFile(cacheFile)) {
            return null;
        }
        try (CountingInputStream counting = new CountingInputStream(new BufferedInputStream(
                Files.newInputStream(cacheFile), 1 << 16));
             CheckedInputStream checked = new CheckedInputStream(counting, new CRC32C());
             DataInputStream in = new DataInputStream(checked)) {
            long fileLength = Files.size(cacheFile);
            byte[] magic = in.readNBytes(MAGIC.length);
            if (!Arrays.equals(magic, MAGIC) || in.readInt() != VERSION) {
                LOG.warn("ignoring cache {}: not a balcon image cache of version {}", cacheFile, VERSION);
                return null;
            }
            if (!Arrays.equals(in.readNBytes(KEY_BYTES), key)) {
                LOG.info("cache {} belongs to other inputs; rebuilding it", cacheFile);
                return null;
            }
            String name = in.readUTF();
            int channels = in.readInt();
            int height = in.readInt();
            int width = in.readInt();
            List<String> classNames = new ArrayList<>();
            for (int i = in.readInt(); i > 0; i--) {
                classNames.add(in.readUTF());
            }
            List<ImageFolder.SkippedFile> skipped = new ArrayList<>();
            for (int i = in.readInt(); i > 0; i--) {
                skipped.add(new ImageFolder.SkippedFile(Path.of(in.readUTF()), in.readUTF()));
            }
            List<Path> missingEndMarker = new ArrayList<>();
            for (int i = in.readInt(); i > 0; i--) {
                missingEndMarker.add(Path.of(in.readUTF()));
            }
            int count = in.readInt();
            long remaining = fileLength - counting.count() - Long.BYTES;
            // each image takes 4 label bytes and its pixels: a damaged count must not size an allocation
            if (count < 0 || channels < 1 || height < 1 || width < 1 || remaining - 4L * count > MAX_ARRAY_LENGTH
                    || (4L + (long) channels * height * width) * count != remaining) {
                throw new IOException(count + " images of " + channels + "x" + height + "x" + width
                        + " do not fit the " + remaining + " bytes left");
            }
            int[] labels = new int[count];
            for (int i = 0; i < labels.length; i++) {
                labels[i] = in.readInt();
            }
            byte[] pixels = new byte[(int) (remaining - 4L * count)];
            in.readFully(pixels);
            long computed = checked.getChecksum().getValue();
            if (in.readLong() != computed) {
                throw new IOException("checksum mismatch: the file was damaged");
            }
            if (in.read() != -1) {
                throw new IOException("trailing bytes after the checksum");
            }
            return new Entry(new ImageDataset(name, pixels, labels, channels, height, width, classNames), skipped,
                    missingEndMarker);
        } catch (IOException | RuntimeException e) {
            // a damaged cache is only a lost speed-up: decode again
            LOG.warn("ignoring unreadable cache {}: {}", cacheFile, e.toString());
            return null;
        }
    }

    /** Writes the entry atomically; a failure is logged, not thrown, since the cache is optional. */
    static void write(Path cacheFile, byte[] key, Entry entry) {
        Path temporary = null;
        try {
            Files.createDirectories(cacheFile.getParent());
            temporary = Files.createTempFile(cacheFile.getParent(), cacheFile.getFileName().toString(), ".tmp");
            ImageDataset dataset = entry.dataset();
            CheckedOutputStream checked = new CheckedOutputStream(new BufferedOutputStream(
                    Files.newOutputStream(temporary), 1 << 16), new CRC32C());
            try (DataOutputStream out = new DataOutputStream(checked)) {
                out.write(MAGIC);
                out.writeInt(VERSION);
                out.write(key);
                out.writeUTF(dataset.name());
                out.writeInt(dataset.channels());
                out.writeInt(dataset.height());
                out.writeInt(dataset.width());
                out.writeInt(dataset.numClasses());
                for (String className : dataset.classNames()) {
                    out.writeUTF(className);
                }
                out.writeInt(entry.skipped().size());
                for (ImageFolder.SkippedFile skipped : entry.skipped()) {
                    out.writeUTF(skipped.file().toString());
                    out.writeUTF(skipped.reason());
                }
                out.writeInt(entry.missingEndMarker().size());
                for (Path file : entry.missingEndMarker()) {
                    out.writeUTF(file.toString());
                }
                out.writeInt(dataset.size());
                for (int i = 0; i < dataset.size(); i++) {
                    out.writeInt(dataset.label(i));
                }
                out.write(dataset.pixels());
                out.writeLong(checked.getChecksum().getValue());
            }
            Files.move(temporary, cacheFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            LOG.warn("could not write image cache {}: {}", cacheFile, e.toString());
            if (temporary != null) {
                try {
                    Files.deleteIfExists(temporary);
                } catch (IOException ignored) {
                    // nothing more to do: the stray temporary file is harmless
                }
            }
        }
    }

    /** Bytes read so far, to check a count in the file against what is left of it. */
    private static final class CountingInputStream extends FilterInputStream {
        private long count;

        CountingInputStream(InputStream in) {
            super(in);
        }

        long count() {
            return count;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int n = super.read(buffer, offset, length);
            if (n > 0) {
                count += n;
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long skipped = super.skip(n);
            count += skipped;
            return skipped;
        }
    }
}
