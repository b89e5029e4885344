package dev.balcon.data;

import dev.balcon.BalconException;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import me.tongfei.progressbar.ProgressBar;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads JPEG/PNG images from disk into an {@link ImageDataset}, either from a class-per-folder tree
 * (torchvision's ImageFolder layout) or from a list file (ImageNet-LT layout).
 *
 * <p>Every image is decoded with javax.imageio, converted to the requested channel count (alpha dropped,
 * palettes expanded, gray repeated to RGB, RGB to luma for gray) and resized to exactly height x width:
 * scaled so that it covers the target (the short side for a square target) with antialiased bilinear
 * resampling, then centre-cropped (see {@link Resize}). Files are decoded in parallel on all cores, with
 * a progress bar on stderr when there are more than {@value #PROGRESS_BAR_THRESHOLD}.
 *
 * <p>A file that cannot be decoded (corrupt, truncated, not an image, missing from a list) is skipped
 * with a warning and reported in {@link LoadResult#skipped()}, or, with {@code strict}, fails the load.
 * The optional cache directory keeps the decoded result (see {@link DatasetCache}) so later loads of
 * unchanged files skip decoding.
 */
public final class ImageFolder {
    private static final Logger LOG = LoggerFactory.getLogger(ImageFolder.class);
    private static final int PROGRESS_BAR_THRESHOLD = 500;
    private static final List<String> IMAGE_EXTENSIONS = List.of(".jpg", ".jpeg", ".png");

    private ImageFolder() {
    }

    /** A file left out of the dataset, with why. */
    public record SkippedFile(Path file, String reason) {
    }

    /**
     * A loaded dataset with what was left out.
     *
     * @param dataset   the decoded images
     * @param skipped   files that could not be decoded, in file order (empty when all decoded)
     * @param fromCache whether the images came from the cache instead of being decoded
     */
    public record LoadResult(ImageDataset dataset, List<SkippedFile> skipped, boolean fromCache) {
        public LoadResult {
            skipped = List.copyOf(skipped);
        }

        /** Number of skipped files. */
        public int skippedCount() {
            return skipped.size();
        }
    }

    /** One image to decode: its path relative to the root, its label, and its size and mtime for the cache key. */
    record ImageFile(Path relativePath, int label, long sizeBytes, long modifiedMillis) {
    }

    /**
     * Loads a class-per-folder tree without cache; see {@link #loadWithReport}.
     */
    public static ImageDataset load(Path root, int channels, int height, int width, boolean strict) {
        return loadWithReport(root, channels, height, width, strict, null).dataset();
    }

    /**
     * Loads a class-per-folder tree: each non-hidden sub-folder of {@code root} is a class, class ids follow
     * the sorted folder names, and every {@code .jpg/.jpeg/.png} file below a class folder (recursively,
     * in sorted path order) is an image of it. The dataset is named after the root folder.
     *
     * @param channels       1 (grayscale) or 3 (RGB)
     * @param strict         fail on the first undecodable file instead of skipping it
     * @param cacheDirOrNull directory for the decoded-image cache, or null for no cache
     * @throws BalconException if the root is not a readable directory, has no class folders, a class folder
     *                         has no image file, no image could be decoded, or (strict) a file is undecodable
     */
    public static LoadResult loadWithReport(Path root, int channels, int height, int width, boolean strict,
                                            Path cacheDirOrNull) {
        requireShape(channels, height, width);
        if (!Files.isDirectory(root) || !Files.isReadable(root)) {
            throw new BalconException("image folder " + root + " is not a readable directory");
        }
        List<Path> classFolders = listClassFolders(root);
        if (classFolders.isEmpty()) {
            throw new BalconException("image folder " + root
                    + " has no class sub-folders: expected one sub-folder of JPEG/PNG images per class");
        }
        List<String> classNames = new ArrayList<>();
        List<ImageFile> files = new ArrayList<>();
        for (int label = 0; label < classFolders.size(); label++) {
            Path classFolder = classFolders.get(label);
            classNames.add(classFolder.getFileName().toString());
            List<Path> images = listImages(classFolder);
            if (images.isEmpty()) {
                throw new BalconException("class folder " + classFolder + " contains no image file (expected "
                        + String.join("/", IMAGE_EXTENSIONS) + ")");
            }
            for (Path image : images) {
                files.add(describe(root, root.relativize(image), label));
            }
        }
        return decodeAll(root, null, datasetName(root), classNames, files, channels, height, width, strict,
                cacheDirOrNull);
    }

    /** The single class name of an unlabelled load. */
    public static final String UNLABELLED_CLASS = "unlabelled";

    /**
     * Loads every {@code .jpg/.jpeg/.png} file below {@code root} (recursively, in sorted path order, folders
     * carry no meaning) as one class named {@value #UNLABELLED_CLASS}: images for self-supervised
     * pretraining without labels. Skipping, strict mode and the cache work as in {@link #loadWithReport}.
     *
     * @throws BalconException if the root is not a readable directory, holds no image file, no image could be
     *                         decoded, or (strict) a file is undecodable
     */
    public static LoadResult loadUnlabelledWithReport(Path root, int channels, int height, int width, boolean strict,
                                                      Path cacheDirOrNull) {
        requireShape(channels, height, width);
        if (!Files.isDirectory(root) || !Files.isReadable(root)) {
            throw new BalconException("image folder " + root + " is not a readable directory");
        }
        List<Path> images = listImages(root);
        if (images.isEmpty()) {
            throw new BalconException("image folder " + root + " contains no image file (expected "
                    + String.join("/", IMAGE_EXTENSIONS) + ", searched recursively)");
        }
        List<ImageFile> files = new ArrayList<>();
        for (Path image : images) {
            files.add(describe(root, root.relativize(image), 0));
        }
        return decodeAll(root, null, datasetName(root), List.of(UNLABELLED_CLASS), files, channels, height, width,
                strict, cacheDirOrNull);
    }

    /**
     * Loads the images of a list file without cache; see {@link #loadListWithReport}.
     */
    public static ImageDataset loadList(Path root, Path listFile, int channels, int height, int width,
                                        boolean strict) {
        return loadListWithReport(root, listFile, channels, height, width, strict, null).dataset();
    }

    /**
     * Loads the images named by a list file in the ImageNet-LT format: one {@code relative/path.jpg label}
     * per line, the path relative to {@code root} and the label a non-negative integer after the last
     * whitespace; blank lines and lines starting with {@code #} are ignored. Class names are the ids
     * {@code "0" .. "K-1"} with K = largest label + 1. A listed file that does not exist counts as
     * undecodable. The dataset is named after the list file without its extension.
     *
     * @throws BalconException if the list file cannot be read or has a malformed line, lists nothing, no
     *                         image could be decoded, or (strict) a listed file is missing or undecodable
     */
    public static LoadResult loadListWithReport(Path root, Path listFile, int channels, int height, int width,
                                                boolean strict, Path cacheDirOrNull) {
        requireShape(channels, height, width);
        List<String> lines;
        try {
            lines = Files.readAllLines(listFile, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new BalconException("image list file not found: " + listFile);
        } catch (IOException e) {
            throw new BalconException("image list file " + listFile + " could not be read: " + e.getMessage(), e);
        }
        List<ImageFile> files = new ArrayList<>();
        int maxLabel = -1;
        for (int lineNumber = 1; lineNumber <= lines.size(); lineNumber++) {
            String line = lines.get(lineNumber - 1).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int split = lastWhitespace(line);
            int label = split < 0 ? -1 : parseLabel(line.substring(split + 1));
            if (label < 0) {
                throw new BalconException("image list file " + listFile + " line " + lineNumber
                        + ": expected '<relative path> <label >= 0>', got '" + line + "'");
            }
            files.add(describe(root, Path.of(line.substring(0, split).strip()), label));
            maxLabel = Math.max(maxLabel, label);
        }
        if (files.isEmpty()) {
            throw new BalconException("image list file " + listFile + " lists no image: expected lines of "
                    + "'<relative path> <label>'");
        }
        List<String> classNames = new ArrayList<>();
        for (int label = 0; label <= maxLabel; label++) {
            classNames.add(Integer.toString(label));
        }
        String fileName = listFile.getFileName().toString();
        String name = fileName.contains(".") ? fileName.substring(0, fileName.lastIndexOf('.')) : fileName;
        return decodeAll(root, listFile, name, classNames, files, channels, height, width, strict, cacheDirOrNull);
    }

    /**
     * Converts images already in memory exactly as files are decoded by the loaders above (channel conversion,
     * cover-resize and centre crop), as one class named {@value #UNLABELLED_CLASS}.
     *
     * @param images   at least one image, any size and colour model javax.imageio produces
     * @param channels 1 (grayscale) or 3 (RGB)
     * @return the images as a dataset of {@code images.size()} images of {@code channels x height x width}
     * @throws BalconException if {@code images} is empty or the shape is invalid
     */
    public static ImageDataset fromImages(String name, List<java.awt.image.BufferedImage> images, int channels,
                                          int height, int width) {
        requireShape(channels, height, width);
        if (images.isEmpty()) {
            throw new BalconException("images of " + name + ": expected at least one image, got none");
        }
        int imageSize = channels * height * width;
        byte[] pixels = new byte[Math.multiplyExact(images.size(), imageSize)];
        for (int i = 0; i < images.size(); i++) {
            ImageDecoder.decode(images.get(i), channels, height, width, pixels, i * imageSize);
        }
        return new ImageDataset(name, pixels, new int[images.size()], channels, height, width, List.of(UNLABELLED_CLASS));
    }

    private static void requireShape(int channels, int height, int width) {
        if (channels != 1 && channels != 3) {
            throw new BalconException("channels must be 1 (grayscale) or 3 (RGB), got " + channels);
        }
        if (height < 1 || width < 1) {
            throw new BalconException("image height and width must be >= 1, got " + height + "x" + width);
        }
    }

    private static String datasetName(Path root) {
        Path fileName = root.toAbsolutePath().normalize().getFileName();
        return fileName == null ? root.toString() : fileName.toString();
    }

    private static List<Path> listClassFolders(Path root) {
        try (Stream<Path> children = Files.list(root)) {
            return children.filter(Files::isDirectory)
                    .filter(child -> !child.getFileName().toString().startsWith("."))
                    .sorted(Comparator.comparing(child -> child.getFileName().toString()))
                    .toList();
        } catch (IOException | UncheckedIOException e) {
            throw new BalconException("image folder " + root + " could not be listed: " + e.getMessage(), e);
        }
    }

    private static List<Path> listImages(Path classFolder) {
        try (Stream<Path> tree = Files.walk(classFolder, FileVisitOption.FOLLOW_LINKS)) {
            return tree.filter(ImageFolder::isImageFile).sorted().toList();
        } catch (IOException | UncheckedIOException e) {
            throw new BalconException("class folder " + classFolder + " could not be listed: " + e.getMessage(), e);
        }
    }

    private static boolean isImageFile(Path path) {
        String name = path.getFileName().toString();
        String lower = name.toLowerCase(Locale.ROOT);
        return !name.startsWith(".") && IMAGE_EXTENSIONS.stream().anyMatch(lower::endsWith)
                && Files.isRegularFile(path);
    }

    /** Size and mtime of a file, or -1 for both when it cannot be read (decoding then reports it as such). */
    private static ImageFile describe(Path root, Path relativePath, int label) {
        try {
            BasicFileAttributes attributes = Files.readAttributes(root.resolve(relativePath),
                    BasicFileAttributes.class);
            return new ImageFile(relativePath, label, attributes.size(), attributes.lastModifiedTime().toMillis());
        } catch (IOException e) {
            return new ImageFile(relativePath, label, -1, -1);
        }
    }

    private static int lastWhitespace(String line) {
        for (int i = line.length() - 1; i >= 0; i--) {
            if (Character.isWhitespace(line.charAt(i))) {
                return i;
            }
        }
        return -1;
    }

    private static int parseLabel(String text) {
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static LoadResult decodeAll(Path root, Path listFile, String name, List<String> classNames,
                                        List<ImageFile> files, int channels, int height, int width, boolean strict,
                                        Path cacheDirOrNull) {
        byte[] key = null;
        Path cacheFile = null;
        if (cacheDirOrNull != null) {
            key = DatasetCache.key(root, listFile, channels, height, width, classNames, files);
            cacheFile = DatasetCache.fileFor(cacheDirOrNull, key);
            DatasetCache.Entry cached = DatasetCache.read(cacheFile, key);
            if (cached != null) {
                if (strict && !cached.skipped().isEmpty()) {
                    throw undecodable(cached.skipped().get(0));
                }
                LOG.info("loaded {} images of {} from cache {}", cached.dataset().size(), root, cacheFile);
                return new LoadResult(cached.dataset(), cached.skipped(), true);
            }
        }
        int imageSize = channels * height * width;
        long totalBytes = (long) files.size() * imageSize;
        if (totalBytes > Integer.MAX_VALUE - 8) {
            throw new BalconException(files.size() + " images of " + channels + "x" + height + "x" + width + " in "
                    + root + " need " + totalBytes + " bytes, more than one Java array holds; use a smaller size");
        }
        byte[] pixels = new byte[(int) totalBytes];
        String[] failures = new String[files.size()];
        try (ProgressBar progress = files.size() > PROGRESS_BAR_THRESHOLD
                ? ProgressBar.builder().setTaskName("Decoding " + name).setInitialMax(files.size()).build()
                : null) {
            IntStream.range(0, files.size()).parallel().forEach(i -> {
                ImageFile file = files.get(i);
                if (file.sizeBytes() < 0) {
                    failures[i] = "file not found or not readable";
                } else {
                    try {
                        ImageDecoder.decode(root.resolve(file.relativePath()), channels, height, width, pixels,
                                i * imageSize);
                    } catch (IOException e) {
                        failures[i] = reason(e);
                    }
                }
                if (progress != null) {
                    progress.step();
                }
            });
        }
        List<SkippedFile> skipped = new ArrayList<>();
        int[] labels = new int[files.size()];
        int kept = 0;
        for (int i = 0; i < files.size(); i++) {
            if (failures[i] != null) {
                SkippedFile skippedFile = new SkippedFile(root.resolve(files.get(i).relativePath()), failures[i]);
                if (strict) {
                    throw undecodable(skippedFile);
                }
                LOG.warn("skipping {}: {}", skippedFile.file(), skippedFile.reason());
                skipped.add(skippedFile);
                continue;
            }
            if (kept != i) {
                // compact in place: the destination never overtakes the source
                System.arraycopy(pixels, i * imageSize, pixels, kept * imageSize, imageSize);
            }
            labels[kept++] = files.get(i).label();
        }
        if (kept == 0) {
            throw new BalconException("no image under " + root + " could be decoded (" + skipped.size()
                    + " files skipped, first " + skipped.get(0).file() + ": " + skipped.get(0).reason() + ")");
        }
        if (!skipped.isEmpty()) {
            LOG.warn("skipped {} of {} image files under {}", skipped.size(), files.size(), root);
        }
        byte[] keptPixels = kept == files.size() ? pixels : Arrays.copyOf(pixels, kept * imageSize);
        ImageDataset dataset = new ImageDataset(name, keptPixels, Arrays.copyOf(labels, kept), channels,
                height, width, classNames);
        if (cacheFile != null) {
            DatasetCache.write(cacheFile, key, new DatasetCache.Entry(dataset, skipped));
        }
        return new LoadResult(dataset, skipped, false);
    }

    /** A non-empty description of a decoding failure; some decoders throw exceptions without a message. */
    private static String reason(IOException e) {
        if (e.getMessage() != null && !e.getMessage().isBlank()) {
            return e.getMessage();
        }
        return e instanceof EOFException ? "unexpected end of file" : e.getClass().getSimpleName();
    }

    private static BalconException undecodable(SkippedFile file) {
        return new BalconException("image file " + file.file() + " could not be decoded: " + file.reason()
                + " (load without strict mode to skip such files)");
    }
}
