package dev.balcon.inference;

import dev.balcon.BalconException;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads what {@link EmbeddingWriter} writes: {@code BASE.npy} (float32 {@code [rows, dim]}, little-endian, C order)
 * row by row, and the label column of {@code BASE.csv}. Minimal and package-private: what {@link EmbeddingMap}
 * needs, to be merged with a general reader of embed's files.
 */
final class EmbeddingFiles {
    private static final byte[] NPY_MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    final Path npy;
    final Path csv;
    final long rows;
    final int dim;
    private final long dataOffset;

    private EmbeddingFiles(Path npy, Path csv, long rows, int dim, long dataOffset) {
        this.npy = npy;
        this.csv = csv;
        this.rows = rows;
        this.dim = dim;
        this.dataOffset = dataOffset;
    }

    /**
     * Opens {@code base.npy} and {@code base.csv} ({@code base} may end in {@code .npy}) and checks the NumPy header
     * and the file's length.
     *
     * @throws BalconException naming the file if one is missing or the array is not float32 {@code [rows, dim]} in C order
     */
    static EmbeddingFiles open(Path base) {
        String name = base.getFileName().toString();
        String stem = name.endsWith(".npy") ? name.substring(0, name.length() - 4) : name;
        Path npy = base.resolveSibling(stem + ".npy");
        Path csv = base.resolveSibling(stem + ".csv");
        if (!Files.isRegularFile(npy)) {
            throw new BalconException(npy + " does not exist: expected the FILE.npy that 'balcon embed --out FILE' writes");
        }
        if (!Files.isRegularFile(csv)) {
            throw new BalconException(csv + " does not exist: expected the row,id,split,label file that 'balcon embed' "
                    + "writes next to " + npy.getFileName());
        }
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(npy)))) {
            byte[] magic = new byte[NPY_MAGIC.length];
            in.readFully(magic);
            if (!java.util.Arrays.equals(magic, NPY_MAGIC)) {
                throw new BalconException(npy + " is not a NumPy .npy file (no \\x93NUMPY magic)");
            }
            int major = in.readUnsignedByte();
            in.readUnsignedByte();
            long headerLength;
            if (major == 1) {
                headerLength = in.readUnsignedByte() | (in.readUnsignedByte() << 8);
            } else if (major == 2 || major == 3) {
                headerLength = Integer.toUnsignedLong(Integer.reverseBytes(in.readInt()));
            } else {
                throw new BalconException(npy + ": NumPy format version " + major + " is unknown; expected 1, 2 or 3");
            }
            if (headerLength > 1 << 20) {
                throw new BalconException(npy + ": NumPy header of " + headerLength + " bytes is not plausible");
            }
            byte[] headerBytes = new byte[(int) headerLength];
            in.readFully(headerBytes);
            String header = new String(headerBytes, StandardCharsets.ISO_8859_1);
            long offset = NPY_MAGIC.length + 2 + (major == 1 ? 2 : 4) + headerLength;
            Matcher descr = DESCR.matcher(header);
            Matcher fortran = FORTRAN.matcher(header);
            Matcher shape = SHAPE.matcher(header);
            if (!descr.find() || !fortran.find() || !shape.find()) {
                throw new BalconException(npy + ": NumPy header '" + header.strip() + "' lacks descr, fortran_order or shape");
            }
            if (!descr.group(1).equals("<f4")) {
                throw new BalconException(npy + " holds dtype '" + descr.group(1) + "', expected float32 ('<f4')");
            }
            if (fortran.group(1).equals("True")) {
                throw new BalconException(npy + " is in Fortran order, expected C order");
            }
            String[] sizes = shape.group(1).split(",");
            List<Long> dims = new ArrayList<>();
            for (String size : sizes) {
                if (!size.isBlank()) {
                    dims.add(Long.parseLong(size.strip()));
                }
            }
            if (dims.size() != 2 || dims.get(1) < 1 || dims.get(1) > Integer.MAX_VALUE / Float.BYTES) {
                throw new BalconException(npy + " has shape (" + shape.group(1) + "), expected a 2-D [rows, dim] array");
            }
            long rows = dims.get(0);
            int dim = (int) (long) dims.get(1);
            long expected = offset + rows * dim * Float.BYTES;
            long actual = Files.size(npy);
            if (actual != expected) {
                throw new BalconException(npy + " is " + actual + " bytes, its header (" + rows + " x " + dim
                        + " float32) says " + expected + ": truncated or damaged");
            }
            return new EmbeddingFiles(npy, csv, rows, dim, offset);
        } catch (EOFException e) {
            throw new BalconException(npy + " ends inside its NumPy header: not a whole .npy file");
        } catch (NumberFormatException e) {
            throw new BalconException(npy + ": the shape in its NumPy header is not a list of integers");
        } catch (NoSuchFileException e) {
            throw new BalconException(npy + " does not exist");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + npy, e);
        }
    }

    /** Receives the rows of the .npy in order. */
    interface RowConsumer {
        void accept(long row, float[] values);
    }

    /** Streams every row, in order, through {@code consumer}; the array passed is reused between calls. */
    void forEachRow(RowConsumer consumer) {
        float[] values = new float[dim];
        ByteBuffer bytes = ByteBuffer.allocate(dim * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        try (InputStream in = new BufferedInputStream(Files.newInputStream(npy), 1 << 16)) {
            in.skipNBytes(dataOffset);
            for (long row = 0; row < rows; row++) {
                bytes.clear();
                in.readNBytes(bytes.array(), 0, bytes.capacity());
                bytes.asFloatBuffer().get(values);
                consumer.accept(row, values);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + npy, e);
        }
    }

    /**
     * The label of every row, in row order ({@code ""} for an unlabelled image).
     *
     * @throws BalconException if the header is not {@code row,id,split,label}, a row number is out of sequence, or the
     *                         file does not hold exactly one line per row of the .npy
     */
    String[] labels() {
        String[] labels = new String[Math.toIntExact(rows)];
        try (BufferedReader reader = Files.newBufferedReader(csv, StandardCharsets.UTF_8)) {
            List<String> header = record(reader);
            if (header == null || !String.join(",", header).equals(EmbeddingWriter.CSV_HEADER)) {
                throw new BalconException(csv + " starts with '" + (header == null ? "" : String.join(",", header))
                        + "', expected the header '" + EmbeddingWriter.CSV_HEADER + "'");
            }
            long line = 0;
            for (List<String> fields = record(reader); fields != null; fields = record(reader), line++) {
                if (line >= rows) {
                    throw new BalconException(csv + " has more lines than the " + rows + " rows of " + npy.getFileName()
                            + ": the two files do not belong together");
                }
                if (fields.size() != 4 || !fields.get(0).equals(Long.toString(line))) {
                    throw new BalconException(csv + ": line " + (line + 2) + " should be row " + line
                            + " with 4 fields (row,id,split,label), got '" + String.join(",", fields) + "'");
                }
                labels[(int) line] = fields.get(3);
            }
            if (line != rows) {
                throw new BalconException(csv + " has " + line + " rows, " + npy.getFileName() + " has " + rows
                        + ": the two files do not belong together");
            }
            return labels;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + csv, e);
        }
    }

    /** One RFC 4180 record (quoted fields may hold commas, doubled quotes and line breaks); null at the end. */
    private static List<String> record(BufferedReader reader) throws IOException {
        int c = reader.read();
        if (c < 0) {
            return null;
        }
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        while (true) {
            if (quoted) {
                if (c < 0) {
                    throw new BalconException("a quoted CSV field is not closed before the end of the file");
                }
                if (c == '"') {
                    reader.mark(1);
                    int next = reader.read();
                    if (next == '"') {
                        field.append('"');
                    } else {
                        quoted = false;
                        reader.reset();
                    }
                } else {
                    field.append((char) c);
                }
            } else if (c == '"' && field.isEmpty()) {
                quoted = true;
            } else if (c == ',') {
                fields.add(field.toString());
                field.setLength(0);
            } else if (c == '\n' || c < 0) {
                break;
            } else if (c != '\r') {
                field.append((char) c);
            }
            c = reader.read();
        }
        fields.add(field.toString());
        return fields;
    }
}
