package dev.balcon.spark;

import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ImageBytesTest {
    private static byte[] encode(String format, int width, int height) throws IOException {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D graphics = image.createGraphics();
        graphics.setColor(new Color(200, 30, 90));
        graphics.fillOval(3, 5, width / 2, height / 2);
        graphics.dispose();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, format, out);
        return out.toByteArray();
    }

    @Test
    void decodesPngAndJpegToTheirSize() throws IOException {
        for (String format : new String[] {"png", "jpeg"}) {
            BufferedImage image = ImageBytes.decode(encode(format, 40, 30), ImageBytes.DEFAULT_MAX_PIXELS);
            assertThat(new int[] {image.getWidth(), image.getHeight()}).containsExactly(40, 30);
        }
    }

    @Test
    void refusesImagesOverThePixelLimitUnread() throws IOException {
        byte[] png = encode("png", 40, 30);
        assertThat(ImageBytes.decode(png, 1200).getWidth()).isEqualTo(40);
        assertThatThrownBy(() -> ImageBytes.decode(png, 1199)).isInstanceOf(IOException.class)
                .hasMessage("40x30 pixels, more than the limit of 1199");
    }

    @Test
    void refusesAJpegWhoseDataEndEarlyAndBytesOfNoImageFormat() throws IOException {
        // random pixels, so that the scan data are most of the file and a cut at 60% falls inside them
        BufferedImage noise = new BufferedImage(128, 128, BufferedImage.TYPE_INT_RGB);
        java.util.SplittableRandom random = new java.util.SplittableRandom(3);
        for (int y = 0; y < 128; y++) {
            for (int x = 0; x < 128; x++) {
                noise.setRGB(x, y, random.nextInt(1 << 24));
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(noise, "jpeg", out);
        byte[] jpeg = out.toByteArray();
        assertThat(ImageBytes.decode(jpeg, ImageBytes.DEFAULT_MAX_PIXELS).getWidth()).isEqualTo(128);
        byte[] truncated = Arrays.copyOf(jpeg, jpeg.length * 6 / 10);
        assertThatThrownBy(() -> ImageBytes.decode(truncated, ImageBytes.DEFAULT_MAX_PIXELS))
                .isInstanceOf(IOException.class).hasMessageContaining("truncated");
        assertThatThrownBy(() -> ImageBytes.decode(new byte[] {1, 2, 3}, ImageBytes.DEFAULT_MAX_PIXELS))
                .isInstanceOf(IOException.class).hasMessage("not an image format javax.imageio reads (3 bytes)");
    }
}
