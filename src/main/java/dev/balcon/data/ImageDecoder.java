package dev.balcon.data;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.ComponentSampleModel;
import java.awt.image.DataBufferByte;
import java.awt.image.Raster;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.spi.ImageReaderSpi;
import javax.imageio.stream.FileImageInputStream;
import javax.imageio.stream.ImageInputStream;

/**
 * Decodes one image file (any format javax.imageio reads: JPEG, PNG, ...) into uint8 channel-planar
 * pixels of a fixed size. Alpha is dropped; grayscale becomes RGB by repeating the value, RGB becomes
 * grayscale by ITU-R 601 luma (as PIL's {@code convert("L")}); then {@link Resize} fits the size.
 *
 * <p>Four-component JPEGs are CMYK or YCCK: they are read as raw components and converted to RGB by
 * {@code 255 (1 - C)(1 - K)} per channel (no ICC colour management). Without an Adobe APP14 segment the
 * components are taken as plain ink amounts (as libjpeg writes them); with one, as Adobe writes them: CMYK
 * inverted (transform 0) or, for any other transform, YCCK (YCbCr-coded C, M, Y and an inverted K).
 */
final class ImageDecoder {
    /**
     * Lower-case fragment of the JPEG decoder's warning for image data that ends before the last scanline
     * ("Corrupt JPEG data: premature end of data segment"); the decoder then fills the rest with grey
     * instead of failing, so this warning is an error.
     */
    private static final String MISSING_DATA_WARNING = "premature end";

    /**
     * Lower-case fragment of the warning for a JPEG whose end-of-image marker is missing ("Truncated File -
     * Missing EOI marker"); alone, every scanline is present and the image is used.
     */
    private static final String MISSING_END_MARKER_WARNING = "missing eoi";

    private static final ImageReaderSpi PNG = ImageIO.getImageReadersByFormatName("png").next()
            .getOriginatingProvider();
    private static final ImageReaderSpi JPEG = ImageIO.getImageReadersByFormatName("jpeg").next()
            .getOriginatingProvider();
    private static final List<ImageReaderSpi> COMMON_FORMATS = List.of(PNG, JPEG);

    /** How a file decoded. */
    enum Outcome {
        /** Decoded as it is. */
        COMPLETE,
        /** A JPEG holding every scanline but lacking its end-of-image marker. */
        MISSING_END_MARKER
    }

    private ImageDecoder() {
    }

    /** Converts and resizes a decoded image into {@code out[offset .. offset + channels*height*width)}. */
    static void decode(BufferedImage image, int channels, int height, int width, byte[] out, int offset) {
        float[] planes = toPlanes(image, channels);
        Resize.coverAndCenterCrop(planes, channels, image.getHeight(), image.getWidth(), out, offset, height, width);
    }

