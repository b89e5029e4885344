package dev.balcon.retrieval;

import dev.balcon.BalconException;
import dev.balcon.data.ImageDataset;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * A PNG contact sheet of a query and its neighbours: the query first, framed, then each neighbour, in rows of at
 * most {@value #COLUMNS} tiles, every tile scaled to {@value #TILE} pixels on its long side (nearest neighbour, so
 * small images stay sharp) with two caption lines under it.
 */
public final class ContactSheet {
    static final int TILE = 96;
    static final int COLUMNS = 6;
    private static final int GAP = 8;
    private static final int CAPTION = 30;
    private static final Color BACKGROUND = Color.WHITE;
    private static final Color QUERY_FRAME = new Color(0xD62728);

    private ContactSheet() {}

    /**
     * One tile.
     *
     * @param image    the picture, or null to draw a grey box that says no image was found
     * @param headline the first caption line (e.g. {@code query} or {@code 1  0.982})
     * @param detail   the second caption line (e.g. the id and label), shortened to fit
     */
    public record Tile(BufferedImage image, String headline, String detail) {}

    /** Draws the tiles, the first one framed as the query; at least one tile. */
    public static BufferedImage render(List<Tile> tiles) {
        if (tiles.isEmpty()) {
            throw new IllegalArgumentException("a contact sheet needs at least one tile");
        }
        int columns = Math.min(COLUMNS, tiles.size());
        int rows = (tiles.size() + columns - 1) / columns;
        int cellWidth = TILE + GAP;
        int cellHeight = TILE + CAPTION + GAP;
        BufferedImage sheet = new BufferedImage(GAP + columns * cellWidth, GAP + rows * cellHeight,
                BufferedImage.TYPE_INT_RGB);
        Graphics2D g = sheet.createGraphics();
        try {
            g.setColor(BACKGROUND);
            g.fillRect(0, 0, sheet.getWidth(), sheet.getHeight());
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_NEAREST_NEIGHBOR);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
            FontMetrics metrics = g.getFontMetrics();
            for (int i = 0; i < tiles.size(); i++) {
                Tile tile = tiles.get(i);
                int x = GAP + (i % columns) * cellWidth;
                int y = GAP + (i / columns) * cellHeight;
                drawImage(g, tile.image(), x, y);
                if (i == 0) {
                    g.setColor(QUERY_FRAME);
                    g.drawRect(x - 2, y - 2, TILE + 3, TILE + 3);
                    g.drawRect(x - 3, y - 3, TILE + 5, TILE + 5);
                }
                g.setColor(Color.BLACK);
                g.drawString(fit(tile.headline(), metrics), x, y + TILE + metrics.getAscent() + 2);
                g.setColor(Color.DARK_GRAY);
                g.drawString(fit(tile.detail(), metrics), x, y + TILE + 2 * metrics.getAscent() + 5);
            }
        } finally {
            g.dispose();
        }
        return sheet;
    }

    /** Writes {@code sheet} as PNG under a temporary name and renames it into place. */
    public static void write(BufferedImage sheet, Path file) {
        Path target = file.toAbsolutePath();
        Path temporary = target.resolveSibling(target.getFileName() + ".tmp");
        try {
            Files.createDirectories(target.getParent());
            if (!ImageIO.write(sheet, "png", temporary.toFile())) {
                throw new IllegalStateException("no PNG encoder in this Java runtime");
            }
            Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new BalconException("cannot write contact sheet " + file + ": " + e.getMessage(), e);
        } finally {
            try {
                Files.deleteIfExists(temporary);
            } catch (IOException ignored) {
                // nothing more to do: the stray temporary file is harmless
            }
        }
    }

    /** Image {@code index} of a dataset as a picture: gray for one channel, RGB for three. */
    public static BufferedImage image(ImageDataset images, int index) {
        int height = images.height();
        int width = images.width();
        int plane = height * width;
        byte[] pixels = images.pixels();
        int offset = images.pixelOffset(index);
        boolean gray = images.channels() == 1;
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int at = offset + y * width + x;
                int r = pixels[at] & 0xFF;
                int g = gray ? r : pixels[at + plane] & 0xFF;
                int b = gray ? r : pixels[at + 2 * plane] & 0xFF;
                image.setRGB(x, y, (r << 16) | (g << 8) | b);
            }
        }
        return image;
    }

    private static void drawImage(Graphics2D g, BufferedImage image, int x, int y) {
        if (image == null) {
            g.setColor(Color.LIGHT_GRAY);
            g.fillRect(x, y, TILE, TILE);
            g.setColor(Color.DARK_GRAY);
            g.drawString("no image", x + 4, y + TILE / 2);
            return;
        }
        double scale = (double) TILE / Math.max(image.getWidth(), image.getHeight());
        int width = Math.max(1, (int) Math.round(image.getWidth() * scale));
        int height = Math.max(1, (int) Math.round(image.getHeight() * scale));
        g.drawImage(image, x + (TILE - width) / 2, y + (TILE - height) / 2, width, height, null);
    }

    /** The text, cut with an ellipsis to the tile's width. */
    private static String fit(String text, FontMetrics metrics) {
        if (text == null || metrics.stringWidth(text) <= TILE) {
            return text == null ? "" : text;
        }
        String cut = text;
        while (!cut.isEmpty() && metrics.stringWidth("..." + cut) > TILE) {
            cut = cut.substring(1);
        }
        return "..." + cut;
    }
}
