package dev.balcon.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.balcon.BalconException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CifarTest {
    @TempDir
    Path dir;

    /**
     * Records of {@code labelBytes} label bytes + 3072 pixels; record r has labels {@code labels[r]} in
     * every label byte and pixel byte k equal to (r * 31 + k) mod 256.
     */
    private static byte[] records(int labelBytes, int... labels) {
        int recordBytes = labelBytes + 3072;
        byte[] bytes = new byte[labels.length * recordBytes];
        for (int r = 0; r < labels.length; r++) {
            for (int b = 0; b < labelBytes; b++) {
                bytes[r * recordBytes + b] = (byte) (labels[r] + b);
            }
            for (int k = 0; k < 3072; k++) {
                bytes[r * recordBytes + labelBytes + k] = (byte) (r * 31 + k);
            }
        }
        return bytes;
    }

    private void writeCifar10(Path base) throws IOException {
        Files.createDirectories(base);
        for (int batch = 1; batch <= 5; batch++) {
            Files.write(base.resolve("data_batch_" + batch + ".bin"), records(1, batch, 9 - batch));
        }
        Files.write(base.resolve("test_batch.bin"), records(1, 0, 1, 2));
    }

    @Test
    void readsCifar10BatchesInOrderWithPlanarPixels() throws IOException {
        writeCifar10(dir);
        DatasetSplits splits = Cifar.loadCifar10(dir);
        ImageDataset train = splits.train();
        assertThat(train.size()).isEqualTo(10);
        assertThat(train.labels()).containsExactly(1, 8, 2, 7, 3, 6, 4, 5, 5, 4);
        assertThat(train.channels()).isEqualTo(3);
        assertThat(train.height()).isEqualTo(32);
        assertThat(train.width()).isEqualTo(32);
        // record 1 of batch 2 is image 3: its green channel, row 2, column 5 is file byte 1024 + 2*32 + 5
        int k = 1024 + 2 * 32 + 5;
        int offset = train.pixelOffset(3) + k;
        assertThat(train.pixels()[offset] & 0xFF).isEqualTo((31 + k) % 256);
        assertThat(splits.test().labels()).containsExactly(0, 1, 2);
        assertThat(train.classNames()).isEqualTo(Cifar.CIFAR10_CLASS_NAMES);
    }

    @Test
    void takesClassNamesFromMetaFileAndFindsExtractedSubfolder() throws IOException {
        Path base = dir.resolve("cifar-10-batches-bin");
        writeCifar10(base);
        List<String> names = List.of("c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9");
        Files.writeString(base.resolve("batches.meta.txt"), String.join("\n", names) + "\n\n");
        assertThat(Cifar.loadCifar10(dir).train().classNames()).isEqualTo(names);
    }

    @Test
    void rejectsFileOfWrongLength() throws IOException {
        writeCifar10(dir);
        Path broken = dir.resolve("data_batch_3.bin");
        Files.write(broken, new byte[3073 * 2 + 100]);
        assertThatThrownBy(() -> Cifar.loadCifar10(dir))
                .isInstanceOf(BalconException.class)
                .hasMessageContaining(broken.toString())
                .hasMessageContaining("length " + (3073 * 2 + 100))
                .hasMessageContaining("multiple of 3073");
    }

    @Test
    void rejectsMissingBatchAndBadLabel() throws IOException {
        writeCifar10(dir);
        Files.delete(dir.resolve("test_batch.bin"));
        assertThatThrownBy(() -> Cifar.loadCifar10(dir))
                .isInstanceOf(BalconException.class).hasMessageContaining("not found")
                .hasMessageContaining("test_batch.bin");
        Files.write(dir.resolve("test_batch.bin"), records(1, 3, 10));
        assertThatThrownBy(() -> Cifar.loadCifar10(dir))
                .hasMessageContaining("record 1").hasMessageContaining("found 10");
    }

    @Test
    void readsCifar100FineLabels() throws IOException {
        Files.write(dir.resolve("train.bin"), records(2, 4, 19, 0));
        Files.write(dir.resolve("test.bin"), records(2, 7));
        StringBuilder names = new StringBuilder();
        for (int i = 0; i < 100; i++) {
            names.append("fine").append(i).append('\n');
        }
        Files.writeString(dir.resolve("fine_label_names.txt"), names);
        DatasetSplits splits = Cifar.loadCifar100(dir);
        // the fine label is the second byte, which records() sets to label + 1
        assertThat(splits.train().labels()).containsExactly(5, 20, 1);
        assertThat(splits.test().labels()).containsExactly(8);
        assertThat(splits.train().numClasses()).isEqualTo(100);
        assertThat(splits.train().pixels()[splits.train().pixelOffset(2)] & 0xFF).isEqualTo(62);
        Files.write(dir.resolve("test.bin"), new byte[3073]);
        assertThatThrownBy(() -> Cifar.loadCifar100(dir)).hasMessageContaining("multiple of 3074");
    }
}
