package dev.balcon.data;

import static dev.balcon.data.ImageFolder.DEFAULT_MAX_IMAGE_PIXELS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.balcon.BalconException;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.spi.IIORegistry;
import javax.imageio.spi.ImageReaderSpi;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Image files as found in the wild: hidden copies, decompression bombs, cut-off and CMYK JPEGs. */
class ImageLoadingRobustnessTest {
    @TempDir
    Path root;

    static byte[] png(BufferedImage image) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        assertThat(ImageIO.write(image, "png", bytes)).isTrue();
        return bytes.toByteArray();
    }

    static byte[] jpeg(BufferedImage image) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        assertThat(ImageIO.write(image, "jpg", bytes)).isTrue();
        return bytes.toByteArray();
    }

    static BufferedImage gray(int side, int value) {
        BufferedImage image = new BufferedImage(side, side, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < side; y++) {
            for (int x = 0; x < side; x++) {
                image.getRaster().setSample(x, y, 0, value);
            }
        }
        return image;
    }

    /** Random colours: every scanline carries entropy-coded data, so a cut anywhere loses some of it. */
    static BufferedImage textured(int side, long seed) {
        BufferedImage image = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
        Random random = new Random(seed);
        for (int y = 0; y < side; y++) {
            for (int x = 0; x < side; x++) {
                image.setRGB(x, y, random.nextInt());
            }
        }
        return image;
    }

    private Path write(String relative, byte[] content) throws IOException {
        Path file = root.resolve(relative);
        Files.createDirectories(file.getParent());
        return Files.write(file, content);
    }

    private void writeImages(String folder, int count) throws IOException {
        for (int i = 0; i < count; i++) {
            write(folder + "/img" + i + ".png", png(gray(4, 10 * i)));
        }
    }

    // ---- hidden entries ----------------------------------------------------------------------------------

    @Test
    void classFoldersIgnoreHiddenAndMacosxEntriesAtAnyDepth() throws IOException {
        writeImages("cat", 12);
        writeImages("dog", 3);
        // what Jupyter, macOS Finder and zip archives leave behind
        write("cat/.ipynb_checkpoints/img1-checkpoint.png", png(gray(4, 1)));
        write("cat/sub/.hidden/deeper/img.png", png(gray(4, 1)));
        write("cat/sub/__MACOSX/img.png", png(gray(4, 1)));
        write("dog/.DS_Store.png", png(gray(4, 1)));
        write("__MACOSX/cat/._img0.png", png(gray(4, 1)));
        write(".trash/cat/img.png", png(gray(4, 1)));

        ImageDataset ds = ImageFolder.load(root, 1, 2, 2, true);
        assertThat(ds.classNames()).containsExactly("cat", "dog");
        assertThat(ds.classCounts()).containsExactly(12, 3);
    }

    @Test
    void unlabelledFoldersIgnoreHiddenSubFolders() throws IOException {
        writeImages("a", 7);
        writeImages("b/c", 5);
        write(".cache/x.png", png(gray(4, 1)));
        write("b/.thumbnails/y.png", png(gray(4, 1)));
        write("b/c/__MACOSX/._z.png", png(gray(4, 1)));

        ImageFolder.LoadResult result = ImageFolder.loadUnlabelledWithReport(root, 1, 2, 2, true, DEFAULT_MAX_IMAGE_PIXELS, null);
        assertThat(result.dataset().size()).isEqualTo(12);
    }

    // ---- very large images -------------------------------------------------------------------------------

    @Test
    void skipsAnImageAboveThePixelLimitAndNamesItInStrictMode() throws IOException {
        writeImages("cat", 3);
        Path huge = write("cat/huge.png", TestImageFiles.pngHeaderOnly(30000, 30000));

        ImageFolder.LoadResult result = ImageFolder.loadWithReport(root, 3, 8, 8, false, DEFAULT_MAX_IMAGE_PIXELS, null);
        assertThat(result.dataset().size()).isEqualTo(3);
        assertThat(result.skipped()).singleElement().satisfies(skipped -> {
            assertThat(skipped.file()).isEqualTo(huge);
            assertThat(skipped.reason()).contains("30000x30000", "900000000 pixels", "89478485");
        });
        assertThatThrownBy(() -> ImageFolder.load(root, 3, 8, 8, true))
                .isInstanceOf(BalconException.class)
                .hasMessageContaining(huge.toString())
                .hasMessageContaining("89478485")
                .hasMessageNotContaining("\n");
    }

    @Test
    void thePixelLimitIsSettableAndPartOfTheCacheKey(@TempDir Path cacheDir) throws IOException {
        write("cat/small.png", png(gray(10, 50)));
        Path large = write("cat/large.png", png(gray(11, 60)));

        ImageFolder.LoadResult limited = ImageFolder.loadWithReport(root, 1, 2, 2, false, 100, cacheDir);
        assertThat(limited.dataset().size()).isEqualTo(1);
        assertThat(limited.skipped()).singleElement().satisfies(skipped -> {
            assertThat(skipped.file()).isEqualTo(large);
            assertThat(skipped.reason()).isEqualTo("11x11 = 121 pixels, above the limit of 100 pixels (maxImagePixels)");
        });
        // a cached result of a lower limit is not reused for a higher one
        ImageFolder.LoadResult raised = ImageFolder.loadWithReport(root, 1, 2, 2, false, 121, cacheDir);
        assertThat(raised.fromCache()).isFalse();
        assertThat(raised.skipped()).isEmpty();
        assertThat(raised.dataset().size()).isEqualTo(2);
        assertThatThrownBy(() -> ImageFolder.loadWithReport(root, 1, 2, 2, false, 0, null))
                .isInstanceOf(BalconException.class).hasMessage("maxImagePixels must be >= 1, got 0");
    }

    // ---- truncated JPEGs ---------------------------------------------------------------------------------

    @Test
    void loadsAJpegMissingOnlyItsEndMarkerAndSkipsOneCutInItsScanData() throws IOException {
        writeImages("cat", 2);
        byte[] full = jpeg(textured(64, 3));
        assertThat(Arrays.copyOfRange(full, full.length - 2, full.length)).containsExactly(0xFF, 0xD9);
        Path noEnd = write("cat/no-end-marker.jpg", Arrays.copyOf(full, full.length - 2));
        write("dog/complete.jpg", full);
        Path cut = write("dog/cut.jpg", Arrays.copyOf(full, full.length / 2));

        ImageFolder.LoadResult result = ImageFolder.loadWithReport(root, 3, 8, 8, false, DEFAULT_MAX_IMAGE_PIXELS, null);
        assertThat(result.skipped()).singleElement().satisfies(skipped -> {
            assertThat(skipped.file()).isEqualTo(cut);
            assertThat(skipped.reason()).contains("truncated");
        });
        assertThat(result.missingEndMarker()).containsExactly(noEnd);
        ImageDataset ds = result.dataset();
        assertThat(ds.classCounts()).containsExactly(3, 1);
        // every scanline is there: the same pixels as the complete file
        assertThat(Arrays.copyOfRange(ds.pixels(), ds.pixelOffset(2), ds.pixelOffset(4)))
                .isEqualTo(concat(Arrays.copyOfRange(ds.pixels(), ds.pixelOffset(3), ds.pixelOffset(4)),
                        Arrays.copyOfRange(ds.pixels(), ds.pixelOffset(3), ds.pixelOffset(4))));
        assertThatThrownBy(() -> ImageFolder.load(root, 3, 8, 8, true))
                .isInstanceOf(BalconException.class)
                .hasMessageContaining(cut.toString())
                .hasMessageNotContaining(noEnd.toString());
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] both = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return both;
    }

    // ---- CMYK and YCCK JPEGs -----------------------------------------------------------------------------

    /** A 16x16 four-component JPEG of one colour, as the JDK writes it: raw components, no Adobe segment. */
    static byte[] fourComponentJpeg(int[] components) throws IOException {
        WritableRaster raster = Raster.createInterleavedRaster(DataBuffer.TYPE_BYTE, 16, 16, 4, null);
        for (int y = 0; y < 16; y++) {
            for (int x = 0; x < 16; x++) {
                raster.setPixel(x, y, components);
            }
        }
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
            writer.setOutput(out);
            writer.write(new IIOImage(raster, null, null));
        } finally {
            writer.dispose();
        }
        byte[] jpeg = bytes.toByteArray();
        // the claim the tests rest on: no APP14 segment between SOI and the first table
        assertThat(new String(jpeg, StandardCharsets.ISO_8859_1)).doesNotContain("Adobe");
        return jpeg;
    }

    /** The JPEG with an Adobe APP14 segment (version 100, the given colour transform) right after SOI. */
    static byte[] withAdobeSegment(byte[] jpeg, int transform) {
        byte[] segment = {(byte) 0xFF, (byte) 0xEE, 0, 14, 'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0,
            (byte) transform};
        byte[] result = new byte[jpeg.length + segment.length];
        System.arraycopy(jpeg, 0, result, 0, 2);
        System.arraycopy(segment, 0, result, 2, segment.length);
        System.arraycopy(jpeg, 2, result, 2 + segment.length, jpeg.length - 2);
        return result;
    }

    private static int clampByte(double value) {
        return (int) Math.max(0, Math.min(255, Math.round(value)));
    }

    /** Ink amounts (C, M, Y, K in 0..255) as the three encodings store them. */
    static byte[] cmykJpeg(String encoding, int c, int m, int y, int k) throws IOException {
        return switch (encoding) {
            // plain CMYK (no Adobe segment): the ink amounts as they are
            case "plain" -> fourComponentJpeg(new int[] {c, m, y, k});
            // Adobe CMYK (transform 0): inverted ink amounts, as Photoshop writes them
            case "adobe-cmyk" -> withAdobeSegment(fourComponentJpeg(new int[] {255 - c, 255 - m, 255 - y, 255 - k}), 0);
            // Adobe YCCK (transform 2): C, M, Y through the JFIF RGB -> YCbCr transform, K inverted (as libjpeg)
            case "adobe-ycck" -> withAdobeSegment(fourComponentJpeg(new int[] {
                clampByte(0.299 * c + 0.587 * m + 0.114 * y),
                clampByte(128 - 0.168736 * c - 0.331264 * m + 0.5 * y),
                clampByte(128 + 0.5 * c - 0.418688 * m - 0.081312 * y),
                255 - k}), 2);
            default -> throw new IllegalArgumentException(encoding);
        };
    }

    @Test
    void decodesCmykAndYcckJpegsWithAndWithoutTheAdobeSegment() throws IOException {
        String[] encodings = {"plain", "adobe-cmyk", "adobe-ycck"};
        for (String encoding : encodings) {
            write("a/" + encoding + "-red.jpg", cmykJpeg(encoding, 0, 255, 255, 0));
            write("b/" + encoding + "-grey.jpg", cmykJpeg(encoding, 0, 0, 0, 128));
            write("c/" + encoding + "-teal.jpg", cmykJpeg(encoding, 200, 40, 90, 30));
        }
        ImageDataset ds = ImageFolder.load(root, 3, 4, 4, true);
        // RGB = 255 (1 - C)(1 - K) per channel, with C, M, Y, K in [0, 1]
        int[][] expected = {{255, 0, 0}, {127, 127, 127}, {49, 190, 146}};
        for (int image = 0; image < ds.size(); image++) {
            int label = ds.label(image);
            for (int channel = 0; channel < 3; channel++) {
                for (int i = 0; i < 16; i++) {
                    int value = ds.pixels()[ds.pixelOffset(image) + channel * 16 + i] & 0xFF;
                    assertThat(value).as("%s image %d channel %d", ds.classNames().get(label), image, channel)
                            .isBetween(expected[label][channel] - 6, expected[label][channel] + 6);
                }
            }
        }
    }

    // ---- decoders failing in unexpected ways --------------------------------------------------------------

    /**
     * A decoder for files starting with "BOOM" that fails the way decoders do on hostile input; the fifth
     * byte chooses how: 'R' an unchecked exception while reading, 'O' out of memory, 'C' an image whose colour
     * model cannot be produced.
     */
    static final class FailingReaderSpi extends ImageReaderSpi {
        FailingReaderSpi() {
            super("balcon-test", "1", new String[] {"boom"}, new String[] {"png"}, new String[] {"image/x-boom"},
                    FailingReader.class.getName(), new Class<?>[] {ImageInputStream.class}, null, false, null, null,
                    null, null, false, null, null, null, null);
        }

        @Override
        public boolean canDecodeInput(Object source) throws IOException {
            ImageInputStream input = (ImageInputStream) source;
            byte[] magic = new byte[4];
            input.mark();
            try {
                return input.read(magic) == 4 && Arrays.equals(magic, "BOOM".getBytes(StandardCharsets.US_ASCII));
            } finally {
                input.reset();
            }
        }

        @Override
        public ImageReader createReaderInstance(Object extension) {
            return new FailingReader(this);
        }

        @Override
        public String getDescription(Locale locale) {
            return "decoder that fails";
        }
    }

    static final class FailingReader extends ImageReader {
        FailingReader(ImageReaderSpi provider) {
            super(provider);
        }

        private int mode() throws IOException {
            ImageInputStream input = (ImageInputStream) getInput();
            input.seek(4);
            return input.read();
        }

        @Override
        public int getNumImages(boolean allowSearch) {
            return 1;
        }

        @Override
        public int getWidth(int imageIndex) {
            return 4;
        }

        @Override
        public int getHeight(int imageIndex) {
            return 4;
        }

        @Override
        public Iterator<ImageTypeSpecifier> getImageTypes(int imageIndex) {
            return List.of(ImageTypeSpecifier.createFromBufferedImageType(BufferedImage.TYPE_BYTE_GRAY)).iterator();
        }

        @Override
        public IIOMetadata getStreamMetadata() {
            return null;
        }

        @Override
        public IIOMetadata getImageMetadata(int imageIndex) {
            return null;
        }

        @Override
        public BufferedImage read(int imageIndex, ImageReadParam param) throws IOException {
            return switch (mode()) {
                case 'R' -> throw new ArrayIndexOutOfBoundsException(-7);
                case 'O' -> throw new OutOfMemoryError("Java heap space");
                default -> new BufferedImage(4, 4, BufferedImage.TYPE_BYTE_GRAY) {
                    @Override
                    public ColorModel getColorModel() {
                        throw new NegativeArraySizeException("-1594967296");
                    }
                };
            };
        }
    }

    /** A file for {@link FailingReaderSpi}, longer than the PNG and JPEG signatures that are probed first. */
    private static byte[] boom(char mode) {
        return ("BOOM" + mode + "-padding-padding").getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void anyFailureInsideADecoderSkipsThatFileOnly() throws IOException {
        FailingReaderSpi spi = new FailingReaderSpi();
        IIORegistry.getDefaultInstance().registerServiceProvider(spi);
        try {
            writeImages("cat", 2);
            write("cat/x-runtime.png", boom('R'));
            write("cat/y-memory.png", boom('O'));
            Path colour = write("cat/z-colour.png", boom('C'));

            ImageFolder.LoadResult result = ImageFolder.loadWithReport(root, 3, 2, 2, false, DEFAULT_MAX_IMAGE_PIXELS, null);
            assertThat(result.dataset().size()).isEqualTo(2);
            assertThat(result.skipped()).extracting(skipped -> skipped.file().getFileName().toString())
                    .containsExactly("x-runtime.png", "y-memory.png", "z-colour.png");
            assertThat(result.skipped()).extracting(ImageFolder.SkippedFile::reason)
                    .allSatisfy(reason -> assertThat(reason).doesNotContain("\n").isNotBlank())
                    .anySatisfy(reason -> assertThat(reason).contains("ArrayIndexOutOfBoundsException"))
                    .anySatisfy(reason -> assertThat(reason).contains("memory"))
                    .anySatisfy(reason -> assertThat(reason).contains("NegativeArraySizeException"));

            Files.delete(root.resolve("cat/x-runtime.png"));
            Files.delete(root.resolve("cat/y-memory.png"));
            assertThatThrownBy(() -> ImageFolder.load(root, 3, 2, 2, true))
                    .isInstanceOf(BalconException.class)
                    .hasMessageContaining(colour.toString())
                    .hasMessageNotContaining("\n");
        } finally {
            IIORegistry.getDefaultInstance().deregisterServiceProvider(spi);
        }
    }
}
