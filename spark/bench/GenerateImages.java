import javax.imageio.ImageIO;
import java.awt.*;
import java.awt.image.BufferedImage;
import java.io.File;
import java.util.SplittableRandom;

/**
 * Writes a folder of PNGs of five classes (class0 .. class4), for measuring embedding throughput: SIZE x SIZE RGB, a
 * grey background, a disc of the class's colour and 20 random specks.
 *
 * <pre>
 * java spark/bench/GenerateImages.java OUT_DIR PER_CLASS SIZE SEED
 * </pre>
 */
public class GenerateImages {
    public static void main(String[] args) throws Exception {
        String root = args[0];
        int perClass = Integer.parseInt(args[1]);
        int size = Integer.parseInt(args[2]);
        Color[] colours = {Color.RED, Color.GREEN, Color.BLUE, Color.ORANGE, Color.MAGENTA};
        SplittableRandom random = new SplittableRandom(Long.parseLong(args[3]));
        for (int c = 0; c < colours.length; c++) {
            File folder = new File(root, "class" + c);
            folder.mkdirs();
            for (int i = 0; i < perClass; i++) {
                BufferedImage image = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
                Graphics2D g = image.createGraphics();
                int grey = random.nextInt(256);
                g.setColor(new Color(grey, grey, grey));
                g.fillRect(0, 0, size, size);
                g.setColor(colours[c]);
                int d = size / 3 + random.nextInt(size / 2);
                g.fillOval(random.nextInt(size - d + 1), random.nextInt(size - d + 1), d, d);
                for (int n = 0; n < 20; n++) {
                    g.setColor(new Color(random.nextInt(256), random.nextInt(256), random.nextInt(256)));
                    g.fillRect(random.nextInt(size), random.nextInt(size), 3, 3);
                }
                g.dispose();
                ImageIO.write(image, "png", new File(folder, String.format("img-%05d.png", i)));
            }
        }
    }
}
