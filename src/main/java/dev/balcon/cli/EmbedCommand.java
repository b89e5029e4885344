package dev.balcon.cli;

import dev.balcon.BalconException;
import dev.balcon.data.DataSelection;
import dev.balcon.data.Datasets;
import dev.balcon.inference.Embeddings;
import dev.balcon.inference.Encoder;
import dev.balcon.model.Precision;
import dev.balcon.train.RunDirectory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "embed", mixinStandardHelpOptions = true,
        description = "Backbone features of every image of a dataset, in batches: FILE.npy (float32 [N, d], NumPy "
                + "format) and FILE.csv (row, id = file path relative to --data, or index in its split for IDX/CIFAR, split, label). Images are resized and "
                + "normalised as the encoder was trained, and encoded in --precision. See docs/inference.md.")
final class EmbedCommand implements Callable<Integer> {
    private static final List<String> DATA_OPTIONS = List.of("--dataset", "--data", "--train-list", "--test-list",
            "--image-size", "--channels");
    private static final List<String> FOLDER_KINDS = List.of(Datasets.IMAGE_FOLDER, Datasets.IMAGE_LIST,
            Datasets.UNLABELLED_FOLDER);

    @Option(names = "--model", description = "Exported model directory written by 'balcon export'.")
    Path model;

    @Option(names = "--run-dir", description = "Run directory written by 'balcon pretrain' (its latest checkpoint); "
            + "without data options, the run's own dataset is embedded.")
    Path runDir;

    @Mixin
    DataOptions data;

    @Option(names = "--split", defaultValue = "all", description = "train, test or all (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--out", required = true, description = "Output path without extension: FILE.npy and FILE.csv are written.")
    Path out;

    @Option(names = "--l2-normalize", description = "Divide every vector by its Euclidean norm.")
    boolean l2Normalize;

    @Mixin
    ProgressOptions progress;

    @Mixin
    DeviceOptions device;

    @Mixin
    PrecisionOptions precision;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        if ((model == null) == (runDir == null)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "give exactly one of --model DIR and --run-dir DIR");
        }
        if (!List.of("train", "test", "all").contains(split)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--split must be train, test or all, got '" + split + "'");
        }
        PrintWriter log = spec.commandLine().getOut();
        try (Encoder encoder = model != null ? Encoder.loadExport(model, l2Normalize) : Encoder.loadRun(runDir, l2Normalize)) {
            encoder.setPrecision(precision.precision);
            Datasets.Loaded loaded = TrainingOptions.inOptions(() -> Datasets.load(selection(encoder)));
            loaded.notes().forEach(log::println);
            Embeddings.Summary summary = Embeddings.write(encoder, splits(loaded), out, !progress.noProgress);
            String computedIn = precision.precision == Precision.FP32 ? "" : ", in " + precision.precision.id();
            log.printf("embedded %d images (%d features each%s) in %.1f s, %.0f images/s: %s, %s%n", summary.images(),
                    summary.dim(), computedIn, summary.seconds(), summary.imagesPerSecond(), summary.npyFile(),
                    summary.csvFile());
        }
        return 0;
    }

    /** The data options; with --run-dir and none of them, the run's own dataset. Folders default to the encoder's shape. */
    private DataSelection selection(Encoder encoder) {
        CommandLine.ParseResult parsed = spec.commandLine().getParseResult();
        if (runDir != null && DATA_OPTIONS.stream().noneMatch(parsed::hasMatchedOption)) {
            return new RunDirectory(runDir).readConfig().dataSelection();
        }
        DataSelection given = data.toSelection();
        if (!FOLDER_KINDS.contains(given.kind())) {
            return given;
        }
        return new DataSelection(given.kind(), given.dataDir(), given.trainList(), given.testList(),
                given.imageSize() == 0 ? encoder.height() : given.imageSize(),
                given.channels() == 0 ? encoder.channels() : given.channels(), given.strict(), given.testFraction(),
                given.cacheDir(), given.seed(), given.maxImagePixels(), given.validationFraction());
    }

    private List<Embeddings.Split> splits(Datasets.Loaded loaded) {
        if (split.equals("test") && !loaded.labelled()) {
            throw new BalconException("--split test: an unlabelled folder has no test split; use --split train or all");
        }
        List<Embeddings.Split> splits = new ArrayList<>();
        if (!split.equals("test")) {
            splits.add(new Embeddings.Split("train", loaded.train(), loaded.labelled()));
        }
        if (!split.equals("train") && loaded.test() != null) {
            splits.add(new Embeddings.Split("test", loaded.test(), true));
        }
        return splits;
    }
}
