package dev.balcon.cli;

import dev.balcon.inference.Encoder;
import dev.balcon.inference.InferenceRuns;
import dev.balcon.train.RunDirectory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static dev.balcon.cli.CommandLineErrorsTest.balcon;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** balcon export and balcon embed end to end on an image folder, and their bad input. */
class InferenceCommandsTest {
    @TempDir
    static Path shared;
    static Path images;
    static Path runDir;
    static Path exportDir;

    @TempDir
    Path dir;

    @BeforeAll
    static void trainAndExport() throws IOException {
        images = InferenceRuns.imageTree(shared);
        runDir = InferenceRuns.train(shared, images, 1);
        exportDir = shared.resolve("export");
        CommandLineErrorsTest.Outcome export = balcon("export", "--run-dir", runDir.toString(), "--out", exportDir.toString());
        assertThat(export.status()).as(export.err()).isZero();
        assertThat(export.out()).startsWith("exported resnet-small (32 features per image, input 3x16x16) to " + exportDir);
    }

    @Test
    void knnOnTheExportedEmbeddingsEqualsKnnOnTheRun() {
        CommandLineErrorsTest.Outcome onRun = balcon("knn", "--run-dir", runDir.toString(), "--knn-k", "5");
        assertThat(onRun.status()).as(onRun.err()).isZero();
        Path out = dir.resolve("all");
        CommandLineErrorsTest.Outcome embed = balcon("embed", "--model", exportDir.toString(), "--dataset", "imagefolder",
                "--data", images.toString(), "--split", "all", "--out", out.toString(), "--no-progress", "--no-cache");
        assertThat(embed.status()).as(embed.err()).isZero();
        CommandLineErrorsTest.Outcome onFiles = balcon("knn", "--embeddings", out.toString(), "--knn-k", "5");
        assertThat(onFiles.status()).as(onFiles.err()).isZero();
        // "k-NN top-1 X%  (protocol)": the same number and protocol, to the last digit
        assertThat(onFiles.out()).startsWith(onRun.out().strip().replaceAll("\\)$", "") + "; ");

        CommandLineErrorsTest.Outcome both = balcon("knn", "--embeddings", out.toString(), "--run-dir", runDir.toString());
        assertThat(both.status()).isEqualTo(Main.EXIT_USER_ERROR);
        assertThat(both.err()).contains("give exactly one of --run-dir DIR and --embeddings FILE");
    }

    @Test
    void embedWritesEveryImageOfAnImageFolderWithItsLabelAsTheEncoderEmbedsIt() throws IOException {
        Path out = dir.resolve("features");
        CommandLineErrorsTest.Outcome embed = balcon("embed", "--model", exportDir.toString(), "--dataset", "imagefolder",
                "--data", images.toString(), "--out", out.toString(), "--no-progress", "--no-cache");
        assertThat(embed.status()).as(embed.err()).isZero();
        assertThat(embed.out()).contains("embedded 36 images (32 features each)").contains("images/s");
        float[][] vectors = readNpy(dir.resolve("features.npy"));
        assertThat(vectors).hasDimensions(36, 32);
        List<String> rows = Files.readAllLines(dir.resolve("features.csv"));
        assertThat(rows).hasSize(37);
        assertThat(rows.get(0)).isEqualTo("row,id,split,label");
        // ids are the files' paths relative to --data
        assertThat(rows.get(1)).isEqualTo("0,train/blue/img-000.png,train,blue");
        assertThat(rows.get(24)).isEqualTo("23,train/red/img-007.png,train,red");
        assertThat(rows.get(25)).isEqualTo("24,test/blue/img-000.png,test,blue");
        // row 24 is the first test image: test/blue/img-000.png
        try (Encoder encoder = Encoder.load(exportDir)) {
            float[] expected = encoder.embed(ImageIO.read(images.resolve("test/blue/img-000.png").toFile()));
            for (int k = 0; k < 32; k++) {
                assertThat(vectors[24][k]).isCloseTo(expected[k], within(1e-6f));
            }
        }
    }

    @Test
    void embedOfARunDirectoryReadsTheRunsOwnDatasetAndSplit() throws IOException {
        Path out = dir.resolve("test-features");
        CommandLineErrorsTest.Outcome embed = balcon("embed", "--run-dir", runDir.toString(), "--split", "test",
                "--l2-normalize", "--out", out.toString(), "--no-progress");
        assertThat(embed.status()).as(embed.err()).isZero();
        float[][] vectors = readNpy(dir.resolve("test-features.npy"));
        assertThat(vectors).hasDimensions(12, 32);
        double norm = 0;
        for (float value : vectors[0]) {
            norm += value * value;
        }
        assertThat(norm).isCloseTo(1, within(1e-5));
        assertThat(Files.readAllLines(dir.resolve("test-features.csv")).get(12)).isEqualTo("11,test/red/img-003.png,test,red");
    }

