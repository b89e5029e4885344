package dev.balcon.data;

import dev.balcon.BalconException;
import dev.balcon.InvalidField;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Opens the dataset a run configuration (or a {@link DataSelection}) names, and selects a run's training
 * images from it (train limit, class profile). See docs/data.md for the layouts.
 */
public final class Datasets {
    public static final String FASHION_MNIST = "fashion-mnist";
    public static final String CIFAR10 = "cifar10";
    public static final String CIFAR100 = "cifar100";
    public static final String IMAGE_FOLDER = "imagefolder";
    public static final String IMAGE_LIST = "list";
    public static final String UNLABELLED_FOLDER = "unlabelled-folder";
    public static final List<String> KINDS = List.of(FASHION_MNIST, CIFAR10, CIFAR100, IMAGE_FOLDER, IMAGE_LIST,
            UNLABELLED_FOLDER);

    /** Side length image folders are resized to unless imageSize says otherwise. */
    public static final int DEFAULT_FOLDER_SIZE = 32;
    /** Channels of image folders unless channels says otherwise. */
    public static final int DEFAULT_FOLDER_CHANNELS = 3;

    private static final long SPLIT_SALT = 0x7E57_5EED_0F_5A1L;
    private static final long VALIDATION_SALT = 0x0A11_DA7E_5EEDL;

    private Datasets() {}

    /**
     * Images as loaded.
     *
     * @param train the training split
     * @param test  the test split, or null for an unlabelled folder
     * @param notes what the user should be told: splits made, files skipped, cache used (one line each)
     */
    public record Loaded(ImageDataset train, ImageDataset test, List<String> notes) {
        public Loaded {
            notes = List.copyOf(notes);
        }

        /** Whether the images carry class labels (and a test split). */
        public boolean labelled() {
            return test != null;
        }

        /** Train and test split; an unlabelled folder has none. */
        public DatasetSplits splits() {
            if (test == null) {
                throw unlabelledForEvaluation();
            }
            return new DatasetSplits(train, test);
        }
    }

    /**
     * A run's training images.
     *
     * @param images  the images to pretrain on (train limit and class profile applied)
     * @param test    the dataset's test split, or null for an unlabelled folder
     * @param notes   what to tell the user, one line each
     * @param summary what to store with the run (results.json "data"), including "class_counts"
     */
    public record TrainingSet(ImageDataset images, ImageDataset test, List<String> notes, Map<String, Object> summary) {
        public TrainingSet {
            notes = List.copyOf(notes);
        }
    }

    /**
     * Channels, height and width the images of {@code selection} will have, known without loading them.
     *
     * @throws InvalidField naming config.json's {@code data.selection.kind} for an unknown kind
     */
    public static int[] imageShape(DataSelection selection) {
        return switch (requireKind(selection.kind())) {
            case FASHION_MNIST -> new int[] {1, 28, 28};
            case CIFAR10, CIFAR100 -> new int[] {3, 32, 32};
            default -> {
                int side = selection.imageSize() == 0 ? DEFAULT_FOLDER_SIZE : selection.imageSize();
                yield new int[] {selection.channels() == 0 ? DEFAULT_FOLDER_CHANNELS : selection.channels(), side, side};
            }
        };
    }

    /**
     * Loads the train and test splits (the train split only, for an unlabelled folder). With a validation fraction,
     * the test split is set aside and a stratified part of the train split (seeded by the data seed) takes its place.
     *
     * @throws InvalidField   naming the setting's path in config.json ({@code data.selection.kind},
     *                         {@code data.selection.dataDir}, {@code data.selection.imageSize}, ...) for an unknown
     *                         kind, a missing data directory or list file, or a shape the dataset does not come in
     * @throws BalconException for a validation fraction on unlabelled images, or files that cannot be read
     */
    public static Loaded load(DataSelection selection) {
        Loaded loaded = loadSplits(selection);
        if (selection.validationFraction() == 0) {
            return loaded;
        }
        if (!loaded.labelled()) {
            throw new BalconException("validationFraction needs class labels, and dataset " + UNLABELLED_FOLDER
                    + " has none");
        }
        DatasetSplits split = validationSplit(loaded.train(), selection.validationFraction(), selection.seed());
        List<String> notes = new ArrayList<>(loaded.notes());
        notes.add(String.format("validation: held out %.0f%% of each class of the train split (data seed %d) in place"
                        + " of the test split: %d train, %d validation images; the test split is not used",
                100 * selection.validationFraction(), selection.seed(), split.train().size(), split.test().size()));
        return new Loaded(split.train(), split.test(), notes);
    }

