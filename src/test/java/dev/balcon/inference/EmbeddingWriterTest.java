package dev.balcon.inference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EmbeddingWriterTest {
    @TempDir
    Path dir;

    @Test
    void theNpyFileHasAVersion1HeaderNumpyParsesAndLittleEndianFloat32Rows() throws IOException {
        try (EmbeddingWriter writer = new EmbeddingWriter(dir.resolve("vectors.npy"), 3, 2)) {
            writer.append(new float[] {1f, -2.5f}, "0", "train", "cat");
            writer.append(new float[] {0f, Float.MIN_VALUE}, "a,b.png", "train", "say \"hi\"");
            writer.append(new float[] {3e10f, 7f}, "2", "test", null);
            writer.commit();
        }
        byte[] bytes = Files.readAllBytes(dir.resolve("vectors.npy"));
        ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(java.util.Arrays.copyOf(bytes, 8)).containsExactly(0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0);
        int headerLength = Short.toUnsignedInt(buffer.getShort(8));
        String header = new String(bytes, 10, headerLength, StandardCharsets.US_ASCII);
        // numpy's format 1.0: a Python dict literal, padded with spaces, ending in a newline; data 64-byte aligned
        assertThat(header).matches("\\{'descr': '<f4', 'fortran_order': False, 'shape': \\(3, 2\\), } *\n");
        assertThat((10 + headerLength) % 64).isZero();
        assertThat(bytes).hasSize(10 + headerLength + 3 * 2 * 4);
        buffer.position(10 + headerLength);
        float[] values = new float[6];
        buffer.asFloatBuffer().get(values);
        assertThat(values).containsExactly(1f, -2.5f, 0f, Float.MIN_VALUE, 3e10f, 7f);
        assertThat(Files.readAllLines(dir.resolve("vectors.csv"))).containsExactly("row,id,split,label",
                "0,0,train,cat", "1,\"a,b.png\",train,\"say \"\"hi\"\"\"", "2,2,test,");
    }

    @Test
    void anUncommittedWriterLeavesNoFiles() throws IOException {
        try (EmbeddingWriter writer = new EmbeddingWriter(dir.resolve("vectors"), 2, 2)) {
            writer.append(new float[] {1f, 2f}, "0", "train", null);
            assertThatThrownBy(writer::commit).isInstanceOf(IllegalStateException.class)
                    .hasMessage("1 of 2 rows written");
        }
        try (Stream<Path> entries = Files.list(dir)) {
            assertThat(entries.toList()).isEmpty();
        }
    }

    @Test
    void theHeaderPadsEveryShapeTo64Bytes() {
        for (long rows : List.of(0L, 1L, 9L, 123_456_789L, 10_000_000_000L)) {
            byte[] header = EmbeddingWriter.npyHeader(rows, 512);
            assertThat(header.length % 64).isZero();
            assertThat(header[header.length - 1]).isEqualTo((byte) '\n');
            assertThat(new String(header, StandardCharsets.US_ASCII)).contains("'shape': (" + rows + ", 512)");
        }
    }
}
