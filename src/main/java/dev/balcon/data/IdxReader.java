package dev.balcon.data;

import dev.balcon.BalconException;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads an image set from a pair of IDX files (the MNIST / Fashion-MNIST format): an {@code idx3-ubyte}
 * image file (magic 2051, then count, rows, columns as big-endian ints, then the pixels) and an
 * {@code idx1-ubyte} label file (magic 2049, then count, then one byte per label). Each file may be
 * gzip-compressed; compression is detected from the gzip magic bytes {@code 1f 8b}, not the file name.
 */
public final class IdxReader {
    static final int IMAGES_MAGIC = 2051;
    static final int LABELS_MAGIC = 2049;
    private static final int GZIP_MAGIC_FIRST = 0x1f;
    private static final int GZIP_MAGIC_SECOND = 0x8b;
    private static final int BUFFER_BYTES = 1 << 16;

    private IdxReader() {
    }

    /**
     * Reads images and labels into a single-channel dataset.
     *
     * @param images     IDX3 image file, raw or gzip
     * @param labels     IDX1 label file, raw or gzip
     * @param name       name of the resulting dataset
     * @param classNames class names by id; every label must be below their count
     * @throws BalconException naming the file if it is missing, unreadable, has the wrong magic number,
     *                         bad dimensions, a count that disagrees with the other file, is truncated or
     *                         has trailing bytes, or holds a label outside the class range
     */
    public static ImageDataset read(Path images, Path labels, String name, List<String> classNames) {
        ImageFile imageFile = readImages(images);
        int[] labelValues = readLabels(labels, classNames.size());
        if (labelValues.length != imageFile.count) {
            throw new BalconException("IDX files disagree: " + images + " holds " + imageFile.count + " images but "
                    + labels + " holds " + labelValues.length + " labels; expected equal counts");
        }
        return new ImageDataset(name, imageFile.pixels, labelValues, 1, imageFile.rows, imageFile.columns,
                classNames);
    }

    private record ImageFile(byte[] pixels, int count, int rows, int columns) {
    }

    private static ImageFile readImages(Path file) {
        try (DataInputStream in = open(file)) {
            readMagic(in, file, IMAGES_MAGIC, "idx3 images");
            int count = readDimension(in, file, "image count", 0);
            int rows = readDimension(in, file, "rows", 1);
            int columns = readDimension(in, file, "columns", 1);
            long total = (long) count * rows * columns;
            if (total > Integer.MAX_VALUE - 8 || (long) rows * columns > Integer.MAX_VALUE - 8) {
                throw new BalconException("IDX file " + file + ": " + count + " images of " + rows + "x" + columns
                        + " exceed the largest supported array (" + (Integer.MAX_VALUE - 8) + " bytes)");
            }
            byte[] pixels = readBody(in, file, (int) total, count + " images of " + rows + "x" + columns);
            return new ImageFile(pixels, count, rows, columns);
        } catch (IOException e) {
            throw unreadable(file, e);
        }
    }

    private static int[] readLabels(Path file, int numClasses) {
        try (DataInputStream in = open(file)) {
            readMagic(in, file, LABELS_MAGIC, "idx1 labels");
            int count = readDimension(in, file, "label count", 0);
            byte[] raw = readBody(in, file, count, count + " labels");
            int[] labels = new int[count];
            for (int i = 0; i < count; i++) {
                int label = raw[i] & 0xFF;
                if (label >= numClasses) {
                    throw new BalconException("IDX file " + file + ": label " + i + " must be in [0, " + numClasses
                            + "), found " + label);
                }
                labels[i] = label;
            }
            return labels;
        } catch (IOException e) {
            throw unreadable(file, e);
        }
    }

    private static DataInputStream open(Path file) throws IOException {
        InputStream raw;
        try {
            raw = new BufferedInputStream(Files.newInputStream(file), BUFFER_BYTES);
        } catch (NoSuchFileException e) {
            throw new BalconException("IDX file not found: " + file);
        }
        raw.mark(2);
        int first = raw.read();
        int second = raw.read();
        raw.reset();
        boolean gzip = first == GZIP_MAGIC_FIRST && second == GZIP_MAGIC_SECOND;
        InputStream body = gzip ? new GZIPInputStream(raw, BUFFER_BYTES) : raw;
        return new DataInputStream(body);
    }

    private static void readMagic(DataInputStream in, Path file, int expected, String kind) throws IOException {
        int magic;
        try {
            magic = in.readInt();
        } catch (EOFException e) {
            throw new BalconException("IDX file " + file + " is truncated: expected a 4-byte magic number "
                    + expected + " (" + kind + "), found end of file");
        }
        if (magic != expected) {
            throw new BalconException("IDX file " + file + ": expected magic number " + expected + " (" + kind
                    + "), found " + magic);
        }
    }

    private static int readDimension(DataInputStream in, Path file, String what, int minimum) throws IOException {
        int value;
        try {
            value = in.readInt();
        } catch (EOFException e) {
            throw new BalconException("IDX file " + file + " is truncated: expected the " + what
                    + " in its header, found end of file");
        }
        if (value < minimum) {
            throw new BalconException("IDX file " + file + ": " + what + " must be >= " + minimum + ", found "
                    + value);
        }
        return value;
    }

    /**
     * Reads exactly {@code length} bytes and then the end of the file. Memory grows with the bytes actually
     * read, not with {@code length}: a header can claim any count.
     */
    private static byte[] readBody(DataInputStream in, Path file, int length, String what) throws IOException {
        byte[] body;
        try {
            body = in.readNBytes(length);
        } catch (EOFException e) {
            // a gzip stream cut short reports its end as an EOFException rather than a short read
            throw new BalconException("IDX file " + file + " is truncated: expected " + length + " bytes for "
                    + what + " after the header, the compressed stream ended early");
        }
        if (body.length < length) {
            throw new BalconException("IDX file " + file + " is truncated: expected " + length + " bytes for "
                    + what + " after the header, found " + body.length);
        }
        if (in.read() != -1) {
            throw new BalconException("IDX file " + file + " has trailing bytes: expected exactly " + length
                    + " bytes for " + what + " after the header");
        }
        return body;
    }

    private static BalconException unreadable(Path file, IOException e) {
        String kind = e instanceof ZipException ? "is not a valid gzip stream"
                : e instanceof EOFException ? "is truncated" : "could not be read";
        return new BalconException("IDX file " + file + " " + kind + ": " + e.getMessage(), e);
    }
}
