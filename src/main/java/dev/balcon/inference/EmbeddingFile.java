package dev.balcon.inference;

import dev.balcon.BalconException;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads what {@code balcon embed} writes ({@link EmbeddingWriter}): {@code BASE.npy}, float32 {@code [N, d]}
 * little-endian C order in NumPy format 1.0 or 2.0, and {@code BASE.csv} with header {@code row,id,split,label} and
 * one line per vector. The vectors are not loaded: {@link #block} memory-maps a range of rows on demand, and the CSV
 * is read once to check it and again for just the rows asked for ({@link #records}), so memory does not grow with N.
 * Thread-safe once opened.
 */
public final class EmbeddingFile implements AutoCloseable {
    private static final byte[] NPY_MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    /** One line of the CSV: the vector's row, the image's id, its split and its class name (empty if unlabelled). */
    public record Record(long row, String id, String split, String label) {}

    private final Path npy;
    private final Path csv;
    private final FileChannel channel;
    private final long dataOffset;
    private final long rows;
    private final int dim;

    private EmbeddingFile(Path npy, Path csv, FileChannel channel, long dataOffset, long rows, int dim) {
        this.npy = npy;
        this.csv = csv;
        this.channel = channel;
        this.dataOffset = dataOffset;
        this.rows = rows;
        this.dim = dim;
    }

    /**
     * Opens {@code base.npy} and {@code base.csv} ({@code base} may end in {@code .npy} or {@code .csv}) and checks
     * that they belong together.
     *
     * @throws BalconException naming the file if either is missing or unreadable, the array is not float32 C-order
     *                         {@code [N, d]} or is shorter than its header says, the CSV header is not
     *                         {@code row,id,split,label}, its rows are not numbered 0, 1, ..., or the two files hold
     *                         different numbers of rows
     */
    public static EmbeddingFile open(Path base) {
        String name = base.getFileName().toString();
        String stem = name.endsWith(".npy") || name.endsWith(".csv") ? name.substring(0, name.length() - 4) : name;
        Path npy = base.resolveSibling(stem + ".npy");
        Path csv = base.resolveSibling(stem + ".csv");
        FileChannel channel;
        try {
            channel = FileChannel.open(npy, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new BalconException("embeddings file " + npy + " not found (expected the .npy written by 'balcon embed')");
        } catch (IOException e) {
            throw new BalconException("embeddings file " + npy + " cannot be read: " + e.getMessage(), e);
        }
        try {
            long[] header = readNpyHeader(npy, channel);
            EmbeddingFile file = new EmbeddingFile(npy, csv, channel, header[0], header[1], (int) header[2]);
            long csvRows = file.checkCsv();
            if (csvRows != file.rows) {
                throw new BalconException("embeddings and ids differ in length: " + npy + " holds " + file.rows
                        + " vectors, " + csv + " " + csvRows + " rows");
            }
            return file;
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    /** The {@code .npy} file. */
    public Path npyFile() {
        return npy;
    }

    /** The {@code .csv} file. */
    public Path csvFile() {
        return csv;
    }

    /** Number of vectors N. */
    public long rows() {
        return rows;
    }

    /** Length d of every vector. */
    public int dim() {
        return dim;
    }

    /**
     * Rows {@code [from, from + count)} as one memory-mapped buffer of {@code count * dim()} floats, row after row.
     *
     * @throws IllegalArgumentException if the range is not inside {@code [0, rows())} or exceeds 2^31 - 1 bytes
     */
    public FloatBuffer block(long from, int count) {
        if (from < 0 || count < 0 || from + count > rows) {
            throw new IllegalArgumentException("rows [" + from + ", " + (from + count) + ") outside [0, " + rows + ")");
        }
        long bytes = (long) count * dim * Float.BYTES;
        if (bytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(count + " rows of " + dim + " floats exceed one mapping (2 GiB)");
        }
        try {
            return channel.map(FileChannel.MapMode.READ_ONLY, dataOffset + from * dim * Float.BYTES, bytes)
                    .order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot map " + npy, e);
        }
    }

    /**
     * The vector of one row.
     *
     * @throws BalconException if {@code row} is outside {@code [0, rows())}
     */
    public float[] vector(long row) {
        if (row < 0 || row >= rows) {
            throw new BalconException("row " + row + " is outside " + npy + ", which holds rows 0 to " + (rows - 1));
        }
        // a positional read: cheaper than mapping for one row
        ByteBuffer bytes = ByteBuffer.allocate(dim * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        long position = dataOffset + row * dim * Float.BYTES;
        try {
            while (bytes.hasRemaining()) {
                if (channel.read(bytes, position + bytes.position()) < 0) {
                    throw new IOException("unexpected end of file");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read row " + row + " of " + npy, e);
        }
        float[] vector = new float[dim];
        bytes.flip().asFloatBuffer().get(vector);
        return vector;
    }

    /**
     * The CSV lines of the given rows, read in one pass over the file.
     *
     * @return a map from each requested row (inside {@code [0, rows())}) to its line
     */
    public Map<Long, Record> records(long... wanted) {
        long[] sorted = Arrays.stream(wanted).filter(r -> r >= 0 && r < rows).sorted().distinct().toArray();
        Map<Long, Record> found = new HashMap<>();
        if (sorted.length == 0) {
            return found;
        }
        try (BufferedReader reader = Files.newBufferedReader(csv, StandardCharsets.UTF_8)) {
            reader.readLine();
            int next = 0;
            for (long row = 0; row < rows && next < sorted.length; row++) {
                List<String> fields = readRecord(reader);
                if (row == sorted[next]) {
                    found.put(row, new Record(row, fields.get(1), fields.get(2), fields.get(3)));
                    next++;
                }
            }
        } catch (IOException e) {
            throw new BalconException("ids file " + csv + " cannot be read: " + e.getMessage(), e);
        }
        return found;
    }

    /** Receives the rows of the .npy in order: {@code values} is reused between calls. */
    public interface RowConsumer {
        void accept(long row, float[] values);
    }

    /** Streams every vector, in row order, through {@code consumer}, a mapped block of rows at a time. */
    public void forEachRow(RowConsumer consumer) {
        float[] values = new float[dim];
        int blockRows = Math.max(1, (1 << 24) / (dim * Float.BYTES)); // 16 MiB mappings
        for (long from = 0; from < rows; from += blockRows) {
            int count = (int) Math.min(blockRows, rows - from);
            FloatBuffer block = block(from, count);
            for (int i = 0; i < count; i++) {
                block.get(values);
                consumer.accept(from + i, values);
            }
        }
    }

    /** The label of every row, in row order ({@code ""} for an unlabelled image); one pass over the CSV. */
    public String[] labels() {
        return column(3);
    }

    /** The split of every row ({@code train}, {@code test}), in row order; one pass over the CSV. */
    public String[] splits() {
        return column(2);
    }

    private String[] column(int index) {
        String[] values = new String[Math.toIntExact(rows)];
        try (BufferedReader reader = Files.newBufferedReader(csv, StandardCharsets.UTF_8)) {
            reader.readLine();
            for (int row = 0; row < values.length; row++) {
                values[row] = readRecord(reader).get(index);
            }
        } catch (IOException e) {
            throw new BalconException("ids file " + csv + " cannot be read: " + e.getMessage(), e);
        }
        return values;
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close " + npy, e);
        }
    }

    /** {data offset, rows, dim} from a NumPy header, checked against the file's length. */
    private static long[] readNpyHeader(Path npy, FileChannel channel) {
        try {
            long length = channel.size();
            ByteBuffer prefix = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
            channel.read(prefix, 0);
            byte[] magic = Arrays.copyOf(prefix.array(), NPY_MAGIC.length);
            if (prefix.position() < 10 || !Arrays.equals(magic, NPY_MAGIC)) {
                throw new BalconException("embeddings file " + npy + " is not a NumPy .npy file (no \\x93NUMPY magic)");
            }
            int major = prefix.get(6);
            long headerLength;
            int headerStart;
            if (major == 1) {
                headerLength = prefix.getShort(8) & 0xFFFF;
                headerStart = 10;
            } else if (major == 2 || major == 3) {
                headerLength = prefix.getInt(8) & 0xFFFFFFFFL;
                headerStart = 12;
            } else {
                throw new BalconException("embeddings file " + npy + ": NumPy format version " + major
                        + " is unknown; expected 1, 2 or 3");
            }
            if (headerStart + headerLength > length || headerLength > 1 << 20) {
                throw new BalconException("embeddings file " + npy + " is truncated inside its NumPy header");
            }
            ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
            channel.read(headerBytes, headerStart);
            String header = new String(headerBytes.array(), StandardCharsets.ISO_8859_1);
            Matcher descr = DESCR.matcher(header);
            Matcher fortran = FORTRAN.matcher(header);
            Matcher shape = SHAPE.matcher(header);
            if (!descr.find() || !fortran.find() || !shape.find()) {
                throw new BalconException("embeddings file " + npy + " has a malformed NumPy header: " + header.strip());
            }
            if (!descr.group(1).equals("<f4")) {
                throw new BalconException("embeddings file " + npy + " holds dtype '" + descr.group(1)
                        + "', expected float32 ('<f4')");
            }
            if (fortran.group(1).equals("True")) {
                throw new BalconException("embeddings file " + npy + " is in Fortran order, expected C order");
            }
            String[] dims = Arrays.stream(shape.group(1).split(",")).map(String::strip).filter(s -> !s.isEmpty())
                    .toArray(String[]::new);
            long rows;
            long dim;
            try {
                if (dims.length != 2) {
                    throw new NumberFormatException();
                }
                rows = Long.parseLong(dims[0]);
                dim = Long.parseLong(dims[1]);
            } catch (NumberFormatException e) {
                throw new BalconException("embeddings file " + npy + " has shape (" + shape.group(1)
                        + "), expected a 2-d array [N, d]");
            }
            if (rows < 1 || dim < 1 || dim > Integer.MAX_VALUE / Float.BYTES) {
                throw new BalconException("embeddings file " + npy + " has shape (" + rows + ", " + dim
                        + "), expected N >= 1 vectors of d >= 1 floats");
            }
            long dataOffset = headerStart + headerLength;
            long expected = dataOffset + rows * dim * Float.BYTES;
            if (length != expected) {
                throw new BalconException("embeddings file " + npy + " is " + length + " bytes, its header ("
                        + rows + " x " + dim + " float32) needs " + expected);
            }
            return new long[] {dataOffset, rows, dim};
        } catch (IOException e) {
            throw new BalconException("embeddings file " + npy + " cannot be read: " + e.getMessage(), e);
        }
    }

    /** Checks the header and the row numbers, and counts the rows. */
    private long checkCsv() {
        try (BufferedReader reader = Files.newBufferedReader(csv, StandardCharsets.UTF_8)) {
            String header = reader.readLine();
            if (header == null || !header.equals(EmbeddingWriter.CSV_HEADER)) {
                throw new BalconException("ids file " + csv + " has header '" + (header == null ? "" : header)
                        + "', expected '" + EmbeddingWriter.CSV_HEADER + "'");
            }
            long count = 0;
            for (List<String> fields = readRecord(reader); fields != null; fields = readRecord(reader)) {
                if (fields.size() != 4 || !fields.get(0).equals(Long.toString(count))) {
                    throw new BalconException("ids file " + csv + " line " + (count + 2) + ": expected row " + count
                            + " as 'row,id,split,label', got " + fields.size() + " field(s) starting '"
                            + fields.get(0) + "'");
                }
                count++;
            }
            return count;
        } catch (NoSuchFileException e) {
            throw new BalconException("ids file " + csv + " not found (expected the .csv written by 'balcon embed' next to "
                    + npy.getFileName() + ")");
        } catch (IOException | UncheckedIOException e) {
            throw new BalconException("ids file " + csv + " cannot be read: " + e.getMessage(), e);
        }
    }

    /** One RFC 4180 record (quoted fields may hold commas, doubled quotes and line breaks), or null at the end. */
    static List<String> readRecord(BufferedReader reader) throws IOException {
        String line = reader.readLine();
        if (line == null) {
            return null;
        }
        List<String> fields = new ArrayList<>(4);
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        int i = 0;
        while (true) {
            if (i == line.length()) {
                if (!quoted) {
                    break;
                }
                String more = reader.readLine();
                if (more == null) {
                    break;
                }
                field.append('\n');
                line = more;
                i = 0;
                continue;
            }
            char c = line.charAt(i++);
            if (quoted) {
                if (c == '"' && i < line.length() && line.charAt(i) == '"') {
                    field.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    field.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                fields.add(field.toString());
                field.setLength(0);
            } else {
                field.append(c);
            }
        }
        fields.add(field.toString());
        return fields;
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // the open failed already; that is what gets reported
        }
    }
}
