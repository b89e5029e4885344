package dev.balcon.inference;

import ai.djl.inference.Predictor;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.ndarray.NDManager;
import dev.balcon.BalconException;
import dev.balcon.data.ImageDataset;
import dev.balcon.eval.FeatureExtractor;
import dev.balcon.data.DataSelection;
import dev.balcon.data.Datasets;
import dev.balcon.run.TrainedEncoder;
import dev.balcon.train.PretrainConfig;
import dev.balcon.train.RunDirectory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class EncoderTest {
    private static final float TOLERANCE = 1e-6f;

    @TempDir
    static Path shared;
    static Path images;
    static Path runDir;
    static Path exportDir;
    /** The test split as the run's evaluation loads it, and its features as k-NN computes them. */
    static ImageDataset test;
    static float[][] reference;

    @TempDir
    Path dir;

    @BeforeAll
    static void trainExportAndEvaluate() {
        try {
            images = InferenceRuns.imageTree(shared);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        runDir = InferenceRuns.train(shared, images, 1);
        exportDir = shared.resolve("export");
        ModelExport.export(runDir, exportDir, false);
        RunDirectory run = new RunDirectory(runDir);
        PretrainConfig config = run.readConfig();
        test = Datasets.load(config.dataSelection()).test();
        try (NDManager manager = NDManager.newBaseManager();
             TrainedEncoder encoder = TrainedEncoder.open(run, config, test, manager)) {
            float[] flat = FeatureExtractor.backboneFeatures(encoder.model(), test, encoder.normalization(), manager)
                    .toFloatArray();
            int dim = encoder.model().featureDim();
            reference = IntStream.range(0, test.size())
                    .mapToObj(i -> java.util.Arrays.copyOfRange(flat, i * dim, (i + 1) * dim)).toArray(float[][]::new);
        }
    }

    @Test
    void theExportedAndTheRunsEncoderGiveTheFeaturesEvaluationComputes() {
        assertThat(test.size()).isEqualTo(12);
        for (Path directory : List.of(exportDir, runDir)) {
            try (Encoder encoder = Encoder.load(directory)) {
                assertThat(encoder.featureDim()).isEqualTo(32);
                assertThat(new int[] {encoder.channels(), encoder.height(), encoder.width()}).containsExactly(3, 16, 16);
                assertClose(encoder.embed(test), reference);
            }
        }
    }

    @Test
    void imageFilesAreResizedAndNormalisedAsTheDatasetLoaderDoes() throws IOException {
        List<BufferedImage> files = testImages();
        try (Encoder encoder = Encoder.load(exportDir)) {
            assertClose(encoder.embed(files), reference);
            assertClose(new float[][] {encoder.embed(files.get(5))}, new float[][] {reference[5]});
        }
    }

    @Test
    void l2NormalisedVectorsHaveUnitNormAndTheSameDirection() throws IOException {
        try (Encoder encoder = Encoder.load(exportDir, true)) {
            float[][] vectors = encoder.embed(testImages());
            for (int i = 0; i < vectors.length; i++) {
                float[] expected = reference[i];
                double norm = Math.sqrt(IntStream.range(0, 32).mapToDouble(k -> expected[k] * expected[k]).sum());
                assertThat(norm).isGreaterThan(0);
                for (int k = 0; k < 32; k++) {
                    assertThat(vectors[i][k]).isCloseTo((float) (reference[i][k] / norm), within(TOLERANCE));
                }
            }
        }
    }

    @Test
    void djlPredictorsGiveTheSameVectors() throws Exception {
        List<BufferedImage> files = testImages();
        try (Encoder encoder = Encoder.load(exportDir);
             Predictor<BufferedImage, float[]> predictor = encoder.newPredictor();
             Predictor<Image, float[]> imagePredictor = encoder.asDjlModel().newPredictor(encoder.imageTranslator())) {
            assertClose(predictor.batchPredict(files).toArray(float[][]::new), reference);
            assertClose(new float[][] {predictor.predict(files.get(3))}, new float[][] {reference[3]});
            Image image = ImageFactory.getInstance().fromImage(files.get(7));
            assertClose(new float[][] {imagePredictor.predict(image)}, new float[][] {reference[7]});
        }
    }

    @Test
    void imagesOfAnotherShapeAreRefusedAndAClosedEncoderFails() {
        ImageDataset gray = new ImageDataset("gray", new byte[16 * 16], new int[1], 1, 16, 16, List.of("x"));
        Encoder encoder = Encoder.load(exportDir);
        assertThatThrownBy(() -> encoder.embed(gray)).isInstanceOf(BalconException.class)
                .hasMessage("gray has images of 1x16x16 (channels x height x width); the encoder of " + exportDir
                        + " expects 3x16x16");
        encoder.close();
        assertThatThrownBy(() -> encoder.embed(test)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
    }

    @Test
    void embeddingsAreWrittenInBatchesInOrderAsTheEncoderGivesThemOneByOne() throws IOException {
        int count = Embeddings.BATCH + 37;
        byte[] pixels = new byte[count * 3 * 16 * 16];
        new Random(3).nextBytes(pixels);
        ImageDataset many = new ImageDataset("noise", pixels, new int[count], 3, 16, 16, List.of("noise"));
        try (Encoder encoder = Encoder.load(exportDir)) {
            Embeddings.Summary summary = Embeddings.write(encoder,
                    List.of(new Embeddings.Split("train", many, false)), dir.resolve("noise"), false);
            assertThat(summary.images()).isEqualTo(count);
            float[][] written = readNpy(dir.resolve("noise.npy"), count, 32);
            for (int row : new int[] {0, Embeddings.BATCH - 1, Embeddings.BATCH, count - 1}) {
                ImageDataset one = many.subset(new int[] {row}, "one");
                assertClose(new float[][] {written[row]}, encoder.embed(one));
            }
            List<String> lines = Files.readAllLines(dir.resolve("noise.csv"));
            assertThat(lines).hasSize(count + 1);
            assertThat(lines.get(0)).isEqualTo("row,id,split,label");
            assertThat(lines.get(count)).isEqualTo((count - 1) + "," + (count - 1) + ",train,");
        }
        try (Stream<Path> entries = Files.list(dir)) {
            assertThat(entries.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("noise.npy", "noise.csv");
        }
    }

    /** The test split's PNG files in the loader's order (class folders, then files, sorted). */
    static List<BufferedImage> testImages() throws IOException {
        List<BufferedImage> result = new ArrayList<>();
        try (Stream<Path> files = Files.walk(images.resolve("test"))) {
            for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
                result.add(ImageIO.read(file.toFile()));
            }
        }
        return result;
    }

    /** The rows of a float32 [rows, dim] .npy file whose header length is read from the file. */
    static float[][] readNpy(Path file, int rows, int dim) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        int dataStart = 10 + Short.toUnsignedInt(bytes.getShort(8));
        assertThat(bytes.capacity()).isEqualTo(dataStart + rows * dim * Float.BYTES);
        bytes.position(dataStart);
        float[][] result = new float[rows][dim];
        for (float[] row : result) {
            bytes.asFloatBuffer().get(row);
            bytes.position(bytes.position() + dim * Float.BYTES);
        }
        return result;
    }

    static void assertClose(float[][] actual, float[][] expected) {
        assertThat(actual).hasDimensions(expected.length, expected[0].length);
        for (int i = 0; i < expected.length; i++) {
            for (int k = 0; k < expected[i].length; k++) {
                assertThat(actual[i][k]).as("row %d, column %d", i, k).isCloseTo(expected[i][k], within(TOLERANCE));
            }
        }
    }
}
