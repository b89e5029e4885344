package dev.balcon.spark;

import javax.imageio.IIOException;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.event.IIOReadWarningListener;
import javax.imageio.stream.ImageInputStream;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import java.util.Locale;

/**
 * Decodes the bytes of one image file (any format javax.imageio reads: PNG, JPEG, ...) into a {@link BufferedImage},
 * with the core's safeguards for files read from a folder: the size is read from the header first and an image of
 * more than {@code maxPixels} pixels is refused unread, and a JPEG whose data ends before its last scanline (which the
 * JPEG decoder would fill with grey, warning only) is an error.
 */
final class ImageBytes {
    /** The core's default limit (ImageFolder.DEFAULT_MAX_IMAGE_PIXELS, Pillow's decompression-bomb limit). */
    static final long DEFAULT_MAX_PIXELS = dev.balcon.data.ImageFolder.DEFAULT_MAX_IMAGE_PIXELS;

    private ImageBytes() {}

    /**
     * @throws IOException naming why if no decoder recognises the bytes, the image has more than {@code maxPixels}
     *                     pixels, or it is corrupt or truncated
     */
    static BufferedImage decode(byte[] bytes, long maxPixels) throws IOException {
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new IIOException("not an image format javax.imageio reads (" + bytes.length + " bytes)");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                long pixels = (long) reader.getWidth(0) * reader.getHeight(0);
                if (pixels > maxPixels) {
                    throw new IIOException(reader.getWidth(0) + "x" + reader.getHeight(0) + " pixels, more than the limit of "
                            + maxPixels);
                }
                String[] truncation = {null};
                reader.addIIOReadWarningListener(new IIOReadWarningListener() {
                    @Override
                    public void warningOccurred(ImageReader source, String warning) {
                        if (warning != null && warning.toLowerCase(Locale.ROOT).contains("premature end")) {
                            truncation[0] = warning;
                        }
                    }
                });
                BufferedImage image = reader.read(0);
                if (truncation[0] != null) {
                    throw new IIOException("truncated: " + truncation[0]);
                }
                return image;
            } catch (RuntimeException e) {
                // decoders throw unchecked exceptions on some malformed input (a PNG chunk of negative length, ...)
                throw new IIOException("not decodable: " + e, e);
            } finally {
                reader.dispose();
            }
        }
    }
}
