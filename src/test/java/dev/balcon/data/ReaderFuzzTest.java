package dev.balcon.data;

import static dev.balcon.data.ImageFolder.DEFAULT_MAX_IMAGE_PIXELS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.balcon.BalconException;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Every reader of a file format, fed mutations of a valid file (cut short, bytes flipped, header fields set
 * to edge values, garbage appended), either returns a valid result or throws a {@link BalconException}
 * with a one-line message: no other exception, and no allocation sized by a header field it has not
 * checked against the file.
 */
class ReaderFuzzTest {
    private static final int TRIES = 150;
    /** Far more than any of these tiny files needs, far less than a header field can claim. */
    private static final long ALLOCATION_LIMIT = 64L << 20;
    private static final int[] EDGE_VALUES = {0, 1, -1, 2, 255, 2049, 2051, 1 << 16, 1 << 20, 1 << 30,
        Integer.MAX_VALUE, Integer.MAX_VALUE - 8, Integer.MIN_VALUE};

    private static Path dir;

    @BeforeContainer
    static void createDirectory() throws IOException {
        dir = Files.createTempDirectory("balcon-fuzz");
    }

    @AfterContainer
    static void deleteDirectory() throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }

    /** A seeded mutation of {@code valid}; {@code headerBytes} bytes at the start are int header fields. */
    static byte[] mutate(byte[] valid, int headerBytes, Random random) {
        byte[] bytes = valid.clone();
        int mutations = 1 + random.nextInt(3);
        for (int m = 0; m < mutations; m++) {
            switch (random.nextInt(5)) {
                case 0 -> bytes = Arrays.copyOf(bytes, bytes.length == 0 ? 0 : random.nextInt(bytes.length));
                case 1 -> {
                    for (int flips = 1 + random.nextInt(4); flips > 0 && bytes.length > 0; flips--) {
                        bytes[random.nextInt(bytes.length)] = (byte) random.nextInt(256);
                    }
                }
                case 2 -> {
                    if (bytes.length >= headerBytes && headerBytes >= 4) {
                        int field = random.nextInt(headerBytes / 4);
                        int value = random.nextBoolean() ? EDGE_VALUES[random.nextInt(EDGE_VALUES.length)]
                                : random.nextInt();
                        ByteBuffer.wrap(bytes).putInt(4 * field, value);
                    }
                }
                case 3 -> {
                    byte[] garbage = new byte[1 + random.nextInt(64)];
                    random.nextBytes(garbage);
                    byte[] longer = Arrays.copyOf(bytes, bytes.length + garbage.length);
                    System.arraycopy(garbage, 0, longer, bytes.length, garbage.length);
                    bytes = longer;
                }
                default -> {
                    // a stretch of the file repeated, as a bad copy leaves it
                    if (bytes.length > 1) {
                        int from = random.nextInt(bytes.length);
                        int length = 1 + random.nextInt(bytes.length - from);
                        byte[] longer = new byte[bytes.length + length];
                        System.arraycopy(bytes, 0, longer, 0, from + length);
                        System.arraycopy(bytes, from, longer, from + length, bytes.length - from);
                        bytes = longer;
                    }
                }
            }
        }
        return bytes;
    }

    /**
     * Runs the reader and checks the contract: a result that {@code valid} accepts, or a BalconException
     * with a one-line message; bounded allocation either way.
     */
    static <T> void assertReadsOrFailsCleanly(Supplier<T> reader, Consumer<T> valid) {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        try {
            T result = reader.get();
            valid.accept(result);
        } catch (BalconException e) {
            assertThat(e.getMessage()).isNotBlank().doesNotContain("\n").doesNotContain("\r");
        }
        assertThat(threads.getCurrentThreadAllocatedBytes() - before).as("bytes allocated")
                .isLessThan(ALLOCATION_LIMIT);
    }

    private static byte[] maybeGzip(byte[] raw, boolean gzip) {
        return gzip ? gzipped(raw) : raw;
    }

    private static byte[] gzipped(byte[] raw) {
        try {
            return IdxReaderTest.gzip(raw);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Property(tries = TRIES)
    void idxReaderReadsOrFailsCleanly(@ForAll long seed, @ForAll boolean gzip) throws IOException {
        Random random = new Random(seed);
        List<String> classes = List.of("a", "b", "c");
        byte[] images = IdxReaderTest.imagesIdx(IdxReader.IMAGES_MAGIC, 4, 3, 2);
        byte[] labels = IdxReaderTest.labelsIdx(IdxReader.LABELS_MAGIC, 0, 2, 1, 2);
        int target = random.nextInt(3);
        if (target != 1) {
            images = mutate(images, 16, random);
        }
        if (target != 0) {
            labels = mutate(labels, 8, random);
        }
        // a mutation of the compressed stream tests the gzip layer, of the raw bytes the reader itself
        boolean mutateCompressed = gzip && random.nextBoolean();
        Path imageFile = Files.write(dir.resolve("images"), mutateCompressed
                ? mutate(gzipped(IdxReaderTest.imagesIdx(IdxReader.IMAGES_MAGIC, 4, 3, 2)), 0, random)
                : maybeGzip(images, gzip));
        Path labelFile = Files.write(dir.resolve("labels"), maybeGzip(labels, gzip));
        assertReadsOrFailsCleanly(() -> IdxReader.read(imageFile, labelFile, "fuzz", classes), ds -> {
            assertThat(ds.pixels()).hasSize(ds.size() * ds.imageSize());
            assertThat(Arrays.stream(ds.labels()).allMatch(label -> label >= 0 && label <= 2)).isTrue();
        });
    }

    /** CIFAR records of {@code labelBytes} label bytes + 3072 pixels, labels 0, 1, ... */
    private static byte[] cifarRecords(int labelBytes, int count) {
        byte[] bytes = new byte[count * (labelBytes + 3072)];
        for (int i = 0; i < count; i++) {
            bytes[i * (labelBytes + 3072) + labelBytes - 1] = (byte) i;
        }
        return bytes;
    }

    @Property(tries = TRIES)
    void cifarReaderReadsOrFailsCleanly(@ForAll long seed, @ForAll boolean cifar100) throws IOException {
        Random random = new Random(seed);
        Path base = Files.createDirectories(dir.resolve(cifar100 ? "cifar100" : "cifar10"));
        List<String> files = cifar100 ? List.of("train.bin", "test.bin")
                : List.of("data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin",
                        "data_batch_5.bin", "test_batch.bin");
        int labelBytes = cifar100 ? 2 : 1;
        for (String file : files) {
            Files.write(base.resolve(file), cifarRecords(labelBytes, 2));
        }
        String namesFile = cifar100 ? "fine_label_names.txt" : "batches.meta.txt";
        int classCount = cifar100 ? 100 : 10;
        StringBuilder names = new StringBuilder();
        for (int i = 0; i < classCount; i++) {
            names.append("class").append(i).append('\n');
        }
        Files.writeString(base.resolve(namesFile), names);
        String victim = random.nextInt(4) == 0 ? namesFile : files.get(random.nextInt(files.size()));
        Path victimFile = base.resolve(victim);
        Files.write(victimFile, mutate(Files.readAllBytes(victimFile), 0, random));

        assertReadsOrFailsCleanly(() -> cifar100 ? Cifar.loadCifar100(base) : Cifar.loadCifar10(base), splits -> {
            assertThat(splits.train().numClasses()).isEqualTo(classCount);
            assertThat(splits.train().pixels()).hasSize(splits.train().size() * 3072);
        });
    }

    @Property(tries = TRIES)
    void listFileReaderReadsOrFailsCleanly(@ForAll long seed, @ForAll boolean strict) throws IOException {
        Random random = new Random(seed);
        Path root = Files.createDirectories(dir.resolve("list-root"));
        for (int i = 0; i < 3; i++) {
            Path image = root.resolve("c" + i + "/img.png");
            if (!Files.exists(image)) {
                Files.createDirectories(image.getParent());
                BufferedImage gray = new BufferedImage(3, 3, BufferedImage.TYPE_BYTE_GRAY);
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                ImageIO.write(gray, "png", bytes);
                Files.write(image, bytes.toByteArray());
            }
        }
        String valid = "# list\nc0/img.png 0\nc1/img.png 1\n\nc2/img.png 2\n";
        byte[] mutated;
        if (random.nextBoolean()) {
            mutated = mutate(valid.getBytes(StandardCharsets.UTF_8), 0, random);
        } else {
            // one line as a hand-edited or generated list has it, among valid ones
            String[] odd = {"c0/img.png " + (1L << (16 + random.nextInt(24))), "c\u0000/img.png 1",
                "c1/img.png -" + random.nextInt(1000), "c1/img.png", " 1", "c1/img.png 1e3",
                "x".repeat(1 + random.nextInt(300)) + " 2"};
            List<String> lines = new ArrayList<>(List.of(valid.split("\n")));
            lines.add(random.nextInt(lines.size() + 1), odd[random.nextInt(odd.length)]);
            mutated = String.join("\n", lines).getBytes(StandardCharsets.UTF_8);
        }
        Path list = Files.write(dir.resolve("list.txt"), mutated);
        assertReadsOrFailsCleanly(
                () -> ImageFolder.loadListWithReport(root, list, 1, 2, 2, strict, DEFAULT_MAX_IMAGE_PIXELS, null),
                result -> {
                    assertThat(result.dataset().size()).isPositive();
                    assertThat(result.dataset().numClasses()).isLessThanOrEqualTo(1_000_000);
                });
    }

    @Property(tries = TRIES)
    void damagedImageCacheIsNeverUsed(@ForAll long seed) throws IOException {
        Random random = new Random(seed);
        Path root = dir.resolve("cached-folder");
        Path cacheDir = dir.resolve("cache");
        if (!Files.exists(root)) {
            for (int i = 0; i < 3; i++) {
                BufferedImage gray = new BufferedImage(3, 3, BufferedImage.TYPE_BYTE_GRAY);
                gray.getRaster().setSample(1, 1, 0, 40 * i);
                Files.createDirectories(root.resolve("c" + i));
                ImageIO.write(gray, "png", root.resolve("c" + i + "/img.png").toFile());
            }
        }
        ImageFolder.LoadResult fresh = ImageFolder.loadWithReport(root, 1, 3, 3, false, DEFAULT_MAX_IMAGE_PIXELS,
                cacheDir);
        Path cacheFile;
        try (Stream<Path> files = Files.list(cacheDir)) {
            cacheFile = files.filter(file -> file.toString().endsWith(".bin")).findFirst().orElseThrow();
        }
        byte[] valid = Files.readAllBytes(cacheFile);
        byte[] mutated = mutate(valid, 0, random);
        Files.write(cacheFile, mutated);

        assertReadsOrFailsCleanly(
                () -> ImageFolder.loadWithReport(root, 1, 3, 3, false, DEFAULT_MAX_IMAGE_PIXELS, cacheDir),
                loaded -> {
                    assertThat(loaded.dataset().pixels()).isEqualTo(fresh.dataset().pixels());
                    assertThat(loaded.dataset().labels()).isEqualTo(fresh.dataset().labels());
                    assertThat(loaded.dataset().classNames()).isEqualTo(fresh.dataset().classNames());
                    assertThat(loaded.skipped()).isEqualTo(fresh.skipped());
                    if (loaded.fromCache()) {
                        assertThat(mutated).isEqualTo(valid);
                    }
                });
    }
}
