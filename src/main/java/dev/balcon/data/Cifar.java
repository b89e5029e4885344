package dev.balcon.data;

import dev.balcon.BalconException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * CIFAR-10 and CIFAR-100 in their binary distribution format (Krizhevsky 2009): fixed-length records
 * of label byte(s) followed by 3072 pixel bytes, the 1024 red values of the 32x32 image row by row,
 * then the green, then the blue ones. That order is already channel-planar, so records are copied as is.
 */
public final class Cifar {
    private static final int CHANNELS = 3;
    private static final int SIDE = 32;
    private static final int IMAGE_BYTES = CHANNELS * SIDE * SIDE;
    private static final long MAX_ARRAY_LENGTH = Integer.MAX_VALUE - 8;

    /** CIFAR-10 class names by label, used when {@code batches.meta.txt} is absent. */
    public static final List<String> CIFAR10_CLASS_NAMES = List.of("airplane", "automobile", "bird", "cat", "deer",
            "dog", "frog", "horse", "ship", "truck");

    private Cifar() {
    }

    /**
     * Loads CIFAR-10 from {@code cifar-10-binary.tar.gz} extracted: {@code data_batch_1.bin} ..
     * {@code data_batch_5.bin} (train), {@code test_batch.bin} (test) and, if present,
     * {@code batches.meta.txt} (class names, one per line). Records are 1 label byte + 3072 pixels.
     *
     * @param dir the directory holding the files, or its parent holding {@code cifar-10-batches-bin}
     * @throws BalconException if a file is missing, has a length that is not a multiple of 3073, holds a
     *                         label above 9, or the names file does not list 10 names
     */
    public static DatasetSplits loadCifar10(Path dir) {
        Path base = preferSubdirectory(dir, "cifar-10-batches-bin");
        List<String> classNames = readClassNames(base.resolve("batches.meta.txt"), CIFAR10_CLASS_NAMES.size(),
                CIFAR10_CLASS_NAMES);
        List<Path> trainFiles = new ArrayList<>();
        for (int batch = 1; batch <= 5; batch++) {
            trainFiles.add(base.resolve("data_batch_" + batch + ".bin"));
        }
        ImageDataset train = readRecords(trainFiles, 1, 0, "cifar10-train", classNames);
        ImageDataset test = readRecords(List.of(base.resolve("test_batch.bin")), 1, 0, "cifar10-test", classNames);
        return new DatasetSplits(train, test);
    }

    /**
     * Loads CIFAR-100 with its 100 fine labels from {@code cifar-100-binary.tar.gz} extracted:
     * {@code train.bin}, {@code test.bin} and {@code fine_label_names.txt}. Records are 1 coarse label
     * byte + 1 fine label byte + 3072 pixels.
     *
     * @param dir the directory holding the files, or its parent holding {@code cifar-100-binary}
     * @throws BalconException if a file is missing, has a length that is not a multiple of 3074, holds a
     *                         fine label above 99, or the names file does not list 100 names
     */
    public static DatasetSplits loadCifar100(Path dir) {
        Path base = preferSubdirectory(dir, "cifar-100-binary");
        List<String> classNames = readClassNames(base.resolve("fine_label_names.txt"), 100, null);
        ImageDataset train = readRecords(List.of(base.resolve("train.bin")), 2, 1, "cifar100-train", classNames);
        ImageDataset test = readRecords(List.of(base.resolve("test.bin")), 2, 1, "cifar100-test", classNames);
        return new DatasetSplits(train, test);
    }

    private static Path preferSubdirectory(Path dir, String extractedName) {
        Path nested = dir.resolve(extractedName);
        return Files.isDirectory(nested) ? nested : dir;
    }

    /**
     * Reads the names file; when it is absent, returns {@code fallback}, or fails if there is none.
     */
    private static List<String> readClassNames(Path file, int expectedCount, List<String> fallback) {
        if (!Files.exists(file) && fallback != null) {
            return fallback;
        }
        List<String> names = new ArrayList<>();
        for (String line : readLines(file)) {
            if (!line.isBlank()) {
                names.add(line.strip());
            }
        }
        if (names.size() != expectedCount) {
            throw new BalconException("CIFAR class names file " + file + ": expected " + expectedCount
                    + " non-empty lines, found " + names.size());
        }
        return names;
    }

    private static List<String> readLines(Path file) {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new BalconException("CIFAR file not found: " + file);
        } catch (IOException e) {
            throw new BalconException("CIFAR file " + file + " could not be read: " + e.getMessage(), e);
        }
    }

    private static ImageDataset readRecords(List<Path> files, int labelBytes, int labelPosition, String name,
                                            List<String> classNames) {
        int recordBytes = labelBytes + IMAGE_BYTES;
        List<byte[]> contents = new ArrayList<>();
        long totalRecords = 0;
        for (Path file : files) {
            byte[] content = readAll(file);
            if (content.length == 0 || content.length % recordBytes != 0) {
                throw new BalconException("CIFAR file " + file + " has length " + content.length
                        + ", expected a non-zero multiple of " + recordBytes + " (" + labelBytes
                        + " label byte(s) + 3x32x32 pixels per image)");
            }
            contents.add(content);
            totalRecords += content.length / recordBytes;
        }
        if (totalRecords * IMAGE_BYTES > MAX_ARRAY_LENGTH) {
            throw new BalconException("CIFAR files " + files + " hold " + totalRecords + " images, more than one Java "
                    + "array holds (" + MAX_ARRAY_LENGTH / IMAGE_BYTES + "); expected 50,000 or 10,000");
        }
        int count = (int) totalRecords;
        byte[] pixels = new byte[count * IMAGE_BYTES];
        int[] labels = new int[count];
        int image = 0;
        for (int f = 0; f < files.size(); f++) {
            byte[] content = contents.get(f);
            for (int offset = 0; offset < content.length; offset += recordBytes, image++) {
                int label = content[offset + labelPosition] & 0xFF;
                if (label >= classNames.size()) {
                    throw new BalconException("CIFAR file " + files.get(f) + ": label of record "
                            + offset / recordBytes + " must be in [0, " + classNames.size() + "), found " + label);
                }
                labels[image] = label;
                System.arraycopy(content, offset + labelBytes, pixels, image * IMAGE_BYTES, IMAGE_BYTES);
            }
        }
        return new ImageDataset(name, pixels, labels, CHANNELS, SIDE, SIDE, classNames);
    }

    private static byte[] readAll(Path file) {
        try {
            long size = Files.size(file);
            if (size > MAX_ARRAY_LENGTH) {
                throw new BalconException("CIFAR file " + file + " has " + size + " bytes, more than one Java array "
                        + "holds (" + MAX_ARRAY_LENGTH + "); expected 3073 or 3074 bytes per image");
            }
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new BalconException("CIFAR file not found: " + file);
        } catch (IOException e) {
            throw new BalconException("CIFAR file " + file + " could not be read: " + e.getMessage(), e);
        }
    }
}
