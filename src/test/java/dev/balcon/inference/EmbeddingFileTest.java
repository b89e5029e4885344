package dev.balcon.inference;

import dev.balcon.BalconException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EmbeddingFileTest {
    @TempDir
    Path dir;

    private Path writeThree() {
        Path base = dir.resolve("e");
        try (EmbeddingWriter writer = new EmbeddingWriter(base, 3, 2)) {
            writer.append(new float[] {1, 2}, "train/cat/a,b.png", "train", "cat");
            writer.append(new float[] {3, 4}, "say \"hi\"\nthere.png", "test", "dog");
            writer.append(new float[] {5, 6}, "7", "test", null);
            writer.commit();
        }
        return base;
    }

    @Test
    void readsTheVectorsAndTheRecordsOfWhatEmbedWrites() {
        Path base = writeThree();
        for (Path name : List.of(base, dir.resolve("e.npy"), dir.resolve("e.csv"))) {
            try (EmbeddingFile file = EmbeddingFile.open(name)) {
                assertThat(file.rows()).isEqualTo(3);
                assertThat(file.dim()).isEqualTo(2);
                assertThat(file.vector(1)).containsExactly(3, 4);
                float[] block = new float[4];
                file.block(1, 2).get(block);
                assertThat(block).containsExactly(3, 4, 5, 6);
                Map<Long, EmbeddingFile.Record> records = file.records(2, 0, 1, 5);
                assertThat(records).containsOnlyKeys(0L, 1L, 2L);
                assertThat(records.get(0L)).isEqualTo(new EmbeddingFile.Record(0, "train/cat/a,b.png", "train", "cat"));
                assertThat(records.get(1L)).isEqualTo(new EmbeddingFile.Record(1, "say \"hi\"\nthere.png", "test", "dog"));
                assertThat(records.get(2L)).isEqualTo(new EmbeddingFile.Record(2, "7", "test", ""));
                assertThatThrownBy(() -> file.vector(3)).isInstanceOf(BalconException.class)
                        .hasMessageContaining("row 3 is outside").hasMessageContaining("rows 0 to 2");
            }
        }
    }

    @Test
    void idsAndVectorsOfDifferentLengthsAreOneLineNamingBothFiles() throws IOException {
        Path base = writeThree();
        Path csv = dir.resolve("e.csv");
        List<String> lines = Files.readAllLines(csv);
        Files.write(csv, lines.subList(0, lines.size() - 1));
        assertThatThrownBy(() -> EmbeddingFile.open(base)).isInstanceOf(BalconException.class)
                .hasMessage("embeddings and ids differ in length: " + dir.resolve("e.npy") + " holds 3 vectors, "
                        + csv + " 2 rows");
    }

    @Test
    void aCsvWithAnotherHeaderOrRowNumbersIsRefused() throws IOException {
        Path base = writeThree();
        Path csv = dir.resolve("e.csv");
        List<String> lines = new ArrayList<>(Files.readAllLines(csv));
        lines.set(0, "id,label");
        Files.write(csv, lines);
        assertThatThrownBy(() -> EmbeddingFile.open(base)).isInstanceOf(BalconException.class)
                .hasMessageContaining("ids file " + csv + " has header 'id,label', expected 'row,id,split,label'");
        Files.writeString(csv, "row,id,split,label\n0,a,train,x\n5,b,train,x\n");
        assertThatThrownBy(() -> EmbeddingFile.open(base)).isInstanceOf(BalconException.class)
                .hasMessageContaining(csv + " line 3: expected row 1");
        Files.delete(csv);
        assertThatThrownBy(() -> EmbeddingFile.open(base)).isInstanceOf(BalconException.class)
                .hasMessageContaining("ids file " + csv + " not found");
    }

    @Test
    void anNpyThatIsNotFloat32RowsIsRefusedNamingTheFile() throws IOException {
        Path base = writeThree();
        Path npy = dir.resolve("e.npy");
        byte[] original = Files.readAllBytes(npy);
        String header = new String(original, 10, original.length - 10 - 24, StandardCharsets.ISO_8859_1);
        Files.write(npy, replace(original, header, header.replace("<f4", "<f8")));
        assertThatThrownBy(() -> EmbeddingFile.open(base)).isInstanceOf(BalconException.class)
                .hasMessage("embeddings file " + npy + " holds dtype '<f8', expected float32 ('<f4')");
        Files.write(npy, replace(original, header, header.replace("(3, 2)", "(6,)  ")));
        assertThatThrownBy(() -> EmbeddingFile.open(base)).isInstanceOf(BalconException.class)
                .hasMessageContaining("expected a 2-d array [N, d]");
        Files.write(npy, replace(original, header, header.replace("False", "True ")));
        assertThatThrownBy(() -> EmbeddingFile.open(base)).isInstanceOf(BalconException.class)
                .hasMessageContaining("Fortran order");
        Files.write(npy, Arrays.copyOf(original, original.length - 4));
        assertThatThrownBy(() -> EmbeddingFile.open(base)).isInstanceOf(BalconException.class)
                .hasMessageContaining(npy + " is " + (original.length - 4) + " bytes, its header (3 x 2 float32) needs "
                        + original.length);
        Files.writeString(npy, "row,id\n");
        assertThatThrownBy(() -> EmbeddingFile.open(base)).isInstanceOf(BalconException.class)
                .hasMessageContaining(npy + " is not a NumPy .npy file");
        Files.delete(npy);
        assertThatThrownBy(() -> EmbeddingFile.open(base)).isInstanceOf(BalconException.class)
                .hasMessageContaining("embeddings file " + npy + " not found");
    }

    @Test
    void readsNumpyFormatTwoHeaders() throws IOException {
        writeThree();
        Path npy = dir.resolve("e.npy");
        byte[] original = Files.readAllBytes(npy);
        int headerLength = ByteBuffer.wrap(original, 8, 2).order(ByteOrder.LITTLE_ENDIAN).getShort();
        ByteBuffer v2 = ByteBuffer.allocate(original.length + 2).order(ByteOrder.LITTLE_ENDIAN);
        v2.put(original, 0, 6).put((byte) 2).put((byte) 0).putInt(headerLength).put(original, 10, original.length - 10);
        Files.write(npy, v2.array());
        try (EmbeddingFile file = EmbeddingFile.open(npy)) {
            assertThat(file.vector(2)).containsExactly(5, 6);
        }
    }

    private static byte[] replace(byte[] original, String header, String replacement) {
        assertThat(replacement).hasSameSizeAs(header);
        byte[] copy = original.clone();
        byte[] bytes = replacement.getBytes(StandardCharsets.ISO_8859_1);
        System.arraycopy(bytes, 0, copy, 10, bytes.length);
        return copy;
    }
}
