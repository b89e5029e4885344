package dev.balcon.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.balcon.BalconException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FashionMnistTest {
    @TempDir
    Path dir;

    @Test
    void loadsInstalledDataSet() {
        assumeTrue(Files.isDirectory(FashionMnist.DEFAULT_DIR), "Fashion-MNIST package not installed");
        long start = System.nanoTime();
        DatasetSplits splits = FashionMnist.load(null);
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("Fashion-MNIST loaded in %.3f s%n", seconds);

        ImageDataset train = splits.train();
        ImageDataset test = splits.test();
        assertThat(train.size()).isEqualTo(60_000);
        assertThat(test.size()).isEqualTo(10_000);
        assertThat(train.channels()).isEqualTo(1);
        assertThat(train.height()).isEqualTo(28);
        assertThat(train.width()).isEqualTo(28);
        assertThat(train.classNames()).isEqualTo(FashionMnist.CLASS_NAMES).hasSize(10);
        assertThat(train.classCounts()).containsOnly(6000);
        assertThat(test.classCounts()).containsOnly(1000);
        // the published normalisation constants are the statistics of these very pixels
        double sum = 0;
        double sumSquares = 0;
        for (byte b : train.pixels()) {
            double value = (b & 0xFF) / 255.0;
            sum += value;
            sumSquares += value * value;
        }
        double mean = sum / train.pixels().length;
        double std = Math.sqrt(sumSquares / train.pixels().length - mean * mean);
        assertThat(mean).isCloseTo(FashionMnist.MEAN[0], org.assertj.core.data.Offset.offset(5e-4));
        assertThat(std).isCloseTo(FashionMnist.STD[0], org.assertj.core.data.Offset.offset(5e-4));
    }

    @Test
    void acceptsUnzippedAndGzippedNamesSideBySide() throws IOException {
        Files.write(dir.resolve("train-images-idx3-ubyte"), IdxReaderTest.imagesIdx(2051, 3, 28, 28));
        Files.write(dir.resolve("train-labels-idx1-ubyte.gz"),
                IdxReaderTest.gzip(IdxReaderTest.labelsIdx(2049, 9, 0, 5)));
        Files.write(dir.resolve("t10k-images-idx3-ubyte.gz"),
                IdxReaderTest.gzip(IdxReaderTest.imagesIdx(2051, 1, 28, 28)));
        Files.write(dir.resolve("t10k-labels-idx1-ubyte"), IdxReaderTest.labelsIdx(2049, 7));
        DatasetSplits splits = FashionMnist.load(dir);
        assertThat(splits.train().labels()).containsExactly(9, 0, 5);
        assertThat(splits.test().labels()).containsExactly(7);
        assertThat(splits.train().name()).isEqualTo("fashion-mnist-train");
    }

    @Test
    void missingDataSetNamesDirectoryAndInstallCommand() {
        Path empty = dir.resolve("nothing-here");
        assertThatThrownBy(() -> FashionMnist.load(empty))
                .isInstanceOf(BalconException.class)
                .hasMessage("Fashion-MNIST not found in " + empty
                        + ": install it with 'sudo apt-get install -y dataset-fashion-mnist', or set the data directory to a copy");
    }

    @Test
    void partialDataSetNamesMissingFiles() throws IOException {
        Files.write(dir.resolve("train-images-idx3-ubyte"), IdxReaderTest.imagesIdx(2051, 1, 28, 28));
        assertThatThrownBy(() -> FashionMnist.load(dir))
                .isInstanceOf(BalconException.class)
                .hasMessageContaining("incomplete in " + dir)
                .hasMessageContaining("t10k-labels-idx1-ubyte[.gz]")
                .hasMessageNotContaining("train-images");
    }
}