    /**
     * The validation split of a train split: {@link #stratifiedSplit} with a seed of its own, so that it is not the
     * draw that made the test split of a folder without one.
     */
    public static DatasetSplits validationSplit(ImageDataset train, double fraction, long seed) {
        String held = "[validation " + fraction + ", seed " + seed + "]";
        return split(train, fraction, seed ^ VALIDATION_SALT, train.name() + "-fit" + held,
                train.name() + "-validation" + held);
    }

    private static Loaded loadSplits(DataSelection selection) {
        String kind = requireKind(selection.kind());
        return switch (kind) {
            case FASHION_MNIST -> fixedShape(selection, FashionMnist.load(dataDirOrNull(selection)));
            case CIFAR10 -> fixedShape(selection, Cifar.loadCifar10(requireDataDir(selection,
                    "the folder of the extracted cifar-10-binary.tar.gz (data_batch_1.bin ... test_batch.bin)")));
            case CIFAR100 -> fixedShape(selection, Cifar.loadCifar100(requireDataDir(selection,
                    "the folder of the extracted cifar-100-binary.tar.gz (train.bin, test.bin)")));
            case IMAGE_FOLDER -> imageFolder(selection);
            case IMAGE_LIST -> imageList(selection);
            default -> unlabelledFolder(selection);
        };
    }

    /**
     * The images a run pretrains on: the train split, cut to {@code trainLimit} images if set (a stratified draw,
     * {@link Subsets#limit}), then subsampled to the class profile if one is set; both draws are seeded by the
     * run's data seed, not its training seed.
     *
     * @throws InvalidField as {@link #load}, and naming the class profile's settings ({@code data.classProfile},
     *                      {@code data.rho}, {@code data.profileMax}) when the profile cannot be drawn
     */
    public static TrainingSet trainingSet(RunData config) {
        Loaded loaded = load(config.selection());
        List<String> notes = new ArrayList<>(loaded.notes());
        ImageDataset train = Subsets.limit(loaded.train(), config.trainLimit(), config.dataSeed());
        if (train != loaded.train()) {
            int[] drawn = train.classCounts();
            int[] available = loaded.train().classCounts();
            long emptied = IntStream.range(0, drawn.length).filter(c -> drawn[c] == 0 && available[c] > 0).count();
            notes.add(String.format("train limit %d: a stratified draw (data seed %d), per-class counts %s%s",
                    config.trainLimit(), config.dataSeed(), counts(drawn), emptied == 0 ? ""
                            : "; " + emptied + " class(es) get no image at this limit"));
        } else if (config.trainLimit() > 0) {
            notes.add(String.format("train limit %d: the train split has only %d images, all are used",
                    config.trainLimit(), train.size()));
        }
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("dataset", config.dataset());
        summary.put("image_shape", List.of(train.channels(), train.height(), train.width()));
        summary.put("test_images", loaded.test() == null ? null : loaded.test().size());
        if (!config.classProfile().equals("none")) {
            if (!loaded.labelled()) {
                throw new InvalidField("data.classProfile", "needs class labels, and dataset kind " + UNLABELLED_FOLDER
                        + " has none");
            }
            ClassProfileSubset profile = ClassProfileSubset.plan(config, train);
            train = profile.draw(train, config.dataSeed());
            notes.add(profile.describe());
            summary.put("profile", profile.summary());
        }
        summary.put("train_images", train.size());
        summary.put("class_names", train.classNames());
        summary.put("class_counts", train.classCounts());
        return new TrainingSet(train, loaded.test(), notes, summary);
    }