    @Test
    void aRunDirectoryWhereAnExportIsExpectedAndTheReverseAreOneLineErrors() {
        assertOneLineError(balcon("export", "--run-dir", exportDir.toString(), "--out", dir.resolve("e").toString()),
                exportDir + " is an exported model (model.json), not a run directory");
        assertOneLineError(balcon("embed", "--model", runDir.toString(), "--out", dir.resolve("f").toString()),
                runDir + " is a run directory (config.json), not an exported model");
        assertOneLineError(balcon("embed", "--run-dir", exportDir.toString(), "--out", dir.resolve("f").toString()),
                exportDir + " is an exported model (model.json), not a run directory");
        assertOneLineError(balcon("embed", "--out", dir.resolve("f").toString()), "exactly one of --model DIR and --run-dir DIR");
        assertNothingWritten();
    }

    @Test
    void anUnfinishedRunIsRefusedWithTheOptionThatAllowsIt() throws IOException {
        Path unfinished = dir.resolve("unfinished");
        Files.createDirectories(unfinished);
        try (Stream<Path> files = Files.list(runDir)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                Files.copy(file, unfinished.resolve(file.getFileName()));
            }
        }
        RunDirectory run = new RunDirectory(unfinished);
        run.writeConfig(run.readConfig().toBuilder().epochs(2).build());
        Path out = dir.resolve("export");
        assertOneLineError(balcon("export", "--run-dir", unfinished.toString(), "--out", out.toString()),
                "is unfinished: checkpoint.bin holds 1 of 2 epochs; pass --allow-unfinished to export it anyway");
        assertThat(out).doesNotExist();
        assertThat(balcon("export", "--run-dir", unfinished.toString(), "--out", out.toString(), "--allow-unfinished")
                .status()).isZero();
    }

    @Test
    void aTamperedWeightsFileIsAOneLineError() throws IOException {
        Path tampered = dir.resolve("tampered");
        Files.createDirectories(tampered);
        Files.copy(exportDir.resolve("model.json"), tampered.resolve("model.json"));
        byte[] weights = Files.readAllBytes(exportDir.resolve("model.safetensors"));
        weights[weights.length / 2] ^= 0x10;
        Files.write(tampered.resolve("model.safetensors"), weights);
        assertOneLineError(balcon("embed", "--model", tampered.toString(), "--dataset", "imagefolder", "--data",
                images.toString(), "--no-cache", "--out", dir.resolve("f").toString()),
                tampered.resolve("model.safetensors") + " has SHA-256 ", "the weights file was changed or damaged");
        assertThat(dir.resolve("f.npy")).doesNotExist();
    }

    private void assertNothingWritten() {
        assertThat(dir.resolve("e")).doesNotExist();
        assertThat(dir.resolve("f.npy")).doesNotExist();
        assertThat(dir.resolve("f.csv")).doesNotExist();
    }

    private static void assertOneLineError(CommandLineErrorsTest.Outcome outcome, String... fragments) {
        assertThat(outcome.status()).as(outcome.err()).isEqualTo(Main.EXIT_USER_ERROR);
        assertThat(outcome.err().strip().lines()).hasSize(1);
        assertThat(outcome.err()).startsWith("balcon: ").doesNotContain("\tat ");
        for (String fragment : fragments) {
            assertThat(outcome.err()).contains(fragment);
        }
    }

    /** A float32 [N, d] .npy file, shape read from its header. */
    static float[][] readNpy(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int headerLength = Short.toUnsignedInt(buffer.getShort(8));
        String header = new String(bytes, 10, headerLength, java.nio.charset.StandardCharsets.US_ASCII);
        java.util.regex.Matcher shape = java.util.regex.Pattern.compile("'shape': \\((\\d+), (\\d+)\\)").matcher(header);
        assertThat(shape.find()).as(header).isTrue();
        int rows = Integer.parseInt(shape.group(1));
        int dim = Integer.parseInt(shape.group(2));
        buffer.position(10 + headerLength);
        float[][] result = new float[rows][dim];
        for (float[] row : result) {
            buffer.asFloatBuffer().get(row);
            buffer.position(buffer.position() + dim * Float.BYTES);
        }
        return result;
    }
}