    /**
     * Decodes {@code file} into {@code out[offset .. offset + channels*height*width)}. The image's size is
     * read from its header first: an image of more than {@code maxImagePixels} pixels is not decoded.
     *
     * @param maxImagePixels largest width x height decoded, >= 1
     * @return whether the file was complete
     * @throws IOException if the file cannot be read, no decoder recognises it, it has more pixels than
     *                     {@code maxImagePixels}, or it is corrupt or truncated
     */
    static Outcome decode(Path file, int channels, int height, int width, long maxImagePixels, byte[] out,
                          int offset) throws IOException {
        // FileImageInputStream reads the file directly, without ImageIO's temporary cache files
        try (ImageInputStream input = new FileImageInputStream(file.toFile())) {
            ImageReader reader = readerFor(input);
            JpegHeader jpeg = reader.getOriginatingProvider() == JPEG ? JpegHeader.scan(input) : null;
            List<String> warnings = new ArrayList<>();
            reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning.toLowerCase(Locale.ROOT)));
            try {
                reader.setInput(input, true, true);
                int srcWidth = reader.getWidth(0);
                int srcHeight = reader.getHeight(0);
                long pixels = (long) srcWidth * srcHeight;
                if (pixels > maxImagePixels) {
                    throw new IOException(srcWidth + "x" + srcHeight + " = " + pixels
                            + " pixels, above the limit of " + maxImagePixels + " pixels (maxImagePixels)");
                }
                float[] planes = jpeg != null && jpeg.components() == 4
                        ? cmykPlanes(reader.readRaster(0, null), jpeg.adobeTransform(), channels)
                        : toPlanes(reader.read(0), channels);
                if (warnings.stream().anyMatch(warning -> warning.contains(MISSING_DATA_WARNING))) {
                    throw new IOException("truncated image: part of the image data is missing");
                }
                Resize.coverAndCenterCrop(planes, channels, srcHeight, srcWidth, out, offset, height, width);
                return warnings.stream().anyMatch(warning -> warning.contains(MISSING_END_MARKER_WARNING))
                        ? Outcome.MISSING_END_MARKER : Outcome.COMPLETE;
            } catch (RuntimeException e) {
                // corrupt data can surface as unchecked exceptions deep inside the decoders
                throw new IOException("corrupt image data (" + e + ")", e);
            } finally {
                reader.dispose();
            }
        }
    }

    /**
     * The frame's component count and the transform of its Adobe APP14 segment (-1 without one), from the
     * JPEG markers before the first scan.
     */
    record JpegHeader(int components, int adobeTransform) {
        private static final int START_OF_SCAN = 0xDA;
        private static final int END_OF_IMAGE = 0xD9;
        private static final int APP14 = 0xEE;

        /**
         * Reads the markers from the stream's start and leaves its position where it was; null if they are
         * not well formed (the decoder then reports what is wrong).
         */
        static JpegHeader scan(ImageInputStream in) throws IOException {
            in.mark();
            try {
                in.seek(0);
                if (in.readUnsignedShort() != 0xFFD8) {
                    return null;
                }
                int components = 0;
                int transform = -1;
                while (true) {
                    if (in.readUnsignedByte() != 0xFF) {
                        return null;
                    }
                    int marker = in.readUnsignedByte();
                    while (marker == 0xFF) {
                        marker = in.readUnsignedByte();
                    }
                    if (marker == START_OF_SCAN || marker == END_OF_IMAGE) {
                        return new JpegHeader(components, transform);
                    }
                    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
                        continue; // markers without a length field
                    }
                    int length = in.readUnsignedShort();
                    if (length < 2) {
                        return null;
                    }
                    long next = in.getStreamPosition() + length - 2;
                    if (isStartOfFrame(marker) && length >= 8) {
                        in.skipBytes(5); // precision, height, width
                        components = in.readUnsignedByte();
                    } else if (marker == APP14 && length >= 14) {
                        byte[] identifier = new byte[5];
                        in.readFully(identifier);
                        if (new String(identifier, StandardCharsets.US_ASCII).equals("Adobe")) {
                            in.skipBytes(6); // version, flags0, flags1
                            transform = in.readUnsignedByte();
                        }
                    }
                    in.seek(next);
                }
            } catch (EOFException e) {
                return null;
            } finally {
                in.reset();
            }
        }

        private static boolean isStartOfFrame(int marker) {
            return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
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
        int pixelCount = Math.multiplyExact(width, height);
        float[] planes = new float[Math.multiplyExact(channels, pixelCount)];
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

    /**
     * RGB (or luma) planes of a four-component JPEG raster: the raw components as {@link ImageDecoder}
     * explains, converted by {@code 255 (1 - C)(1 - K)} per channel.
     *
     * @param adobeTransform the Adobe APP14 transform, or -1 without that segment
     */
    private static float[] cmykPlanes(Raster raster, int adobeTransform, int channels) {
        int width = raster.getWidth();
        int height = raster.getHeight();
        int pixelCount = Math.multiplyExact(width, height);
        float[] planes = new float[Math.multiplyExact(channels, pixelCount)];
        int[] row = new int[Math.multiplyExact(width, 4)];
        for (int y = 0; y < height; y++) {
            raster.getPixels(raster.getMinX(), raster.getMinY() + y, width, 1, row);
            for (int x = 0; x < width; x++) {
                int base = 4 * x;
                float cyan;
                float magenta;
                float yellow;
                float black;
                if (adobeTransform < 0) {
                    cyan = row[base];
                    magenta = row[base + 1];
                    yellow = row[base + 2];
                    black = row[base + 3];
                } else if (adobeTransform == 0) {
                    cyan = 255 - row[base];
                    magenta = 255 - row[base + 1];
                    yellow = 255 - row[base + 2];
                    black = 255 - row[base + 3];
                } else {
                    // JFIF YCbCr -> "RGB", which in YCCK carries C, M, Y themselves (libjpeg's convention)
                    float luma = row[base];
                    float blueDifference = row[base + 1] - 128f;
                    float redDifference = row[base + 2] - 128f;
                    cyan = clamp(luma + 1.402f * redDifference);
                    magenta = clamp(luma - 0.344136f * blueDifference - 0.714136f * redDifference);
                    yellow = clamp(luma + 1.772f * blueDifference);
                    black = 255 - row[base + 3];
                }
                float white = (255 - black) / 255f;
                store(planes, channels, pixelCount, y * width + x, (255 - cyan) * white, (255 - magenta) * white,
                        (255 - yellow) * white);
            }
        }
        return planes;
    }

    private static float clamp(float value) {
        return Math.max(0f, Math.min(255f, value));
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
