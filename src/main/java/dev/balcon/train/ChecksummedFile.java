package dev.balcon.train;

import java.io.DataOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;
import java.util.zip.CheckedOutputStream;

/**
 * Binary files that end in the CRC32C of every byte before it (4 bytes, big-endian), so that a reader detects
 * any corruption before it parses a single field. Written atomically ({@link RunDirectory#writeAtomically}).
 */
public final class ChecksummedFile {
    /** Length of the trailing checksum in bytes. */
    public static final int CHECKSUM_BYTES = Integer.BYTES;

    private ChecksummedFile() {}

    /** Writes what {@code writer} writes, then its CRC32C, atomically to {@code target}. */
    public static void write(Path target, RunDirectory.StreamWriter writer) {
        RunDirectory.writeAtomically(target, out -> {
            CRC32C crc = new CRC32C();
            CheckedOutputStream checked = new CheckedOutputStream(out, crc);
            writer.write(checked);
            checked.flush();
            DataOutputStream trailer = new DataOutputStream(out);
            trailer.writeInt((int) crc.getValue());
            trailer.flush();
        });
    }

    /** Whether the last {@link #CHECKSUM_BYTES} bytes of {@code file} are the CRC32C of the bytes before them. */
    public static boolean intact(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long body = channel.size() - CHECKSUM_BYTES;
            if (body < 0) {
                return false;
            }
            CRC32C crc = new CRC32C();
            ByteBuffer buffer = ByteBuffer.allocate(1 << 16);
            for (long position = 0; position < body; ) {
                buffer.clear().limit((int) Math.min(buffer.capacity(), body - position));
                int read = channel.read(buffer, position);
                if (read < 0) {
                    return false;
                }
                buffer.flip();
                crc.update(buffer);
                position += read;
            }
            ByteBuffer stored = ByteBuffer.allocate(CHECKSUM_BYTES);
            while (stored.hasRemaining()) {
                if (channel.read(stored, body + stored.position()) < 0) {
                    return false;
                }
            }
            return stored.getInt(0) == (int) crc.getValue();
        }
    }

    /**
     * A stream that ends after {@code limit} bytes (an {@link java.io.EOFException} for readers that need more)
     * and knows how many remain, so that a reader can check a count read from a header against the bytes left
     * before it allocates anything sized by it.
     */
    public static final class LimitedInput extends FilterInputStream {
        private long remaining;

        public LimitedInput(InputStream in, long limit) {
            super(in);
            this.remaining = limit;
        }

        /** Bytes left before the limit. */
        public long remaining() {
            return remaining;
        }

        /** Moves the limit to {@code remaining} bytes from the current position. */
        public void limitRemaining(long remaining) {
            this.remaining = Math.min(this.remaining, remaining);
        }

        @Override
        public int read() throws IOException {
            if (remaining <= 0) {
                return -1;
            }
            int value = super.read();
            if (value >= 0) {
                remaining--;
            }
            return value;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            if (remaining <= 0) {
                return -1;
            }
            int read = super.read(buffer, offset, (int) Math.min(length, remaining));
            if (read > 0) {
                remaining -= read;
            }
            return read;
        }

        @Override
        public long skip(long n) throws IOException {
            long skipped = super.skip(Math.min(n, remaining));
            remaining -= skipped;
            return skipped;
        }

        @Override
        public int available() throws IOException {
            return (int) Math.min(super.available(), remaining);
        }

        @Override
        public boolean markSupported() {
            return false;
        }
    }
}