    /** The number of images {@link #trainingSet} would pretrain on, without loading the dataset again. */
    public static int trainingImages(RunData config, ImageDataset fullTrain) {
        ImageDataset train = Subsets.limit(fullTrain, config.trainLimit(), config.dataSeed());
        if (config.classProfile().equals("none")) {
            return train.size();
        }
        return Arrays.stream(ClassProfileSubset.plan(config, train).counts()).sum();
    }

    /**
     * The labelled splits k-NN evaluates a run on: the {@code evalData} image folder (at the shape of the
     * training images) if the run names one, else the dataset's own splits, never subsampled.
     *
     * @throws InvalidField naming config.json's {@code data.evalData} for an unlabelled dataset without it
     */
    public static DatasetSplits evaluationSplits(RunData config) {
        requireEvaluationData(config);
        DataSelection selection = config.selection();
        if (config.evalData() == null) {
            return load(selection).splits();
        }
        if (selection.validationFraction() > 0) {
            // the held-out images must come from the training images, and evalData replaces them for evaluation
            throw new BalconException("validationFraction and evalData cannot be combined: the validation images are"
                    + " held out of the training split, and evalData names other images to evaluate on");
        }
        int[] shape = imageShape(selection);
        return load(new DataSelection(IMAGE_FOLDER, config.evalData(), null, null, shape[1], shape[0],
                selection.strict(), selection.testFraction(), selection.cacheDir(), selection.seed(),
                selection.maxImagePixels(), 0)).splits();
    }

    /**
     * Fails at once if k-NN could not evaluate this run (unlabelled images and no {@code evalData}).
     *
     * @throws InvalidField naming config.json's {@code data.evalData}
     */
    public static void requireEvaluationData(RunData config) {
        if (config.dataset().equals(UNLABELLED_FOLDER) && config.evalData() == null) {
            throw unlabelledForEvaluation();
        }
    }

    /**
     * A seeded, stratified split: from each class, {@code round(n * testFraction)} images (at least one when
     * the class has two or more, never all) go to the test set, drawn by {@link Subsets#perClass}, so the same
     * images whatever their order; both sets keep the original image order. The names record fraction and seed.
     *
     * @param testFraction the share held out (config.json's {@code data.selection.testFraction}), in (0, 1)
     * @throws InvalidField naming {@code data.selection.testFraction} if it is not in (0, 1)
     */
    public static DatasetSplits stratifiedSplit(ImageDataset all, double testFraction, long seed) {
        if (!(testFraction > 0 && testFraction < 1)) {
            throw new InvalidField("data.selection.testFraction", "must be > 0 and < 1 to hold out a test set from "
                    + all.name() + ", got " + testFraction);
        }
        String held = "[held out " + testFraction + ", seed " + seed + "]";
        return split(all, testFraction, seed ^ SPLIT_SALT, all.name() + "-train" + held, all.name() + "-test" + held);
    }

    private static DatasetSplits split(ImageDataset all, double testFraction, long seed, String trainName,
                                       String testName) {
        int[] counts = all.classCounts();
        int[] testCounts = new int[counts.length];
        for (int c = 0; c < counts.length; c++) {
            int n = counts[c];
            testCounts[c] = n < 2 ? 0 : (int) Math.min(n - 1, Math.max(1, Math.round(n * testFraction)));
        }
        boolean[] isTest = new boolean[all.size()];
        for (int index : Subsets.perClass(all, testCounts, seed)) {
            isTest[index] = true;
        }
        int[] train = IntStream.range(0, all.size()).filter(i -> !isTest[i]).toArray();
        int[] test = IntStream.range(0, all.size()).filter(i -> isTest[i]).toArray();
        return new DatasetSplits(all.subset(train, trainName), all.subset(test, testName));
    }

    private static String requireKind(String kind) {
        if (!KINDS.contains(kind)) {
            throw new InvalidField("data.selection.kind", "'" + kind + "' is unknown; expected one of " + KINDS);
        }
        return kind;
    }

