package dev.balcon.data;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.ComponentSampleModel;
import java.awt.image.DataBufferByte;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.spi.ImageReaderSpi;
import javax.imageio.stream.FileImageInputStream;
import javax.imageio.stream.ImageInputStream;

/**
 * Decodes one image file (any format javax.imageio reads: JPEG, PNG, ...) into uint8 channel-planar
 * pixels of a fixed size. Alpha is dropped; grayscale becomes RGB by repeating the value, RGB becomes
 * grayscale by ITU-R 601 luma (as PIL's {@code convert("L")}); then {@link Resize} fits the size.
 */
final class ImageDecoder {
    /**
     * Lower-case fragments of the warnings the JPEG decoder gives for a file cut short ("Truncated File -
     * Missing EOI marker", "Corrupt JPEG data: premature end of data segment"); it then fills the rest
     * with grey instead of failing, so these warnings must be treated as errors.
     */
    private static final List<String> TRUNCATION_WARNINGS = List.of("truncated", "premature end");

    private static final List<ImageReaderSpi> COMMON_FORMATS = Stream.of("png", "jpeg")
            .map(format -> ImageIO.getImageReadersByFormatName(format).next().getOriginatingProvider())
            .toList();

    private ImageDecoder() {
    }

    /**
     * Decodes {@code file} into {@code out[offset .. offset + channels*height*width)}.
     *
     * @throws IOException if the file cannot be read, no decoder recognises it, or it is corrupt or truncated
     */
    static void decode(Path file, int channels, int height, int width, byte[] out, int offset) throws IOException {
        decode(read(file), channels, height, width, out, offset);
    }

    /** Converts and resizes a decoded image into {@code out[offset .. offset + channels*height*width)}. */
    static void decode(BufferedImage image, int channels, int height, int width, byte[] out, int offset) {
        int srcWidth = image.getWidth();
        int srcHeight = image.getHeight();
        float[] planes = toPlanes(image, channels);
        Resize.coverAndCenterCrop(planes, channels, srcHeight, srcWidth, out, offset, height, width);
    }

    private static BufferedImage read(Path file) throws IOException {
        // FileImageInputStream reads the file directly, without ImageIO's temporary cache files
        try (ImageInputStream input = new FileImageInputStream(file.toFile())) {
            ImageReader reader = readerFor(input);
            List<String> warnings = new ArrayList<>();
            reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
            try {
                reader.setInput(input, true, true);
                BufferedImage image = reader.read(0);
                for (String warning : warnings) {
                    String lower = warning.toLowerCase(Locale.ROOT);
                    if (TRUNCATION_WARNINGS.stream().anyMatch(lower::contains)) {
                        throw new IOException("truncated image (" + warning + ")");
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

    /**
     * A reader for the stream's format, checking PNG and JPEG first: asking ImageIO to probe every
     * registered format costs more than decoding a small image.
     */
    private static ImageReader readerFor(ImageInputStream input) throws IOException {
        for (ImageReaderSpi provider : COMMON_FORMATS) {
            if (provider.canDecodeInput(input)) {
                return provider.createReaderInstance();
            }
        }
        Iterator<ImageReader> readers = ImageIO.getImageReaders(input);
        if (!readers.hasNext()) {
            throw new IOException("not an image format javax.imageio can decode");
        }
        return readers.next();
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
        if (plainComponents && image.getRaster().getDataBuffer() instanceof DataBufferByte bytes
                && bytes.getNumBanks() == 1 && image.getRaster().getSampleModel() instanceof ComponentSampleModel layout
                && image.getRaster().getSampleModelTranslateX() == 0
                && image.getRaster().getSampleModelTranslateY() == 0) {
            // the common 8-bit case (JPEG, PNG): read the backing array directly, ~10x faster than getPixels
            byte[] data = bytes.getData();
            int[] bandOffsets = layout.getBandOffsets();
            int pixelStride = layout.getPixelStride();
            int scanlineStride = layout.getScanlineStride();
            boolean gray = colorSpaceType == ColorSpace.TYPE_GRAY;
            int redOffset = bytes.getOffset() + bandOffsets[0];
            int greenOffset = bytes.getOffset() + bandOffsets[gray ? 0 : 1];
            int blueOffset = bytes.getOffset() + bandOffsets[gray ? 0 : 2];
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    int position = y * scanlineStride + x * pixelStride;
                    store(planes, channels, pixelCount, y * width + x, data[redOffset + position] & 0xFF,
                            data[greenOffset + position] & 0xFF, data[blueOffset + position] & 0xFF);
                }
            }
        } else if (plainComponents) {
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
