package dev.balcon.data;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.FileImageInputStream;
import javax.imageio.stream.ImageInputStream;

/**
 * Decodes one image file (any format javax.imageio reads: JPEG, PNG, ...) into uint8 channel-planar
 * pixels of a fixed size. Alpha is dropped; grayscale becomes RGB by repeating the value, RGB becomes
 * grayscale by ITU-R 601 luma (as PIL's {@code convert("L")}); then {@link Resize} fits the size.
 */
final class ImageDecoder {
    /** libjpeg's warning for a file cut short; the decoder fills the rest with grey instead of failing. */
    private static final String TRUNCATED_JPEG_WARNING = "Premature end of JPEG file";

    private ImageDecoder() {
    }

    /**
     * Decodes {@code file} into {@code out[offset .. offset + channels*height*width)}.
     *
     * @throws IOException if the file cannot be read, no decoder recognises it, or it is corrupt or truncated
     */
    static void decode(Path file, int channels, int height, int width, byte[] out, int offset) throws IOException {
        BufferedImage image = read(file);
        int srcWidth = image.getWidth();
        int srcHeight = image.getHeight();
        float[] planes = toPlanes(image, channels);
        Resize.coverAndCenterCrop(planes, channels, srcHeight, srcWidth, out, offset, height, width);
    }

    private static BufferedImage read(Path file) throws IOException {
        // FileImageInputStream reads the file directly, without ImageIO's temporary cache files
        try (ImageInputStream input = new FileImageInputStream(file.toFile())) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(input);
            if (!readers.hasNext()) {
                throw new IOException("not an image format javax.imageio can decode");
            }
            ImageReader reader = readers.next();
            List<String> warnings = new ArrayList<>();
            reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
            try {
                reader.setInput(input, true, true);
                BufferedImage image = reader.read(0);
                for (String warning : warnings) {
                    if (warning.contains(TRUNCATED_JPEG_WARNING)) {
                        throw new IOException("truncated JPEG (" + warning + ")");
                    }
                }
                return image;
            } catch (RuntimeException e) {
                // corrupt data can surface as unchecked exceptions deep inside the decoders
                throw new IOException("corrupt image data (" + e + ")", e);
            } finally {
                reader.dispose();
            }
        }
    }

    /** The image as {@code channels} float planes of values in [0, 255]. */
    private static float[] toPlanes(BufferedImage image, int channels) {
        int width = image.getWidth();
        int height = image.getHeight();
        int pixelCount = width * height;
        float[] planes = new float[channels * pixelCount];
        ColorModel colorModel = image.getColorModel();
        int colorSpaceType = colorModel.getColorSpace().getType();
        boolean plainComponents = colorModel instanceof ComponentColorModel
                && (colorSpaceType == ColorSpace.TYPE_GRAY || colorSpaceType == ColorSpace.TYPE_RGB)
                && (colorModel.getComponentSize(0) == 8 || colorModel.getComponentSize(0) == 16);
        if (plainComponents) {
            // raw samples: getRGB() would gamma-convert grayscale through a linear colour space
            Raster raster = image.getRaster();
            int bands = raster.getNumBands();
            int colorBands = colorSpaceType == ColorSpace.TYPE_GRAY ? 1 : 3;
            float toByte = colorModel.getComponentSize(0) == 16 ? 1f / 257 : 1f;
            int[] row = new int[width * bands];
            for (int y = 0; y < height; y++) {
                raster.getPixels(0, y, width, 1, row);
                for (int x = 0; x < width; x++) {
                    int base = x * bands;
                    if (colorBands == 1) {
                        store(planes, channels, pixelCount, y * width + x, row[base] * toByte,
                                row[base] * toByte, row[base] * toByte);
                    } else {
                        store(planes, channels, pixelCount, y * width + x, row[base] * toByte,
                                row[base + 1] * toByte, row[base + 2] * toByte);
                    }
                }
            }
        } else {
            // palette, packed and other layouts: let the colour model produce sRGB
            int[] row = new int[width];
            for (int y = 0; y < height; y++) {
                image.getRGB(0, y, width, 1, row, 0, width);
                for (int x = 0; x < width; x++) {
                    int argb = row[x];
                    store(planes, channels, pixelCount, y * width + x, (argb >> 16) & 0xFF, (argb >> 8) & 0xFF,
                            argb & 0xFF);
                }
            }
        }
        return planes;
    }

    private static void store(float[] planes, int channels, int pixelCount, int pixel, float red, float green,
                              float blue) {
        if (channels == 1) {
            planes[pixel] = red * 0.299f + green * 0.587f + blue * 0.114f;
        } else {
            planes[pixel] = red;
            planes[pixelCount + pixel] = green;
            planes[2 * pixelCount + pixel] = blue;
        }
    }
}
