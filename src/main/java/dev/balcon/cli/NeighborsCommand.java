package dev.balcon.cli;

import dev.balcon.BalconException;
import dev.balcon.data.ImageDataset;
import dev.balcon.data.DataSelection;
import dev.balcon.data.Datasets;
import dev.balcon.inference.Encoder;
import dev.balcon.retrieval.ContactSheet;
import dev.balcon.inference.EmbeddingFile;
import dev.balcon.retrieval.ExactSearch;
import dev.balcon.retrieval.HnswIndex;
import dev.balcon.retrieval.Neighbor;
import dev.balcon.train.RunDirectory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "neighbors", mixinStandardHelpOptions = true,
        description = "The images nearest to a query by cosine similarity among the vectors of 'balcon embed': a "
                + "table (rank, similarity, id, label) and, with --out, a PNG contact sheet. Exact search over the "
                + "memory-mapped vectors unless --index names an index built by 'balcon index'. See docs/inference.md.")
final class NeighborsCommand implements Callable<Integer> {
    private static final List<String> DATA_OPTIONS = List.of("--dataset", "--data", "--train-list", "--test-list",
            "--image-size", "--channels");

    @Option(names = "--embeddings", required = true, description = "FILE.npy (or FILE) written by 'balcon embed', "
            + "with FILE.csv beside it.")
    Path embeddings;

    @Option(names = "--query", description = "An image file to search with; needs the encoder: --model or --run-dir.")
    Path query;

    @Option(names = "--query-row", description = "Search with the vector of this row of the embeddings (its own row "
            + "is left out of the results).")
    Long queryRow;

    @Option(names = "--model", description = "Exported model directory that embeds --query.")
    Path model;

    @Option(names = "--run-dir", description = "Run directory: its encoder embeds --query, and its dataset supplies "
            + "the pictures of the sheet when the ids are dataset indices (IDX, CIFAR).")
    Path runDir;

    @Option(names = "--k", defaultValue = "10", description = "Number of neighbours (default: ${DEFAULT-VALUE}).")
    int k;

    @Option(names = "--index", description = "Index directory written by 'balcon index': approximate search.")
    Path index;

    @Option(names = "--candidates", defaultValue = "100",
            description = "With --index: graph candidates explored per query, at least --k (default: ${DEFAULT-VALUE}).")
    int candidates;

    @Option(names = "--out", description = "Write a PNG contact sheet: the query, then its neighbours with their similarity.")
    Path out;

    @Mixin
    DataOptions data;

    @Mixin
    ProgressOptions progress;

    @Mixin
    DeviceOptions device;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private Datasets.Loaded dataset;