    private static InvalidField unlabelledForEvaluation() {
        return new InvalidField("data.evalData", "is needed: k-NN needs labelled images, and dataset kind "
                + UNLABELLED_FOLDER + " has none; name a labelled image folder when pretraining");
    }

    private static Path dataDirOrNull(DataSelection selection) {
        return selection.dataDir() == null ? null : Path.of(selection.dataDir());
    }

    private static Path requireDataDir(DataSelection selection, String what) {
        if (selection.dataDir() == null) {
            throw new InvalidField("data.selection.dataDir", "is needed for dataset kind " + selection.kind() + ": "
                    + what);
        }
        return Path.of(selection.dataDir());
    }

    /** Fashion-MNIST and CIFAR come in one shape: imageSize and channels may only repeat it. */
    private static Loaded fixedShape(DataSelection selection, DatasetSplits splits) {
        ImageDataset train = splits.train();
        if (selection.imageSize() != 0 && (selection.imageSize() != train.height() || selection.imageSize() != train.width())) {
            throw new InvalidField("data.selection.imageSize", "applies to image folders; " + selection.kind()
                    + " images are " + train.height() + "x" + train.width() + ", got " + selection.imageSize());
        }
        if (selection.channels() != 0 && selection.channels() != train.channels()) {
            throw new InvalidField("data.selection.channels", "applies to image folders; " + selection.kind()
                    + " images have " + train.channels() + " channel(s), got " + selection.channels());
        }
        return new Loaded(train, splits.test(), List.of());
    }

    private static Loaded imageFolder(DataSelection selection) {
        Path root = requireDataDir(selection, "a folder with train/ and test/ sub-folders of class folders, "
                + "or one of class folders");
        Path trainRoot = root.resolve("train");
        Path testRoot = root.resolve("test");
        List<String> notes = new ArrayList<>();
        if (Files.isDirectory(trainRoot) && Files.isDirectory(testRoot)) {
            ImageDataset train = folder(selection, root, trainRoot, notes);
            ImageDataset test = folder(selection, root, testRoot, notes);
            DatasetSplits splits = new DatasetSplits(train, test);
            return new Loaded(splits.train(), splits.test(), notes);
        }
        if (Files.isDirectory(testRoot)) {
            throw new BalconException("image folder " + root + " has a test/ sub-folder but no train/ one: expected both, "
                    + "or class folders directly under it");
        }
        Path classRoot = Files.isDirectory(trainRoot) ? trainRoot : root;
        return heldOut(selection, folder(selection, root, classRoot, notes), root + " has no test/ sub-folder", notes);
    }

    private static Loaded imageList(DataSelection selection) {
        if (selection.trainList() == null) {
            throw new InvalidField("data.selection.trainList", "is needed for dataset kind " + IMAGE_LIST + ": a file "
                    + "of lines '<path relative to the data directory> <label>'");
        }
        Path trainList = Path.of(selection.trainList());
        Path root = selection.dataDir() != null ? Path.of(selection.dataDir())
                : trainList.toAbsolutePath().getParent();
        List<String> notes = new ArrayList<>();
        ImageDataset train = report(ImageFolder.loadListWithReport(root, trainList, channelsOf(selection),
                sizeOf(selection), sizeOf(selection), selection.strict(), maxImagePixels(selection), cacheDir(selection)),
                trainList, notes);
        if (selection.testList() == null) {
            return heldOut(selection, train, "no test list given", notes);
        }
        Path testList = Path.of(selection.testList());
        ImageDataset test = report(ImageFolder.loadListWithReport(root, testList, channelsOf(selection),
                sizeOf(selection), sizeOf(selection), selection.strict(), maxImagePixels(selection), cacheDir(selection)),
                testList, notes);
        // class names of a list are "0".."K-1" with K = largest label + 1: a test list may stop short of it
        List<String> names = train.classNames().size() >= test.classNames().size() ? train.classNames()
                : test.classNames();
        return new Loaded(withClassNames(train, names), withClassNames(test, names), notes);
    }

