package dev.balcon.report;

import dev.balcon.BalconException;
import dev.balcon.InvalidField;
import dev.balcon.augment.AugmentationPipeline;
import dev.balcon.augment.AugmentationRecipe;
import dev.balcon.augment.Normalization;
import dev.balcon.data.ImageDataset;
import dev.balcon.data.Subsets;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A contact sheet of an augmentation recipe: one row per image, the original (as loaded) first, then pairs of
 * augmented views, each view de-normalised for display and every pixel drawn as a {@code scale x scale} block
 * (nearest neighbour, so the pixels stay visible). Layout, in output pixels: a margin of {@value #GROUP_GAP}
 * around the sheet, {@value #GROUP_GAP} between the original and each pair, {@value #GAP} between the two
 * views of a pair and between rows, on a dark grey background.
 */
public final class Preview {
    /** Pixels between the two views of a pair, and between rows. */
    public static final int GAP = 2;
    /** Pixels around the sheet and before each pair. */
    public static final int GROUP_GAP = 8;
    private static final int BACKGROUND = 0x303030;

    private Preview() {}

    /** An upscaling that makes small images visible: about 112 output pixels per side (4 for 28 px, 3 for 32 px). */
    public static int defaultScale(int height, int width) {
        return Math.max(1, 112 / Math.max(height, width));
    }

    /**
     * Renders the sheet for {@code images} images of {@code ds}, a seeded draw taken round-robin over the classes
     * ({@link #roundRobin}), each followed by {@code pairs} pairs of views.
     *
     * @throws InvalidField naming the parameter ({@code images}, {@code pairs}, {@code scale}) if a count or the scale
     *     is below 1, or the dataset has fewer images than asked for
     */
    public static BufferedImage render(ImageDataset ds, AugmentationRecipe recipe, int images, int pairs, int scale,
                                       long seed) {
        requireAtLeastOne("images", images);
        requireAtLeastOne("pairs", pairs);
        requireAtLeastOne("scale", scale);
        if (images > ds.size()) {
            throw new InvalidField("images", images + " is more than " + ds.name() + " holds (" + ds.size() + ")");
        }
        Normalization normalization = Normalization.of(ds);
        AugmentationPipeline pipeline = recipe.build(ds.channels(), ds.height(), ds.width(), normalization);
        int cellHeight = ds.height() * scale;
        int cellWidth = ds.width() * scale;
        int columns = 1 + 2 * pairs;
        int sheetWidth = 2 * GROUP_GAP + columns * cellWidth + pairs * (GROUP_GAP + GAP);
        int sheetHeight = 2 * GROUP_GAP + images * cellHeight + (images - 1) * GAP;
        BufferedImage sheet = new BufferedImage(sheetWidth, sheetHeight, BufferedImage.TYPE_INT_RGB);
        int[] background = new int[sheetWidth * sheetHeight];
        Arrays.fill(background, BACKGROUND);
        sheet.setRGB(0, 0, sheetWidth, sheetHeight, background, 0, sheetWidth);

        float[] view = new float[pipeline.viewLength()];
        float[] original = new float[pipeline.viewLength()];
        SplittableRandom random = new SplittableRandom(seed);
        int[] chosen = roundRobin(ds, images, seed);
        for (int row = 0; row < images; row++) {
            int index = chosen[row];
            int y = GROUP_GAP + row * (cellHeight + GAP);
            for (int i = 0; i < original.length; i++) {
                original[i] = (ds.pixels()[ds.pixelOffset(index) + i] & 0xFF) / 255f;
            }
            draw(sheet, original, ds.channels(), ds.height(), ds.width(), scale, GROUP_GAP, y);
            int x = GROUP_GAP + cellWidth;
            for (int pair = 0; pair < pairs; pair++) {
                x += GROUP_GAP;
                for (int v = 0; v < 2; v++) {
                    pipeline.render(ds, index, random.split(), view, 0);
                    denormalize(view, normalization, ds.height() * ds.width());
                    draw(sheet, view, ds.channels(), ds.height(), ds.width(), scale, x, y);
                    x += cellWidth + (v == 0 ? GAP : 0);
                }
            }
        }
        return sheet;
    }

    /** Writes the sheet as PNG, creating the parent folder. */
    public static void write(BufferedImage sheet, Path file) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            if (!ImageIO.write(sheet, "png", file.toFile())) {
                throw new IllegalStateException("no PNG encoder in this Java runtime");
            }
        } catch (IOException e) {
            throw new BalconException("cannot write preview " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * {@code count} images, as even over the classes as their sizes allow, drawn with {@code seed} whatever the
     * image order ({@link Subsets#perClass}), in rows of one per class: a drawn image of each class, then a second
     * of each, ...; every image when {@code count} is more than the dataset holds
     */
    static int[] roundRobin(ImageDataset ds, int count, long seed) {
        int[] available = ds.classCounts();
        int[] counts = new int[available.length];
        int largest = Arrays.stream(available).max().orElse(0);
        for (int round = 0, left = count; round < largest && left > 0; round++) {
            for (int c = 0; c < counts.length && left > 0; c++) {
                if (round < available[c]) {
                    counts[c]++;
                    left--;
                }
            }
        }
        List<List<Integer>> byClass = new ArrayList<>();
        for (int c = 0; c < ds.numClasses(); c++) {
            byClass.add(new ArrayList<>());
        }
        for (int index : Subsets.perClass(ds, counts, seed)) {
            byClass.get(ds.label(index)).add(index);
        }
        int[] chosen = new int[Math.min(count, ds.size())];
        int filled = 0;
        for (int round = 0; filled < chosen.length; round++) {
            for (int c = 0; c < byClass.size() && filled < chosen.length; c++) {
                if (round < byClass.get(c).size()) {
                    chosen[filled++] = byClass.get(c).get(round);
                }
            }
        }
        return chosen;
    }

    private static void requireAtLeastOne(String parameter, int value) {
        if (value < 1) {
            throw new InvalidField(parameter, "must be >= 1, got " + value);
        }
    }

    private static void denormalize(float[] view, Normalization normalization, int plane) {
        float[] mean = normalization.mean();
        float[] std = normalization.std();
        for (int c = 0; c < mean.length; c++) {
            for (int i = c * plane, end = i + plane; i < end; i++) {
                view[i] = view[i] * std[c] + mean[c];
            }
        }
    }

    /** Draws a C x H x W image with values in [0, 1] (clamped), each pixel as a scale x scale block at (x0, y0). */
    private static void draw(BufferedImage sheet, float[] image, int channels, int height, int width, int scale,
                             int x0, int y0) {
        int plane = height * width;
        int[] block = new int[scale * scale];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int red = toByte(image[y * width + x]);
                int green = channels == 3 ? toByte(image[plane + y * width + x]) : red;
                int blue = channels == 3 ? toByte(image[2 * plane + y * width + x]) : red;
                Arrays.fill(block, (red << 16) | (green << 8) | blue);
                sheet.setRGB(x0 + x * scale, y0 + y * scale, scale, scale, block, 0, scale);
            }
        }
    }

    private static int toByte(float value) {
        return Math.round(Math.min(1f, Math.max(0f, value)) * 255f);
    }
}