    @Override
    public Integer call() {
        if ((query == null) == (queryRow == null)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "give exactly one of --query IMAGE and --query-row N");
        }
        if (query != null && (model == null) == (runDir == null)) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--query IMAGE needs the encoder that made the embeddings: exactly one of --model DIR and --run-dir DIR");
        }
        if (index != null && candidates < k) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--candidates must be at least --k (" + k
                    + "), got " + candidates);
        }
        PrintWriter log = spec.commandLine().getOut();
        try (EmbeddingFile file = EmbeddingFile.open(embeddings)) {
            BufferedImage queryImage = query == null ? null : readQuery(query);
            float[] vector = queryImage == null ? file.vector(queryRow) : embed(queryImage);
            long exclude = queryRow == null ? -1 : queryRow;
            List<Neighbor> neighbors = FieldOptions.inOptions(Map.of("k", "--k"), () -> {
                if (index == null) {
                    return ExactSearch.search(file, vector, k, exclude, ExactSearch.DEFAULT_BLOCK_ROWS);
                }
                try (HnswIndex hnsw = HnswIndex.open(index, file)) {
                    return hnsw.search(vector, k, exclude, candidates);
                }
            });
            long[] rows = new long[neighbors.size() + 1];
            for (int i = 0; i < neighbors.size(); i++) {
                rows[i] = neighbors.get(i).row();
            }
            rows[neighbors.size()] = exclude;
            Map<Long, EmbeddingFile.Record> records = file.records(rows);
            log.println(queryImage != null ? "query " + query : "query row " + queryRow + ": " + describe(records.get(queryRow)));
            int idWidth = neighbors.stream().mapToInt(n -> records.get(n.row()).id().length()).max().orElse(2);
            String row = "%4s  %10s  %-" + Math.max(2, idWidth) + "s  %s%n";
            log.printf(row, "rank", "similarity", "id", "label");
            for (int i = 0; i < neighbors.size(); i++) {
                EmbeddingFile.Record record = records.get(neighbors.get(i).row());
                log.printf(row, i + 1, String.format("%.6f", neighbors.get(i).similarity()), record.id(), record.label());
            }
            if (out != null) {
                List<ContactSheet.Tile> tiles = new ArrayList<>();
                tiles.add(queryImage != null
                        ? new ContactSheet.Tile(queryImage, "query", query.getFileName().toString())
                        : new ContactSheet.Tile(picture(records.get(queryRow)), "query row " + queryRow,
                        caption(records.get(queryRow))));
                for (int i = 0; i < neighbors.size(); i++) {
                    EmbeddingFile.Record record = records.get(neighbors.get(i).row());
                    tiles.add(new ContactSheet.Tile(picture(record),
                            String.format("%d  %.3f", i + 1, neighbors.get(i).similarity()), caption(record)));
                }
                ContactSheet.write(ContactSheet.render(tiles), out);
                log.println("contact sheet: " + out);
            }
        }
        return 0;
    }

    private float[] embed(BufferedImage image) {
        try (Encoder encoder = model != null ? Encoder.loadExport(model, false) : Encoder.loadRun(runDir, false)) {
            return encoder.embed(image);
        }
    }

    /** The query image, or one line naming it when it cannot be read or decoded. */
    static BufferedImage readQuery(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new BalconException("query image " + file + " does not exist or is not a file");
        }
        BufferedImage image;
        try {
            image = ImageIO.read(file.toFile());
        } catch (IOException | RuntimeException e) {
            throw new BalconException("query image " + file + " cannot be decoded: " + e.getMessage(), e);
        }
        if (image == null) {
            throw new BalconException("query image " + file + " cannot be decoded: not a JPEG, PNG, GIF or BMP image");
        }
        return image;
    }

    private static String describe(EmbeddingFile.Record record) {
        return record.id() + (record.label().isEmpty() ? "" : " (" + record.label() + ")");
    }

    private static String caption(EmbeddingFile.Record record) {
        return record.label().isEmpty() ? record.id() : record.label() + " " + record.id();
    }

    /**
     * The picture of a row: the file {@code --data/id} when it exists, else image {@code id} of the row's split of
     * the dataset (the run's own with --run-dir and no data options, or the one --dataset names), else none.
     */
    private BufferedImage picture(EmbeddingFile.Record record) {
        if (data.dataDir != null) {
            try {
                Path file = Path.of(data.dataDir).resolve(record.id());
                if (Files.isRegularFile(file)) {
                    return ImageIO.read(file.toFile());
                }
            } catch (InvalidPathException | IOException e) {
                return null;
            }
        }
        int index;
        try {
            index = Integer.parseInt(record.id());
        } catch (NumberFormatException e) {
            return null;
        }
        Datasets.Loaded loaded = dataset();
        if (loaded == null) {
            return null;
        }
        ImageDataset images = record.split().equals("test") ? loaded.test() : loaded.train();
        return images == null || index < 0 || index >= images.size() ? null : ContactSheet.image(images, index);
    }

    /** The dataset the ids index, loaded once: the run's own, or the one the data options name; null if neither. */
    private Datasets.Loaded dataset() {
        if (dataset == null) {
            CommandLine.ParseResult parsed = spec.commandLine().getParseResult();
            boolean dataOptions = DATA_OPTIONS.stream().anyMatch(parsed::hasMatchedOption);
            if (runDir != null && !dataOptions) {
                dataset = Datasets.load(new RunDirectory(runDir).readConfig().data().selection());
            } else if (parsed.hasMatchedOption("--dataset")) {
                dataset = TrainingOptions.inOptions(() -> Datasets.load(data.toSelection()));
            }
        }
        return dataset;
    }
}
