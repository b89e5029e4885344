package dev.balcon.inference;

import ai.djl.inference.Predictor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** The README's encoder example, verbatim between the markers (skip lines left out), compiled and run. */
class ReadmeEncoderExampleTest {
    private static final String START = "// README-ENCODER-START\n";

    @Test
    void theReadmeEncoderExampleRuns(@TempDir Path dir) throws Exception {
        Path images = InferenceRuns.imageTree(dir);
        ModelExport.export(InferenceRuns.train(dir, images, 1), dir.resolve("models/photos"), false);
        Path exported = dir.resolve("models/photos");
        File testPhoto = images.resolve("test/blue/img-000.png").toFile();
        float[][] result = new float[3][];
        // README-ENCODER-START
        Path model = Path.of("models/photos"); // written by balcon export, or a run directory
        model = exported; // README-EXAMPLE-SKIP
        File photoFile = new File("photos/test/cat/001.jpg");
        photoFile = testPhoto; // README-EXAMPLE-SKIP
        try (Encoder encoder = Encoder.load(model)) {
            BufferedImage photo = ImageIO.read(photoFile); // any size and colour model
            float[] features = encoder.embed(photo); // resized and normalised as in training
            System.out.println(features.length + " features, first " + features[0]);
            result[0] = features; // README-EXAMPLE-SKIP
            try (Predictor<BufferedImage, float[]> predictor = encoder.newPredictor()) { // the DJL way
                List<float[]> batch = predictor.batchPredict(List.of(photo, photo));
                result[1] = batch.get(0); // README-EXAMPLE-SKIP
                result[2] = batch.get(1); // README-EXAMPLE-SKIP
            }
        }
        // README-ENCODER-END
        assertThat(result[0]).hasSize(32);
        assertThat(result[1]).containsExactly(result[0], org.assertj.core.data.Offset.offset(1e-6f));
        assertThat(result[2]).containsExactly(result[0], org.assertj.core.data.Offset.offset(1e-6f));
    }

    @Test
    void theReadmeShowsExactlyThisExample() throws Exception {
        String source = Files.readString(Path.of("src/test/java/dev/balcon/inference/ReadmeEncoderExampleTest.java"));
        String body = source.substring(source.indexOf(START) + START.length(),
                source.indexOf("        // README-ENCODER-END"));
        String snippet = body.lines().filter(line -> !line.contains("README-EXAMPLE-" + "SKIP"))
                .map(line -> line.startsWith("        ") ? line.substring(8) : line)
                .collect(Collectors.joining("\n")).strip();
        assertThat(Files.readString(Path.of("README.md"))).contains(snippet);
    }
}