    private static Loaded unlabelledFolder(DataSelection selection) {
        Path root = requireDataDir(selection, "a folder of JPEG/PNG images (searched recursively)");
        List<String> notes = new ArrayList<>();
        ImageDataset images = report(ImageFolder.loadUnlabelledWithReport(root, channelsOf(selection),
                sizeOf(selection), sizeOf(selection), selection.strict(), maxImagePixels(selection), cacheDir(selection)),
                root, notes);
        return new Loaded(images, null, notes);
    }

    private static Loaded heldOut(DataSelection selection, ImageDataset all, String why, List<String> notes) {
        DatasetSplits splits = stratifiedSplit(all, selection.testFraction(), selection.seed());
        notes.add(String.format("%s: held out %.0f%% of each class as the test set (data seed %d): %d train, %d test images",
                why, 100 * selection.testFraction(), selection.seed(), splits.train().size(), splits.test().size()));
        return new Loaded(splits.train(), splits.test(), notes);
    }

    /** A class-folder tree below {@code root}; its images' ids are their paths relative to {@code root}. */
    private static ImageDataset folder(DataSelection selection, Path root, Path classRoot, List<String> notes) {
        ImageDataset images = report(ImageFolder.loadWithReport(classRoot, channelsOf(selection), sizeOf(selection),
                sizeOf(selection), selection.strict(), maxImagePixels(selection), cacheDir(selection)), classRoot, notes);
        if (classRoot.equals(root)) {
            return images;
        }
        String prefix = root.relativize(classRoot).toString().replace(java.io.File.separatorChar, '/') + "/";
        return images.withSourceIds(images.sourceIds().stream().map(id -> prefix + id).toList());
    }

    private static ImageDataset report(ImageFolder.LoadResult result, Path source, List<String> notes) {
        ImageDataset images = result.dataset();
        notes.add(String.format("%s: %d images in %d classes, %dx%dx%d%s", source, images.size(), images.numClasses(),
                images.channels(), images.height(), images.width(), result.fromCache() ? " (from the cache)" : ""));
        if (result.skippedCount() > 0) {
            ImageFolder.SkippedFile first = result.skipped().get(0);
            notes.add(String.format("%s: skipped %d undecodable file(s), first %s (%s); strict loading makes this an error",
                    source, result.skippedCount(), first.file(), first.reason()));
        }
        if (!result.missingEndMarker().isEmpty()) {
            notes.add(String.format("%s: loaded %d JPEG file(s) that lack their end marker but hold every scanline, "
                    + "first %s", source, result.missingEndMarker().size(), result.missingEndMarker().get(0)));
        }
        return images;
    }

    private static ImageDataset withClassNames(ImageDataset images, List<String> names) {
        if (images.classNames().equals(names)) {
            return images;
        }
        return new ImageDataset(images.name(), images.pixels(), images.labels(), images.channels(), images.height(),
                images.width(), names, images.sourceIds());
    }

    private static int sizeOf(DataSelection selection) {
        return selection.imageSize() == 0 ? DEFAULT_FOLDER_SIZE : selection.imageSize();
    }

    private static int channelsOf(DataSelection selection) {
        return selection.channels() == 0 ? DEFAULT_FOLDER_CHANNELS : selection.channels();
    }

    private static long maxImagePixels(DataSelection selection) {
        return selection.maxImagePixels() == 0 ? ImageFolder.DEFAULT_MAX_IMAGE_PIXELS : selection.maxImagePixels();
    }

    private static Path cacheDir(DataSelection selection) {
        return selection.cacheDir() == null ? null : Path.of(selection.cacheDir());
    }

    /**
     * Per-class counts for a line of output: all of them up to 20 classes, else the first and last five. Public for
     * {@code PretrainRun}, which prints the counts it trains on in the same form.
     */
    public static String counts(int[] counts) {
        String shown = counts.length <= 20 ? Arrays.toString(counts)
                : Arrays.toString(Arrays.copyOf(counts, 5)).replace("]", ", ...")
                        + Arrays.toString(Arrays.copyOfRange(counts, counts.length - 5, counts.length)).replace("[", " ");
        return shown + " (total " + Arrays.stream(counts).sum() + ")";
    }
}
