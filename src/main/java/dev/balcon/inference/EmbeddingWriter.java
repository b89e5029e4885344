package dev.balcon.inference;

import java.io.BufferedOutputStream;
import java.io.BufferedWriter;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Streams embeddings to {@code BASE.npy} (float32 {@code [rows, dim]}, little-endian, C order, NumPy format 1.0)
 * and {@code BASE.csv} (header {@code row,id,split,label}, one line per vector, row counted from 0). Both are
 * written to temporary siblings that {@link #commit()} renames into place; closing without committing deletes
 * them, so a failed run leaves no half-written output.
 */
public final class EmbeddingWriter implements AutoCloseable {
    /** Header of the CSV file. */
    public static final String CSV_HEADER = "row,id,split,label";
    private static final byte[] NPY_MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};

    private final Path npy;
    private final Path csv;
    private final Path npyTemporary;
    private final Path csvTemporary;
    private final long rows;
    private final int dim;
    private final DataOutputStream vectors;
    private final BufferedWriter ids;
    private final ByteBuffer rowBytes;
    private long written;
    private boolean open = true;

    /**
     * @param base the output path without extension ({@code .npy} is stripped if given)
     * @param rows the number of vectors that will be appended, known in advance for the NumPy header
     * @param dim  the length of every vector
     */
    public EmbeddingWriter(Path base, long rows, int dim) {
        String name = base.getFileName().toString();
        String stem = name.endsWith(".npy") ? name.substring(0, name.length() - 4) : name;
        this.npy = base.resolveSibling(stem + ".npy");
        this.csv = base.resolveSibling(stem + ".csv");
        this.npyTemporary = npy.resolveSibling(npy.getFileName() + ".tmp");
        this.csvTemporary = csv.resolveSibling(csv.getFileName() + ".tmp");
        this.rows = rows;
        this.dim = dim;
        this.rowBytes = ByteBuffer.allocate(dim * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        try {
            Files.createDirectories(npy.toAbsolutePath().getParent());
            vectors = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(npyTemporary), 1 << 16));
            vectors.write(npyHeader(rows, dim));
            ids = Files.newBufferedWriter(csvTemporary, StandardCharsets.UTF_8);
            ids.write(CSV_HEADER);
            ids.newLine();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + npy + " or " + csv, e);
        }
    }

    /** The NumPy file written. */
    public Path npyFile() {
        return npy;
    }

    /** The CSV file written. */
    public Path csvFile() {
        return csv;
    }

    /**
     * The NumPy format 1.0 header of a float32 C-order {@code [rows, dim]} array: magic, version, header length,
     * then the dictionary padded with spaces and a newline so that the data starts at a multiple of 64 bytes.
     */
    static byte[] npyHeader(long rows, int dim) {
        String dictionary = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + rows + ", " + dim + "), }";
        int unpadded = NPY_MAGIC.length + 2 + dictionary.length() + 1;
        int padding = (64 - unpadded % 64) % 64;
        String header = dictionary + " ".repeat(padding) + "\n";
        ByteBuffer bytes = ByteBuffer.allocate(NPY_MAGIC.length + 2 + header.length()).order(ByteOrder.LITTLE_ENDIAN);
        bytes.put(NPY_MAGIC).putShort((short) header.length()).put(header.getBytes(StandardCharsets.US_ASCII));
        return bytes.array();
    }

    /**
     * Appends one vector and its CSV line.
     *
     * @param id    the image's identity (file path or index in its split)
     * @param split the split it came from
     * @param label its class name, or null for an unlabelled image
     */
    public void append(float[] vector, String id, String split, String label) {
        if (vector.length != dim) {
            throw new IllegalArgumentException("vector of length " + vector.length + ", expected " + dim);
        }
        if (written == rows) {
            throw new IllegalStateException("all " + rows + " rows are written");
        }
        try {
            rowBytes.clear();
            rowBytes.asFloatBuffer().put(vector);
            vectors.write(rowBytes.array());
            ids.write(written + "," + csvField(id) + "," + csvField(split) + "," + (label == null ? "" : csvField(label)));
            ids.newLine();
            written++;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + npy + " or " + csv, e);
        }
    }

    /** Finishes both files and renames them into place. */
    public void commit() {
        if (written != rows) {
            throw new IllegalStateException(written + " of " + rows + " rows written");
        }
        try {
            closeStreams();
            Files.move(npyTemporary, npy, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            Files.move(csvTemporary, csv, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + npy + " or " + csv, e);
        }
    }

    /** Deletes what was not committed. */
    @Override
    public void close() {
        try {
            closeStreams();
            Files.deleteIfExists(npyTemporary);
            Files.deleteIfExists(csvTemporary);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + npyTemporary + " or " + csvTemporary, e);
        }
    }

    private void closeStreams() throws IOException {
        if (open) {
            open = false;
            try (OutputStream closedVectors = vectors; BufferedWriter closedIds = ids) {
                closedVectors.flush();
                closedIds.flush();
            }
        }
    }

    /** RFC 4180: quoted if it holds a comma, quote or line break, quotes doubled. */
    private static String csvField(String value) {
        if (value.chars().anyMatch(c -> c == ',' || c == '"' || c == '\n' || c == '\r')) {
            return '"' + value.replace("\"", "\"\"") + '"';
        }
        return value;
    }
}
