package dev.balcon.data;

import dev.balcon.BalconException;
import dev.balcon.Progress;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemLoopException;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.IntStream;
import java.util.stream.Stream;
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
 * progress reported to {@link Progress#current()} when there are more than {@value #PROGRESS_BAR_THRESHOLD}.
 *
 * <p>Hidden files and folders (name starting with '.') and {@code __MACOSX} folders are ignored at every
 * depth. A file that cannot be decoded (corrupt, truncated, not an image, missing from a list, more pixels
 * than {@code maxImagePixels}, or any failure inside a decoder) is skipped with a warning and reported in
 * {@link LoadResult#skipped()}, or, with {@code strict}, fails the load. A JPEG that lacks only its
 * end-of-image marker holds every scanline and is loaded; it is reported in {@link LoadResult#missingEndMarker()}.
 * The optional cache directory keeps the decoded result (see {@link DatasetCache}) so later loads of
 * unchanged files skip decoding. Loaded datasets carry each image's path relative to the root as its
 * {@linkplain ImageDataset#sourceIds() source id}.
 */
public final class ImageFolder {
    private static final Logger LOG = LoggerFactory.getLogger(ImageFolder.class);
    private static final int PROGRESS_BAR_THRESHOLD = 500;
    /** Java arrays cannot hold more elements than this (JDK limit a little below Integer.MAX_VALUE). */
    private static final long MAX_ARRAY_LENGTH = Integer.MAX_VALUE - 8;
    private static final List<String> IMAGE_EXTENSIONS = List.of(".jpg", ".jpeg", ".png");
    /** Folder of resource forks and Finder data that macOS adds to zip archives. */
    private static final String MACOS_ARCHIVE_FOLDER = "__MACOSX";
    /** Labels of a list file are class ids; a larger one is a typo, not a class. */
    private static final int MAX_LIST_LABEL = 999_999;
    /** Longest part of a malformed list-file line quoted in an error. */
    private static final int QUOTED_LINE_CHARS = 80;

    /**
     * Default largest width x height decoded: Pillow's decompression-bomb limit ({@code MAX_IMAGE_PIXELS},
     * 2^30 / 4 / 3 pixels, about 0.25 GiB of 24-bit RGB). A 30000x30000 PNG of one colour is under 1 MB on
     * disk but 2.7 GB decoded.
     */
    public static final long DEFAULT_MAX_IMAGE_PIXELS = 89_478_485L;

    private ImageFolder() {
    }

    /** A file left out of the dataset, with why. */
    public record SkippedFile(Path file, String reason) {
    }

    /**
     * A loaded dataset with what was left out.
     *
     * @param dataset   the decoded images
     * @param skipped          files that could not be decoded, in file order (empty when all decoded)
     * @param missingEndMarker JPEG files loaded although they lack their end-of-image marker, in file order
     * @param fromCache        whether the images came from the cache instead of being decoded
     */
    public record LoadResult(ImageDataset dataset, List<SkippedFile> skipped, List<Path> missingEndMarker,
                             boolean fromCache) {
        public LoadResult {
            skipped = List.copyOf(skipped);
            missingEndMarker = List.copyOf(missingEndMarker);
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
     * Loads a class-per-folder tree without cache, with the default pixel limit; see {@link #loadWithReport}.
     */
    public static ImageDataset load(Path root, int channels, int height, int width, boolean strict) {
        return loadWithReport(root, channels, height, width, strict, DEFAULT_MAX_IMAGE_PIXELS, null).dataset();
    }

    /**
     * Loads a class-per-folder tree: each sub-folder of {@code root} is a class, class ids follow the sorted
     * folder names, and every {@code .jpg/.jpeg/.png} file below a class folder (recursively, in sorted path
     * order) is an image of it; hidden and {@code __MACOSX} entries are ignored at every depth. The dataset is
     * named after the root folder.
     *
     * @param channels       1 (grayscale) or 3 (RGB)
     * @param height         output height in pixels, >= 1
     * @param width          output width in pixels, >= 1
     * @param strict         fail on the first undecodable file instead of skipping it
     * @param maxImagePixels largest width x height of a source image, >= 1; larger images are skipped
     *                       unread (see {@link #DEFAULT_MAX_IMAGE_PIXELS})
     * @param cacheDirOrNull directory for the decoded-image cache, or null for no cache
     * @throws BalconException if the root is not a readable directory, has no class folders, a class folder
     *                         has no image file, no image could be decoded, or (strict) a file is undecodable
     */
    public static LoadResult loadWithReport(Path root, int channels, int height, int width, boolean strict,
                                            long maxImagePixels, Path cacheDirOrNull) {
        requireShape(channels, height, width, maxImagePixels);
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
                maxImagePixels, cacheDirOrNull);
    }

    /** The single class name of an unlabelled load. */
    public static final String UNLABELLED_CLASS = "unlabelled";

    /**
     * Loads every {@code .jpg/.jpeg/.png} file below {@code root} (recursively, in sorted path order, folders
     * carry no meaning; hidden and {@code __MACOSX} entries are ignored) as one class named
     * {@value #UNLABELLED_CLASS}: images for self-supervised pretraining without labels. Skipping, strict
     * mode, the pixel limit and the cache work as in {@link #loadWithReport}.
     *
     * @throws BalconException if the root is not a readable directory, holds no image file, no image could be
     *                         decoded, or (strict) a file is undecodable
     */
    public static LoadResult loadUnlabelledWithReport(Path root, int channels, int height, int width, boolean strict,
                                                      long maxImagePixels, Path cacheDirOrNull) {
        requireShape(channels, height, width, maxImagePixels);
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
                strict, maxImagePixels, cacheDirOrNull);
    }

    /**
     * Loads the images of a list file without cache, with the default pixel limit; see
     * {@link #loadListWithReport}.
     */
    public static ImageDataset loadList(Path root, Path listFile, int channels, int height, int width,
                                        boolean strict) {
        return loadListWithReport(root, listFile, channels, height, width, strict, DEFAULT_MAX_IMAGE_PIXELS, null)
                .dataset();
    }

    /**
     * Loads the images named by a list file in the ImageNet-LT format: one {@code relative/path.jpg label}
     * per line, the path relative to {@code root} and the label a non-negative integer after the last
     * whitespace, at most {@value #MAX_LIST_LABEL}; blank lines and lines starting with {@code #} are
     * ignored. Class names are the ids {@code "0" .. "K-1"} with K = largest label + 1. A listed file that
     * does not exist counts as undecodable; listed files are taken as listed, hidden or not. The dataset is
     * named after the list file without its extension. Skipping, strict mode, the pixel limit and the cache
     * work as in {@link #loadWithReport}.
     *
     * @throws BalconException if the list file cannot be read or has a malformed line, lists nothing, no
     *                         image could be decoded, or (strict) a listed file is missing or undecodable
     */
    public static LoadResult loadListWithReport(Path root, Path listFile, int channels, int height, int width,
                                                boolean strict, long maxImagePixels, Path cacheDirOrNull) {
        requireShape(channels, height, width, maxImagePixels);
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
            Path relativePath = split < 0 ? null : parsePath(line.substring(0, split).strip());
            if (label < 0 || label > MAX_LIST_LABEL || relativePath == null) {
                throw new BalconException("image list file " + listFile + " line " + lineNumber
                        + ": expected '<relative path> <label in [0, " + MAX_LIST_LABEL + "]>', got '"
                        + quote(line) + "'");
            }
            files.add(describe(root, relativePath, label));
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
        return decodeAll(root, listFile, name, classNames, files, channels, height, width, strict, maxImagePixels,
                cacheDirOrNull);
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
        requireShape(channels, height, width, DEFAULT_MAX_IMAGE_PIXELS);
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

    private static void requireShape(int channels, int height, int width, long maxImagePixels) {
        if (channels != 1 && channels != 3) {
            throw new BalconException("channels must be 1 (grayscale) or 3 (RGB), got " + channels);
        }
        if (height < 1 || width < 1) {
            throw new BalconException("image height and width must be >= 1, got " + height + "x" + width);
        }
        if ((long) channels * height * width > MAX_ARRAY_LENGTH) {
            throw new BalconException("one image of " + channels + "x" + height + "x" + width
                    + " is more bytes than one Java array holds; use a smaller image height and width");
        }
        if (maxImagePixels < 1) {
            throw new BalconException("maxImagePixels must be >= 1, got " + maxImagePixels);
        }
    }

    private static String datasetName(Path root) {
        Path fileName = root.toAbsolutePath().normalize().getFileName();
        return fileName == null ? root.toString() : fileName.toString();
    }

    private static List<Path> listClassFolders(Path root) {
        try (Stream<Path> children = Files.list(root)) {
            return children.filter(Files::isDirectory)
                    .filter(child -> !isIgnored(child))
                    .sorted(Comparator.comparing(child -> child.getFileName().toString()))
                    .toList();
        } catch (IOException | UncheckedIOException e) {
            throw new BalconException("image folder " + root + " could not be listed: " + e.getMessage(), e);
        }
    }

    /**
     * The image files below {@code folder} in sorted path order, not descending into ignored folders (which
     * may be large: a {@code .git} or a Jupyter checkpoint folder).
     */
    private static List<Path> listImages(Path folder) {
        List<Path> images = new ArrayList<>();
        try {
            Files.walkFileTree(folder, EnumSet.of(FileVisitOption.FOLLOW_LINKS), Integer.MAX_VALUE,
                    new SimpleFileVisitor<>() {
                        @Override
                        public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attributes) {
                            return !dir.equals(folder) && isIgnored(dir) ? FileVisitResult.SKIP_SUBTREE
                                    : FileVisitResult.CONTINUE;
                        }

                        @Override
                        public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) {
                            if (attributes.isRegularFile() && isImageFile(file)) {
                                images.add(file);
                            }
                            return FileVisitResult.CONTINUE;
                        }
                    });
        } catch (IOException e) {
            String problem = e instanceof FileSystemLoopException ? "a symbolic link loops back to " + e.getMessage()
                    : e.getMessage();
            throw new BalconException("folder " + folder + " could not be listed: " + problem, e);
        }
        images.sort(null);
        return images;
    }

    /** Hidden entries (name starting with '.') and macOS archive folders, which hold no data set images. */
    private static boolean isIgnored(Path path) {
        String name = path.getFileName().toString();
        return name.startsWith(".") || name.equals(MACOS_ARCHIVE_FOLDER);
    }

    private static boolean isImageFile(Path path) {
        String lower = path.getFileName().toString().toLowerCase(Locale.ROOT);
        return !isIgnored(path) && IMAGE_EXTENSIONS.stream().anyMatch(lower::endsWith);
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

    /** The path, or null if the platform cannot represent it (a NUL character, say). */
    private static Path parsePath(String text) {
        try {
            return text.isEmpty() ? null : Path.of(text);
        } catch (InvalidPathException e) {
            return null;
        }
    }

    private static String quote(String line) {
        return line.length() <= QUOTED_LINE_CHARS ? line : line.substring(0, QUOTED_LINE_CHARS) + "...";
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
                                        long maxImagePixels, Path cacheDirOrNull) {
        byte[] key = null;
        Path cacheFile = null;
        if (cacheDirOrNull != null) {
            key = DatasetCache.key(root, listFile, channels, height, width, maxImagePixels, classNames, files);
            cacheFile = DatasetCache.fileFor(cacheDirOrNull, key);
            DatasetCache.Entry cached = DatasetCache.read(cacheFile, key);
            if (cached != null) {
                if (strict && !cached.skipped().isEmpty()) {
                    throw undecodable(cached.skipped().get(0));
                }
                // the key covers the file list, so the kept files are the listed ones less the skipped ones
                Set<Path> skippedFiles = new HashSet<>();
                cached.skipped().forEach(skipped -> skippedFiles.add(skipped.file()));
                List<String> ids = files.stream().filter(file -> !skippedFiles.contains(root.resolve(file.relativePath())))
                        .map(ImageFolder::sourceId).toList();
                if (ids.size() == cached.dataset().size()) {
                    LOG.info("loaded {} images of {} from cache {}", cached.dataset().size(), root, cacheFile);
                    return new LoadResult(cached.dataset().withSourceIds(ids), cached.skipped(),
                            cached.missingEndMarker(), true);
                }
                LOG.warn("ignoring cache {}: it holds {} images, the file list less its skipped files {}", cacheFile,
                        cached.dataset().size(), ids.size());
            }
        }
        int imageSize = channels * height * width; // checked by requireShape
        long totalBytes = (long) files.size() * imageSize;
        if (totalBytes > MAX_ARRAY_LENGTH) {
            throw new BalconException(files.size() + " images of " + channels + "x" + height + "x" + width + " in "
                    + root + " need " + totalBytes + " bytes, more than one Java array holds; use a smaller size");
        }
        byte[] pixels;
        try {
            pixels = new byte[(int) totalBytes];
        } catch (OutOfMemoryError e) {
            throw new BalconException(files.size() + " images of " + channels + "x" + height + "x" + width + " in "
                    + root + " need " + totalBytes + " bytes, more than the Java heap has free ("
                    + Runtime.getRuntime().maxMemory() + " bytes at most); use a smaller size or a larger heap (-Xmx)");
        }
        String[] failures = new String[files.size()];
        boolean[] missingEnd = new boolean[files.size()];
        try (Progress.Task progress = files.size() > PROGRESS_BAR_THRESHOLD
                ? Progress.current().start("Decoding " + name, files.size())
                : null) {
            IntStream.range(0, files.size()).parallel().forEach(i -> {
                ImageFile file = files.get(i);
                if (file.sizeBytes() < 0) {
                    failures[i] = "file not found or not readable";
                } else {
                    try {
                        missingEnd[i] = ImageDecoder.decode(root.resolve(file.relativePath()), channels, height,
                                width, maxImagePixels, pixels, i * imageSize) == ImageDecoder.Outcome.MISSING_END_MARKER;
                    } catch (IOException | RuntimeException | Error e) {
                        // whatever goes wrong with one file (a decoder bug, memory for one huge image) skips it
                        failures[i] = reason(e);
                    }
                }
                if (progress != null) {
                    progress.step();
                }
            });
        }
        List<SkippedFile> skipped = new ArrayList<>();
        List<Path> missingEndMarker = new ArrayList<>();
        int[] labels = new int[files.size()];
        List<String> ids = new ArrayList<>(files.size());
        int kept = 0;
        for (int i = 0; i < files.size(); i++) {
            if (missingEnd[i]) {
                missingEndMarker.add(root.resolve(files.get(i).relativePath()));
            }
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
            ids.add(sourceId(files.get(i)));
        }
        if (kept == 0) {
            throw new BalconException("no image under " + root + " could be decoded (" + skipped.size()
                    + " files skipped, first " + skipped.get(0).file() + ": " + skipped.get(0).reason() + ")");
        }
        if (!skipped.isEmpty()) {
            LOG.warn("skipped {} of {} image files under {}", skipped.size(), files.size(), root);
        }
        if (!missingEndMarker.isEmpty()) {
            LOG.info("loaded {} JPEG file(s) under {} that lack their end marker but hold every scanline, first {}",
                    missingEndMarker.size(), root, missingEndMarker.get(0));
        }
        byte[] keptPixels = kept == files.size() ? pixels : Arrays.copyOf(pixels, kept * imageSize);
        ImageDataset dataset = new ImageDataset(name, keptPixels, Arrays.copyOf(labels, kept), channels,
                height, width, classNames, ids);
        if (cacheFile != null) {
            DatasetCache.write(cacheFile, key, new DatasetCache.Entry(dataset, skipped, missingEndMarker));
        }
        return new LoadResult(dataset, skipped, missingEndMarker, false);
    }

    /** The file's path relative to the loader's root, '/'-separated on every platform. */
    private static String sourceId(ImageFile file) {
        return file.relativePath().toString().replace(java.io.File.separatorChar, '/');
    }

    /**
     * A non-empty, one-line description of a decoding failure; some decoders throw exceptions without a
     * message, and unchecked ones are named by their class, being unexpected.
     */
    private static String reason(Throwable e) {
        String message = e.getMessage() == null ? "" : e.getMessage().strip().replaceAll("\\s+", " ");
        if (e instanceof OutOfMemoryError) {
            return "not enough memory to decode it (" + message + ")";
        }
        if (!(e instanceof IOException)) {
            return "decoder error (" + e.getClass().getSimpleName() + (message.isEmpty() ? "" : ": " + message) + ")";
        }
        if (!message.isEmpty()) {
            return message;
        }
        return e instanceof EOFException ? "unexpected end of file" : e.getClass().getSimpleName();
    }

    private static BalconException undecodable(SkippedFile file) {
        return new BalconException("image file " + file.file() + " could not be decoded: " + file.reason()
                + " (load without strict mode to skip such files)");
    }
}
