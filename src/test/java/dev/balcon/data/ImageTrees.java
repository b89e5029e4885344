package dev.balcon.data;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

/** Small class-per-folder trees of colour PNGs for loader and command-line tests. */
public final class ImageTrees {
    /** Class folder names, sorted as the loader orders them, and the colour of each class's disc. */
    public static final List<String> CLASSES = List.of("blue", "green", "red");
    private static final List<Color> COLOURS = List.of(new Color(40, 60, 210), new Color(40, 180, 60),
            new Color(210, 40, 40));

    private ImageTrees() {}

    /**
     * Writes {@code perClass[c]} PNGs into {@code root/CLASSES[c]}: an RGB image of random size between 18 and 29
     * px a side (so odd sizes and aspect ratios occur), random grey background, a disc of the class colour.
     */
    public static void writeClasses(Path root, int[] perClass, long seed) throws IOException {
        SplittableRandom random = new SplittableRandom(seed);
        for (int c = 0; c < perClass.length; c++) {
            Path folder = Files.createDirectories(root.resolve(CLASSES.get(c)));
            for (int i = 0; i < perClass[c]; i++) {
                writeImage(folder.resolve(String.format("img-%03d.png", i)), COLOURS.get(c), random);
            }
        }
    }

    /** train/ with {@code trainPerClass} and test/ with {@code testPerClass} images of each class. */
    public static Path writeSplitTree(Path root, int trainPerClass, int testPerClass) throws IOException {
        writeClasses(root.resolve("train"), new int[] {trainPerClass, trainPerClass, trainPerClass}, 1);
        writeClasses(root.resolve("test"), new int[] {testPerClass, testPerClass, testPerClass}, 2);
        return root;
    }

    private static void writeImage(Path file, Color colour, SplittableRandom random) throws IOException {
        int width = 18 + random.nextInt(12);
        int height = 18 + random.nextInt(12);
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D graphics = image.createGraphics();
        int grey = random.nextInt(256);
        graphics.setColor(new Color(grey, grey, grey));
        graphics.fillRect(0, 0, width, height);
        graphics.setColor(colour);
        int diameter = Math.min(width, height) / 2 + random.nextInt(Math.min(width, height) / 3);
        graphics.fillOval(random.nextInt(width - diameter + 1), random.nextInt(height - diameter + 1), diameter, diameter);
        graphics.dispose();
        ImageIO.write(image, "png", file.toFile());
    }
}
