package dev.balcon.spark;

import dev.balcon.run.PretrainRun;
import dev.balcon.inference.ModelExport;
import dev.balcon.train.PretrainConfig;
import org.apache.spark.sql.SparkSession;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

/**
 * What the tests share, made once per JVM: a small image folder, a tiny model trained on it for one epoch and exported
 * (resnet-small of width 4, 16x16 RGB input; seconds on a CPU), and a Spark session on local[2].
 */
final class TestFixtures {
    static final List<String> CLASSES = List.of("blue", "green", "red");
    private static final List<Color> COLOURS = List.of(new Color(40, 60, 210), new Color(40, 180, 60),
            new Color(210, 40, 40));
    private static Path root;
    private static SparkSession spark;

    private TestFixtures() {}

    /** local[2] without UI, with few shuffle partitions (the data are small); anew if a command-line test stopped it. */
    static synchronized SparkSession spark() {
        if (spark == null || spark.sparkContext().isStopped()) {
            SparkSession.clearActiveSession(); // a stopped session of a command-line test would be returned again
            SparkSession.clearDefaultSession();
            spark = SparkSession.builder().master("local[2]").appName("balcon-spark-tests")
                    .config("spark.ui.enabled", "false")
                    .config("spark.sql.shuffle.partitions", "4")
                    .config("spark.default.parallelism", "4")
                    .getOrCreate();
        }
        return spark;
    }

    /** A folder with images/train (8 per class) and images/test (4 per class) and model/, an export trained on train. */
    static synchronized Path root() {
        if (root == null) {
            try {
                Path dir = Files.createTempDirectory("balcon-spark-test-");
                Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteQuietly(dir)));
                writeClasses(dir.resolve("images/train"), 8, 1);
                writeClasses(dir.resolve("images/test"), 4, 2);
                PretrainConfig config = PretrainConfig.builder().dataset("imagefolder")
                        .dataDir(dir.resolve("images").toString()).imageSize(16).channels(3).width(4)
                        .projectorHidden(16).projectorOut(8).batchSize(8).loss("balanced").epochs(1)
                        .learningRate(0.1).warmupEpochs(0).seed(7).boundMonitor(false).build();
                PretrainRun.pretrain(dir.resolve("run"), config, false, false, new PrintWriter(Writer.nullWriter()));
                ModelExport.export(dir.resolve("run"), dir.resolve("model"), false);
                root = dir;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return root;
    }

    private static void deleteQuietly(Path dir) {
        try (java.util.stream.Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // a temporary folder left behind is harmless
        }
    }

    static Path images() {
        return root().resolve("images");
    }

    static Path model() {
        return root().resolve("model");
    }

    /**
     * Writes {@code perClass} PNGs into each {@code folder/CLASSES[c]}: RGB, random size 18-29 px a side (odd sizes
     * and aspect ratios, so the resize is exercised), a random grey background and a disc of the class colour.
     */
    static void writeClasses(Path folder, int perClass, long seed) throws IOException {
        SplittableRandom random = new SplittableRandom(seed);
        for (int c = 0; c < CLASSES.size(); c++) {
            Path classFolder = Files.createDirectories(folder.resolve(CLASSES.get(c)));
            for (int i = 0; i < perClass; i++) {
                int width = 18 + random.nextInt(12);
                int height = 18 + random.nextInt(12);
                BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
                Graphics2D graphics = image.createGraphics();
                int grey = random.nextInt(256);
                graphics.setColor(new Color(grey, grey, grey));
                graphics.fillRect(0, 0, width, height);
                graphics.setColor(COLOURS.get(c));
                int diameter = Math.min(width, height) / 2 + random.nextInt(Math.min(width, height) / 3);
                graphics.fillOval(random.nextInt(width - diameter + 1), random.nextInt(height - diameter + 1),
                        diameter, diameter);
                graphics.dispose();
                ImageIO.write(image, "png", classFolder.resolve(String.format("img-%03d.png", i)).toFile());
            }
        }
    }
}
