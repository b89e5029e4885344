package dev.balcon.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.balcon.BalconException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxReaderTest {
    private static final List<String> CLASSES = List.of("zero", "one", "two");

    @TempDir
    Path dir;

    /** IDX3 bytes for {@code count} images of rows x columns whose pixel k of image i is (7i + k) mod 256. */
    static byte[] imagesIdx(int magic, int count, int rows, int columns) {
        ByteBuffer buffer = ByteBuffer.allocate(16 + count * rows * columns);
        buffer.putInt(magic).putInt(count).putInt(rows).putInt(columns);
        for (int i = 0; i < count; i++) {
            for (int k = 0; k < rows * columns; k++) {
                buffer.put((byte) (7 * i + k));
            }
        }
        return buffer.array();
    }

    static byte[] labelsIdx(int magic, int... labels) {
        ByteBuffer buffer = ByteBuffer.allocate(8 + labels.length);
        buffer.putInt(magic).putInt(labels.length);
        for (int label : labels) {
            buffer.put((byte) label);
        }
        return buffer.array();
    }

    static byte[] gzip(byte[] raw) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
            out.write(raw);
        }
        return bytes.toByteArray();
    }

    private Path write(String name, byte[] content) throws IOException {
        return Files.write(dir.resolve(name), content);
    }

    private void assertToyContent(ImageDataset ds) {
        assertThat(ds.size()).isEqualTo(4);
        assertThat(ds.channels()).isEqualTo(1);
        assertThat(ds.height()).isEqualTo(2);
        assertThat(ds.width()).isEqualTo(3);
        assertThat(ds.labels()).containsExactly(2, 0, 1, 2);
        assertThat(ds.pixels()).isEqualTo(Arrays.copyOfRange(imagesIdx(2051, 4, 2, 3), 16, 16 + 24));
        assertThat(ds.pixels()[ds.pixelOffset(3) + 5] & 0xFF).isEqualTo(7 * 3 + 5);
        assertThat(ds.classNames()).isEqualTo(CLASSES);
    }

    @Test
    void readsRawFiles() throws IOException {
        Path images = write("images", imagesIdx(2051, 4, 2, 3));
        Path labels = write("labels", labelsIdx(2049, 2, 0, 1, 2));
        assertToyContent(IdxReader.read(images, labels, "toy", CLASSES));
    }

    @Test
    void detectsGzipByContentNotName() throws IOException {
        // gzip content without .gz suffix, and raw content with a misleading .gz suffix
        Path images = write("images-idx3-ubyte", gzip(imagesIdx(2051, 4, 2, 3)));
        Path labels = write("labels-idx1-ubyte.gz", labelsIdx(2049, 2, 0, 1, 2));
        ImageDataset ds = IdxReader.read(images, labels, "toy", CLASSES);
        assertToyContent(ds);
        assertThat(ds.name()).isEqualTo("toy");
    }

    @Test
    void rejectsWrongMagicNamingFileAndNumbers() throws IOException {
        Path images = write("images", imagesIdx(2049, 4, 2, 3));
        Path labels = write("labels", labelsIdx(2049, 2, 0, 1, 2));
        assertThatThrownBy(() -> IdxReader.read(images, labels, "t", CLASSES))
                .isInstanceOf(BalconException.class)
                .hasMessageContaining(images.toString())
                .hasMessageContaining("expected magic number 2051")
                .hasMessageContaining("found 2049");
        Path swappedLabels = write("labels2", labelsIdx(2051, 2, 0, 1, 2));
        Path goodImages = write("images2", imagesIdx(2051, 4, 2, 3));
        assertThatThrownBy(() -> IdxReader.read(goodImages, swappedLabels, "t", CLASSES))
                .hasMessageContaining(swappedLabels.toString()).hasMessageContaining("expected magic number 2049");
    }

    @Test
    void rejectsTruncatedRawAndGzipFiles() throws IOException {
        byte[] full = imagesIdx(2051, 4, 2, 3);
        Path labels = write("labels", labelsIdx(2049, 2, 0, 1, 2));
        Path cutBody = write("cut-body", Arrays.copyOf(full, full.length - 5));
        assertThatThrownBy(() -> IdxReader.read(cutBody, labels, "t", CLASSES))
                .isInstanceOf(BalconException.class)
                .hasMessageContaining(cutBody.toString())
                .hasMessageContaining("truncated")
                .hasMessageContaining("expected 24 bytes")
                .hasMessageContaining("found 19");
        Path cutHeader = write("cut-header", Arrays.copyOf(full, 10));
        assertThatThrownBy(() -> IdxReader.read(cutHeader, labels, "t", CLASSES))
                .hasMessageContaining("truncated").hasMessageContaining("rows");
        byte[] gz = gzip(full);
        Path cutGzip = write("cut.gz", Arrays.copyOf(gz, gz.length / 2));
        assertThatThrownBy(() -> IdxReader.read(cutGzip, labels, "t", CLASSES))
                .isInstanceOf(BalconException.class)
                .hasMessageContaining(cutGzip.toString())
                .hasMessageContaining("truncated");
    }

    @Test
    void rejectsTrailingBytes() throws IOException {
        byte[] full = imagesIdx(2051, 4, 2, 3);
        Path images = write("images", Arrays.copyOf(full, full.length + 1));
        Path labels = write("labels", labelsIdx(2049, 2, 0, 1, 2));
        assertThatThrownBy(() -> IdxReader.read(images, labels, "t", CLASSES))
                .hasMessageContaining(images.toString()).hasMessageContaining("trailing bytes");
    }

    @Test
    void rejectsLabelOutOfRange() throws IOException {
        Path images = write("images", imagesIdx(2051, 4, 2, 3));
        Path labels = write("labels", labelsIdx(2049, 2, 0, 3, 2));
        assertThatThrownBy(() -> IdxReader.read(images, labels, "t", CLASSES))
                .isInstanceOf(BalconException.class)
                .hasMessageContaining(labels.toString())
                .hasMessageContaining("label 2 must be in [0, 3), found 3");
    }

    @Test
    void rejectsCountMismatch() throws IOException {
        Path images = write("images", imagesIdx(2051, 4, 2, 3));
        Path labels = write("labels", labelsIdx(2049, 2, 0, 1));
        assertThatThrownBy(() -> IdxReader.read(images, labels, "t", CLASSES))
                .isInstanceOf(BalconException.class)
                .hasMessageContaining("4 images").hasMessageContaining("3 labels");
    }

    @Test
    void rejectsZeroDimensionAndMissingFile() throws IOException {
        Path images = write("images", imagesIdx(2051, 0, 0, 3));
        Path labels = write("labels", labelsIdx(2049));
        assertThatThrownBy(() -> IdxReader.read(images, labels, "t", CLASSES))
                .hasMessageContaining("rows must be >= 1, found 0");
        Path missing = dir.resolve("nope");
        assertThatThrownBy(() -> IdxReader.read(missing, labels, "t", CLASSES))
                .isInstanceOf(BalconException.class).hasMessageContaining("not found").hasMessageContaining("nope");
    }
}
