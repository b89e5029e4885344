package dev.balcon.data;

import static dev.balcon.data.ImageFolder.DEFAULT_MAX_IMAGE_PIXELS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.balcon.BalconException;
import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderTest {
    @TempDir
    Path root;

    private static byte[] encode(BufferedImage image, String format) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        assertThat(ImageIO.write(image, format, bytes)).as("encoder for " + format).isTrue();
        return bytes.toByteArray();
    }

    private static BufferedImage solid(int type, int width, int height, int argb) {
        BufferedImage image = new BufferedImage(width, height, type);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.setRGB(x, y, argb);
            }
        }
        return image;
    }

    private static BufferedImage gray(int width, int height, int value) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.getRaster().setSample(x, y, 0, value);
            }
        }
        return image;
    }

    private Path write(String relative, byte[] content) throws IOException {
        Path file = root.resolve(relative);
        Files.createDirectories(file.getParent());
        return Files.write(file, content);
    }

    /** Pixels of image {@code index} as ints, channel-planar. */
    private static int[] image(ImageDataset ds, int index) {
        int[] values = new int[ds.imageSize()];
        for (int i = 0; i < values.length; i++) {
            values[i] = ds.pixels()[ds.pixelOffset(index) + i] & 0xFF;
        }
        return values;
    }

    private static int[] plane(ImageDataset ds, int index, int channel) {
        int planeSize = ds.height() * ds.width();
        return Arrays.copyOfRange(image(ds, index), channel * planeSize, (channel + 1) * planeSize);
    }

    /** Four classes, one image each, in various formats and odd sizes. */
    private void writeMixedTree() throws IOException {
        write("bird/rgb.png", encode(solid(BufferedImage.TYPE_INT_RGB, 37, 23, 0xC86432), "png"));
        write("cat/gray.png", encode(gray(15, 41, 77), "png"));
        // half the pixels fully transparent: the colour must come through unchanged either way
        BufferedImage rgba = solid(BufferedImage.TYPE_INT_ARGB, 9, 9, 0x800AC81E);
        rgba.setRGB(0, 0, 0x000AC81E);
        write("dog/rgba.png", encode(rgba, "png"));
        write("eel/photo.JPG", encode(solid(BufferedImage.TYPE_INT_RGB, 50, 30, 0x3C78B4), "jpg"));
    }

    @Test
    void decodesFormatsToRgbInSortedClassOrder() throws IOException {
        writeMixedTree();
        ImageDataset ds = ImageFolder.load(root, 3, 8, 8, true);
        assertThat(ds.classNames()).containsExactly("bird", "cat", "dog", "eel");
        assertThat(ds.labels()).containsExactly(0, 1, 2, 3);
        assertThat(ds.channels()).isEqualTo(3);
        assertThat(ds.height()).isEqualTo(8);
        assertThat(ds.width()).isEqualTo(8);
        assertThat(ds.name()).isEqualTo(root.getFileName().toString());
        // solid colours survive resizing exactly (normalised weights); grayscale is repeated, alpha dropped
        int[][] expected = {{200, 100, 50}, {77, 77, 77}, {10, 200, 30}};
        for (int index = 0; index < 3; index++) {
            for (int c = 0; c < 3; c++) {
                assertThat(plane(ds, index, c)).as("image %d channel %d", index, c).containsOnly(expected[index][c]);
            }
        }
        // JPEG is lossy: close to (60, 120, 180)
        int[] jpegExpected = {60, 120, 180};
        for (int c = 0; c < 3; c++) {
            for (int value : plane(ds, 3, c)) {
                assertThat(value).isBetween(jpegExpected[c] - 4, jpegExpected[c] + 4);
            }
        }
    }

    @Test
    void convertsToGrayscaleByLuma() throws IOException {
        writeMixedTree();
        ImageDataset ds = ImageFolder.load(root, 1, 5, 6, true);
        assertThat(ds.imageSize()).isEqualTo(30);
        // ITU-R 601: 0.299 R + 0.587 G + 0.114 B
        assertThat(image(ds, 0)).containsOnly((int) Math.round(0.299 * 200 + 0.587 * 100 + 0.114 * 50));
        // grayscale samples pass through untouched (no gamma conversion)
        assertThat(image(ds, 1)).containsOnly(77);
        assertThat(image(ds, 2)).containsOnly((int) Math.round(0.299 * 10 + 0.587 * 200 + 0.114 * 30));
    }

    @Test
    void scalesSixteenBitGrayscaleToBytes() throws IOException {
        BufferedImage deep = new BufferedImage(6, 6, BufferedImage.TYPE_USHORT_GRAY);
        for (int y = 0; y < 6; y++) {
            for (int x = 0; x < 6; x++) {
                deep.getRaster().setSample(x, y, 0, 77 * 257);
            }
        }
        write("only/deep.png", encode(deep, "png"));
        assertThat(image(ImageFolder.load(root, 1, 3, 3, true), 0)).containsOnly(77);
    }

    @Test
    void expandsPalettePng() throws IOException {
        byte[] red = {0, (byte) 250, 5};
        byte[] green = {0, 20, 5};
        byte[] blue = {0, 99, 5};
        BufferedImage indexed = new BufferedImage(7, 5, BufferedImage.TYPE_BYTE_INDEXED,
                new IndexColorModel(2, 3, red, green, blue));
        for (int y = 0; y < 5; y++) {
            for (int x = 0; x < 7; x++) {
                indexed.getRaster().setSample(x, y, 0, 1);
            }
        }
        write("only/palette.png", encode(indexed, "png"));
        ImageDataset ds = ImageFolder.load(root, 3, 4, 4, true);
        assertThat(plane(ds, 0, 0)).containsOnly(250);
        assertThat(plane(ds, 0, 1)).containsOnly(20);
        assertThat(plane(ds, 0, 2)).containsOnly(99);
    }

    @Test
    void keepsTheCentreOfNonSquareImages() throws IOException {
        // 60x20: a square target keeps the middle 20 columns, which are white; the sides are black
        BufferedImage wide = solid(BufferedImage.TYPE_INT_RGB, 60, 20, 0x000000);
        for (int y = 0; y < 20; y++) {
            for (int x = 15; x < 45; x++) {
                wide.setRGB(x, y, 0xFFFFFF);
            }
        }
        write("a/wide.png", encode(wide, "png"));
        assertThat(image(ImageFolder.load(root, 1, 10, 10, true), 0)).containsOnly(255);
    }

    @Test
    void skipsCorruptAndTruncatedFilesAndCountsThem() throws IOException {
        writeMixedTree();
        byte[] png = encode(solid(BufferedImage.TYPE_INT_RGB, 40, 40, 0x102030), "png");
        byte[] noise = new byte[500];
        new Random(1).nextBytes(noise);
        write("cat/zz-noise.png", noise);
        write("dog/zz-truncated.png", Arrays.copyOf(png, png.length / 2));
        BufferedImage textured = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
        Random random = new Random(2);
        for (int y = 0; y < 64; y++) {
            for (int x = 0; x < 64; x++) {
                textured.setRGB(x, y, random.nextInt());
            }
        }
        byte[] jpeg = encode(textured, "jpg");
        write("eel/zz-truncated.jpg", Arrays.copyOf(jpeg, jpeg.length / 2));
        write("eel/notes.txt", "not an image, ignored".getBytes());

        ImageFolder.LoadResult result = ImageFolder.loadWithReport(root, 3, 8, 8, false, DEFAULT_MAX_IMAGE_PIXELS, null);
        assertThat(result.skippedCount()).isEqualTo(3);
        assertThat(result.skipped()).extracting(skipped -> skipped.file().getFileName().toString())
                .containsExactly("zz-noise.png", "zz-truncated.png", "zz-truncated.jpg");
        assertThat(result.fromCache()).isFalse();
        ImageDataset ds = result.dataset();
        assertThat(ds.size()).isEqualTo(4);
        assertThat(ds.labels()).containsExactly(0, 1, 2, 3);
        // compaction kept the surviving images in place
        assertThat(plane(ds, 2, 1)).containsOnly(200);
    }

    @Test
    void strictModeNamesTheFirstUndecodableFile() throws IOException {
        writeMixedTree();
        Path broken = write("cat/zz-broken.png", new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
        assertThatThrownBy(() -> ImageFolder.load(root, 3, 8, 8, true))
                .isInstanceOf(BalconException.class)
                .hasMessageContaining(broken.toString())
                .hasMessageContaining("could not be decoded");
    }

    @Test
    void rejectsEmptyClassFolderNoClassesAndMissingRoot() throws IOException {
        assertThatThrownBy(() -> ImageFolder.load(root, 3, 8, 8, false))
                .isInstanceOf(BalconException.class).hasMessageContaining("has no class sub-folders");
        writeMixedTree();
        Files.createDirectories(root.resolve("fox"));
        Files.writeString(root.resolve("fox/readme.txt"), "no images");
        assertThatThrownBy(() -> ImageFolder.load(root, 3, 8, 8, false))
                .isInstanceOf(BalconException.class)
                .hasMessageContaining(root.resolve("fox").toString())
                .hasMessageContaining("contains no image file");
        Path missing = root.resolve("absent");
        assertThatThrownBy(() -> ImageFolder.load(missing, 3, 8, 8, false))
                .isInstanceOf(BalconException.class).hasMessageContaining(missing + " is not a readable directory");
        assertThatThrownBy(() -> ImageFolder.load(root, 2, 8, 8, false))
                .isInstanceOf(BalconException.class).hasMessageContaining("1 (grayscale) or 3 (RGB), got 2");
    }

    @Test
    void failsWhenNothingDecodes() throws IOException {
        write("a/bad.png", new byte[10]);
        assertThatThrownBy(() -> ImageFolder.load(root, 1, 4, 4, false))
                .isInstanceOf(BalconException.class).hasMessageContaining("no image under")
                .hasMessageContaining("bad.png");
    }

    @Test
    void decodesManyFilesInParallelKeepingOrder() throws IOException {
        // more files than the progress-bar threshold; image i is gray value i % 256 in class i % 3
        int count = 600;
        for (int i = 0; i < count; i++) {
            write("c" + (i % 3) + "/img" + String.format("%04d", i) + ".png",
                    encode(gray(3 + i % 5, 4, i % 256), "png"));
        }
        ImageDataset ds = ImageFolder.load(root, 1, 2, 2, true);
        assertThat(ds.size()).isEqualTo(count);
        int index = 0;
        for (int c = 0; c < 3; c++) {
            for (int i = c; i < count; i += 3, index++) {
                assertThat(ds.label(index)).isEqualTo(c);
                assertThat(image(ds, index)).containsOnly(i % 256);
            }
        }
    }

    @Test
    void loadsListFileRelativeToRoot() throws IOException {
        writeMixedTree();
        Path list = Files.writeString(root.resolve("train_list.txt"),
                "# ImageNet-LT style\ndog/rgba.png 4\n\nbird/rgb.png 0\ncat/gray.png   2\n");
        ImageDataset ds = ImageFolder.loadList(root, list, 3, 6, 6, true);
        assertThat(ds.name()).isEqualTo("train_list");
        assertThat(ds.classNames()).containsExactly("0", "1", "2", "3", "4");
        assertThat(ds.labels()).containsExactly(4, 0, 2);
        assertThat(plane(ds, 0, 1)).containsOnly(200);
        assertThat(plane(ds, 2, 0)).containsOnly(77);
    }

    @Test
    void listFileErrorsNameTheLineOrFile() throws IOException {
        writeMixedTree();
        Path malformed = Files.writeString(root.resolve("bad.txt"), "bird/rgb.png 0\ncat/gray.png x\n");
        assertThatThrownBy(() -> ImageFolder.loadList(root, malformed, 3, 4, 4, false))
                .isInstanceOf(BalconException.class)
                .hasMessageContaining(malformed + " line 2").hasMessageContaining("'cat/gray.png x'");
        Path withMissing = Files.writeString(root.resolve("missing.txt"), "bird/rgb.png 0\nbird/gone.png 1\n");
        ImageFolder.LoadResult result = ImageFolder.loadListWithReport(root, withMissing, 3, 4, 4, false, DEFAULT_MAX_IMAGE_PIXELS, null);
        assertThat(result.dataset().size()).isEqualTo(1);
        assertThat(result.skipped()).singleElement()
                .satisfies(skipped -> assertThat(skipped.reason()).isEqualTo("file not found or not readable"));
        assertThatThrownBy(() -> ImageFolder.loadList(root, withMissing, 3, 4, 4, true))
                .isInstanceOf(BalconException.class).hasMessageContaining("gone.png")
                .hasMessageContaining("file not found");
        assertThatThrownBy(() -> ImageFolder.loadList(root, root.resolve("none.txt"), 3, 4, 4, true))
                .isInstanceOf(BalconException.class).hasMessageContaining("not found");
    }

    @Test
    void cacheReturnsTheSameDatasetAndNoticesChanges(@TempDir Path cacheDir) throws IOException {
        writeMixedTree();
        write("cat/zz-noise.png", new byte[50]);
        ImageFolder.LoadResult first = ImageFolder.loadWithReport(root, 3, 8, 8, false, DEFAULT_MAX_IMAGE_PIXELS, cacheDir);
        ImageFolder.LoadResult second = ImageFolder.loadWithReport(root, 3, 8, 8, false, DEFAULT_MAX_IMAGE_PIXELS, cacheDir);
        assertThat(first.fromCache()).isFalse();
        assertThat(second.fromCache()).isTrue();
        // ids are the paths below the root; the skipped file has none, from the cache as from decoding
        assertThat(first.dataset().sourceIds())
                .containsExactly("bird/rgb.png", "cat/gray.png", "dog/rgba.png", "eel/photo.JPG");
        assertSameContent(second, first);
        try (var files = Files.list(cacheDir)) {
            assertThat(files.map(p -> p.getFileName().toString()).toList())
                    .singleElement().satisfies(name -> assertThat(name).startsWith("imageset-").endsWith(".bin"));
        }

        // strict mode must not silently accept a cached result that skipped files
        assertThatThrownBy(() -> ImageFolder.loadWithReport(root, 3, 8, 8, true, DEFAULT_MAX_IMAGE_PIXELS, cacheDir))
                .isInstanceOf(BalconException.class).hasMessageContaining("zz-noise.png");
        // another size is another cache entry
        assertThat(ImageFolder.loadWithReport(root, 3, 4, 4, false, DEFAULT_MAX_IMAGE_PIXELS, cacheDir).fromCache()).isFalse();

        // touching an image invalidates the entry
        Path touched = root.resolve("bird/rgb.png");
        Files.setLastModifiedTime(touched, FileTime.fromMillis(Files.getLastModifiedTime(touched).toMillis() + 5000));
        ImageFolder.LoadResult afterTouch = ImageFolder.loadWithReport(root, 3, 8, 8, false, DEFAULT_MAX_IMAGE_PIXELS, cacheDir);
        assertThat(afterTouch.fromCache()).isFalse();
        assertSameContent(afterTouch, first);
    }

    @Test
    void damagedCacheIsRebuilt(@TempDir Path cacheDir) throws IOException {
        writeMixedTree();
        ImageFolder.LoadResult first = ImageFolder.loadWithReport(root, 1, 8, 8, true, DEFAULT_MAX_IMAGE_PIXELS, cacheDir);
        Path cacheFile;
        try (var files = Files.list(cacheDir)) {
            cacheFile = files.findFirst().orElseThrow();
        }
        byte[] content = Files.readAllBytes(cacheFile);
        Files.write(cacheFile, Arrays.copyOf(content, content.length - 10));
        ImageFolder.LoadResult rebuilt = ImageFolder.loadWithReport(root, 1, 8, 8, true, DEFAULT_MAX_IMAGE_PIXELS, cacheDir);
        assertThat(rebuilt.fromCache()).isFalse();
        assertSameContent(rebuilt, first);
        assertThat(Files.readAllBytes(cacheFile)).isEqualTo(content);
        assertThat(ImageFolder.loadWithReport(root, 1, 8, 8, true, DEFAULT_MAX_IMAGE_PIXELS, cacheDir).fromCache()).isTrue();
    }

    private static void assertSameContent(ImageFolder.LoadResult actual, ImageFolder.LoadResult expected) {
        ImageDataset a = actual.dataset();
        ImageDataset e = expected.dataset();
        assertThat(a.name()).isEqualTo(e.name());
        assertThat(a.classNames()).isEqualTo(e.classNames());
        assertThat(a.labels()).isEqualTo(e.labels());
        assertThat(List.of(a.channels(), a.height(), a.width()))
                .isEqualTo(List.of(e.channels(), e.height(), e.width()));
        assertThat(a.pixels()).isEqualTo(e.pixels());
        assertThat(a.sourceIds()).isEqualTo(e.sourceIds());
        assertThat(actual.skipped()).isEqualTo(expected.skipped());
    }
}
