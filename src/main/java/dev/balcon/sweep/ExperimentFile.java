package dev.balcon.sweep;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.balcon.BalconException;
import dev.balcon.InvalidField;
import dev.balcon.eval.KnnClassifier;
import dev.balcon.eval.LinearProbe;
import dev.balcon.run.BiasMeasurement;
import dev.balcon.train.PretrainConfig;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CoderResult;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An experiment: a grid of pretraining runs, several seeds each, and the evaluations to run on them, read from a
 * YAML file (docs/experiments.md). The whole file is checked, and the configuration of every run built and
 * validated, when it is read: a mistake is reported, with its key and line, before anything runs.
 *
 * <pre>
 * description: free text
 * budget: free text (how long it takes, on what)
 * base: {width: 16, epochs: 3, train_limit: 10000}   # settings shared by every cell
 * grid: {alpha: [1, 2, 4], lambda: [1, 2, 4]}       # the cross product: one cell per combination
 * cells:                                           # and/or explicit named cells
 *   - {name: nt_xent, loss: nt_xent, tau: 0.5}
 * seeds: [0, 1, 2]
 * evaluate: [knn, linear, bias]
 * protocol: {train_images: 10000, knn_k: 200, bias_per_class: 100}
 * </pre>
 */
public final class ExperimentFile {
    /** The keys a file may have at its top level. */
    public static final List<String> TOP_LEVEL_KEYS = List.of("description", "budget", "base", "grid", "cells", "seeds",
            "evaluate", "protocol", "search");
    /** The evaluations, in the order they run. */
    public static final String KNN = "knn";
    public static final String LINEAR = "linear";
    public static final String BIAS = "bias";
    public static final List<String> EVALUATIONS = List.of(KNN, LINEAR, BIAS);
    /** The settings key the sweep sets itself, from {@code seeds}. */
    public static final String SEED_KEY = "seed";
    /** The name of the one cell of a file with neither grid nor cells. */
    public static final String BASE_CELL = "base";

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    /** Most cells a grid may make (the product of its list lengths), checked before they are built. */
    public static final int MAX_GRID_CELLS = 10_000;
    private static final Pattern CELL_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._=,+-]*");
    private static final Pattern UNSAFE_NAME_CHARACTERS = Pattern.compile("[^A-Za-z0-9._=,+-]");

    /**
     * One cell: a point of the grid or an explicit cell.
     *
     * @param name     unique name, also its directory in the sweep
     * @param settings the settings of its runs: base, overridden by the cell's own
     * @param own      the cell's own settings (grid values or explicit keys), as text: what tells it apart
     */
    public record Cell(String name, Map<String, JsonNode> settings, Map<String, String> own) {}

    /** One run: a cell with one seed, and its validated configuration. */
    public record Run(Cell cell, long seed, PretrainConfig config) {
        /** The run's directory in the sweep directory {@code out}: out/cell/seed-N. */
        public Path directory(Path out) {
            return out.resolve(cell.name()).resolve("seed-" + seed);
        }

        /** "cell, seed N", for messages. */
        public String label() {
            return cell.name() + ", seed " + seed;
        }
    }

    /**
     * How the runs are evaluated (the {@code protocol} section).
     *
     * @param trainImages      this many training images, a stratified draw seeded by each run's data seed, form
     *                         the k-NN memory bank and the linear probe's training set (0 = all); the test split
     *                         is always whole
     * @param knnK             k-NN neighbours
     * @param knnTemperature   k-NN vote temperature
     * @param linearIterations L-BFGS iterations at most
     * @param linearL2         L2 weight of the linear probe
     * @param biasViews        K, augmented views per image for the bias
     * @param biasPerClass     test images per class for the bias (0 = every test image)
     * @param biasRecipe       recipe that draws the bias views, or null for each run's own
     */
    public record Protocol(int trainImages, int knnK, double knnTemperature, int linearIterations, double linearL2,
                           int biasViews, int biasPerClass, String biasRecipe) {
        /** The protocol keys, as written in a file. */
        public static final List<String> KEYS = List.of("train_images", "knn_k", "knn_temperature",
                "linear_iterations", "linear_l2", "bias_views", "bias_per_class", "bias_recipe");
        /** Seed of the bias image draw and views: fixed, so that every run is measured on the same images. */
        public static final long BIAS_SEED = 0;

        /** The defaults: all training images, the defaults of the knn, linear and bias verbs. */
        public static Protocol defaults() {
            return new Protocol(0, KnnClassifier.DEFAULT_K, KnnClassifier.DEFAULT_TEMPERATURE,
                    LinearProbe.DEFAULT_ITERATIONS, LinearProbe.DEFAULT_L2, BiasMeasurement.DEFAULT_VIEWS, 0, null);
        }

        public KnnClassifier knn() {
            return new KnnClassifier(knnK, knnTemperature);
        }

        public LinearProbe linear() {
            return new LinearProbe(linearIterations, linearL2);
        }

        public BiasMeasurement.Options bias() {
            return new BiasMeasurement.Options(biasViews, biasPerClass, "test", biasRecipe, BIAS_SEED);
        }
    }

    /**
     * How {@code balcon tune} searches the cells ({@link Tune}): successive halving (Jamieson and Talwalkar, 2016;
     * the inner loop of Hyperband, Li et al., 2018). Every cell trains {@code minEpochs}; the best 1/{@code eta} by
     * k-NN top-1 on the validation images go on to {@code eta} times the epochs, and so on until the cells' own
     * epochs. {@code balcon sweep} ignores this section and runs the whole grid.
     *
     * @param eta                the factor of elimination and of budget growth, >= 2
     * @param minEpochs          the epochs of the first rung, >= 1 and at most the cells' epochs
     * @param validationFraction share of each class of the training split held out for the selection, in (0, 1)
     */
    public record Search(int eta, int minEpochs, double validationFraction) {
        /** Its keys in the file. */
        public static final List<String> KEYS = List.of("eta", "min_epochs", "validation_fraction");

        public Search {
            if (eta < 2) {
                throw new BalconException("eta must be >= 2 (keep the best 1/eta of the cells at each rung), got " + eta);
            }
            if (minEpochs < 1) {
                throw new BalconException("min_epochs must be >= 1, got " + minEpochs);
            }
            if (!(validationFraction > 0 && validationFraction < 1)) {
                throw new BalconException("validation_fraction must be > 0 and < 1, got " + validationFraction);
            }
        }

        /** eta 3, one epoch first, a fifth of each class held out. */
        public static Search defaults() {
            return new Search(3, 1, 0.2);
        }

        /**
         * The epochs of each rung for cells trained {@code epochs} in full: minEpochs, times eta while below
         * {@code epochs}, then {@code epochs}.
         *
         * @throws BalconException if minEpochs exceeds epochs
         */
        public List<Integer> rungEpochs(int epochs) {
            if (minEpochs > epochs) {
                throw new BalconException("min_epochs (" + minEpochs + ") must not exceed the cells' epochs (" + epochs
                        + ")");
            }
            List<Integer> rungs = new ArrayList<>();
            for (long e = minEpochs; e < epochs; e *= eta) {
                rungs.add((int) e);
            }
            rungs.add(epochs);
            return List.copyOf(rungs);
        }
    }

    private final Path file;
    private final String text;
    private final String description;
    private final String budget;
    private final List<Cell> cells;
    private final List<String> cellKeys;
    private final List<Long> seeds;
    private final List<String> evaluate;
    private final Protocol protocol;
    private final Search search;
    private final List<Run> runs;
    private final List<String> gridKeys;

    private ExperimentFile(Path file, String text, String description, String budget, List<Cell> cells,
                           List<String> cellKeys, List<String> gridKeys, List<Long> seeds, List<String> evaluate,
                           Protocol protocol, Search search, List<Run> runs) {
        this.file = file;
        this.text = text;
        this.description = description;
        this.budget = budget;
        this.cells = List.copyOf(cells);
        this.cellKeys = List.copyOf(cellKeys);
        this.gridKeys = List.copyOf(gridKeys);
        this.seeds = List.copyOf(seeds);
        this.evaluate = List.copyOf(evaluate);
        this.protocol = protocol;
        this.search = search;
        this.runs = List.copyOf(runs);
    }

    /**
     * Reads and checks an experiment file and builds the configuration of every run with {@code configs}.
     *
     * @throws BalconException naming the file, line and key of the first mistake
     */
    public static ExperimentFile read(Path file, RunConfigFactory configs) {
        if (!Files.isRegularFile(file)) {
            throw new BalconException("experiment file " + file + " does not exist");
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new BalconException(file + ": cannot read the experiment file: " + e.getMessage(), e);
        }
        return parse(file, utf8(file, bytes), configs);
    }

    /** The bytes as UTF-8 text; the first byte that is not UTF-8 is reported with its line. */
    private static String utf8(Path file, byte[] bytes) {
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult result = StandardCharsets.UTF_8.newDecoder().decode(in, out, true);
        if (result.isError()) {
            int line = 1;
            for (int i = 0; i < in.position(); i++) {
                line += bytes[i] == '\n' ? 1 : 0;
            }
            throw new BalconException(file + ":" + line + ": not UTF-8 text (byte " + in.position()
                    + " cannot be decoded): save the experiment file as UTF-8");
        }
        return out.flip().toString();
    }

    /**
     * As {@link #read}, with settings changed from the command line: {@code key=value} with a settings key sets it in
     * {@code base} (a key the cells vary cannot be set), {@code protocol.key=value} sets a protocol key, and
     * {@code seeds}, {@code evaluate}, {@code description} and {@code budget} replace the file's; values are YAML
     * ({@code seeds=[0]}). The file is checked as written first; {@link #text()} is then the changed file.
     */
    public static ExperimentFile read(Path file, RunConfigFactory configs, List<String> overrides) {
        ExperimentFile original = read(file, configs);
        if (overrides.isEmpty()) {
            return original;
        }
        ObjectNode root;
        try {
            root = (ObjectNode) YAML.readTree(original.text());
        } catch (JacksonException e) {
            throw new IllegalStateException("the file parsed a moment ago", e);
        }
        for (String override : overrides) {
            applyOverride(root, override);
        }
        String text;
        try {
            text = "# " + file + " with --set " + String.join(" --set ", overrides) + "\n"
                    + YAML.writeValueAsString(root);
        } catch (JacksonException e) {
            throw new IllegalStateException("cannot write YAML", e);
        }
        return parse(file, text, configs);
    }

    private static final List<String> REPLACEABLE_TOP_LEVEL_KEYS = List.of("seeds", "evaluate", "description", "budget");

    private static void applyOverride(ObjectNode root, String override) {
        int equals = override.indexOf('=');
        if (equals < 1) {
            throw new BalconException("--set expects KEY=VALUE, got '" + override + "'");
        }
        String key = override.substring(0, equals).strip();
        JsonNode value;
        try {
            value = YAML.readTree(override.substring(equals + 1));
        } catch (JacksonException e) {
            throw new BalconException("--set " + key + ": the value is not valid YAML: " + firstLine(e.getOriginalMessage()));
        }
        if (value == null || value.isMissingNode()) {
            throw new BalconException("--set " + key + ": expected a value after '='");
        }
        if (key.startsWith("protocol.") || key.startsWith("search.")) {
            String name = key.substring(0, key.indexOf('.'));
            JsonNode existing = root.get(name);
            ObjectNode section = existing instanceof ObjectNode node ? node : root.putObject(name);
            section.set(key.substring(name.length() + 1), value);
        } else if (REPLACEABLE_TOP_LEVEL_KEYS.contains(key)) {
            root.set(key, value);
        } else {
            boolean varied = root.path("grid").has(key);
            for (JsonNode cell : root.path("cells")) {
                varied |= cell.has(key);
            }
            if (varied) {
                throw new BalconException("--set " + key + ": the cells of the experiment set '" + key + "' themselves;"
                        + " only settings they share can be changed");
            }
            JsonNode base = root.get("base");
            (base instanceof ObjectNode node ? node : root.putObject("base")).set(key, value);
        }
    }

    /** As {@link #read}, on the text of a file called {@code file}. */
    public static ExperimentFile parse(Path file, String text, RunConfigFactory configs) {
        return new Parser(file, text, configs).parse();
    }

    /** The file it was read from. */
    public Path file() {
        return file;
    }

    /** The file's name without its extension. */
    public String name() {
        return file.getFileName().toString().replaceFirst("\\.ya?ml$", "");
    }

    /** The file's text, as read. */
    public String text() {
        return text;
    }

    /** The {@code description}, or "" if none. */
    public String description() {
        return description;
    }

    /** The {@code budget}, or "" if none. */
    public String budget() {
        return budget;
    }

    /** The cells, grid cells first (first grid key varying slowest), then the explicit ones in file order. */
    public List<Cell> cells() {
        return cells;
    }

    /** The keys the cells set themselves (grid keys, then the explicit cells' keys), in the order they appear. */
    public List<String> cellKeys() {
        return cellKeys;
    }

    /** The keys of the grid, in file order. */
    public List<String> gridKeys() {
        return gridKeys;
    }

    public List<Long> seeds() {
        return seeds;
    }

    /** The evaluations to run, a sub-list of {@link #EVALUATIONS} in its order. */
    public List<String> evaluate() {
        return evaluate;
    }

    public boolean evaluates(String evaluation) {
        return evaluate.contains(evaluation);
    }

    /** How {@code balcon tune} searches the cells: the file's {@code search} section, or {@link Search#defaults()}. */
    public Search search() {
        return search;
    }

    /** The evaluation protocol. */
    public Protocol protocol() {
        return protocol;
    }

    /** Every run: each cell with each seed, cell by cell. */
    public List<Run> runs() {
        return runs;
    }

    /** Reads the file's YAML, keeping the line of every key for the messages. */
    private static final class Parser {
        private final Path file;
        private final String text;
        private final RunConfigFactory configs;
        private final Map<String, Integer> lines;

        Parser(Path file, String text, RunConfigFactory configs) {
            this.file = file;
            this.text = text;
            this.configs = configs;
            this.lines = lineNumbers();
        }

        ExperimentFile parse() {
            JsonNode root;
            try {
                root = YAML.readTree(text);
            } catch (JacksonException e) {
                int line = e.getLocation() == null ? -1 : e.getLocation().getLineNr();
                throw new BalconException(file + (line > 0 ? ":" + line : "") + ": not valid YAML: "
                        + firstLine(e.getOriginalMessage()));
            }
            if (root == null || !root.isObject()) {
                throw new BalconException(file + ": expected a YAML mapping with keys " + TOP_LEVEL_KEYS);
            }
            for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
                String key = names.next();
                if (!TOP_LEVEL_KEYS.contains(key)) {
                    throw error("/" + key, "unknown key; expected one of " + TOP_LEVEL_KEYS);
                }
            }
            String description = optionalText(root, "description");
            String budget = optionalText(root, "budget");
            Map<String, JsonNode> base = settings(root.get("base"), "/base");
            List<Long> seeds = seeds(root.get("seeds"));
            List<String> evaluate = evaluate(root.get("evaluate"));
            Protocol protocol = protocol(root.get("protocol"));
            Search search = search(root.get("search"));

            List<CellSource> sources = new ArrayList<>();
            List<String> gridKeys = new ArrayList<>();
            if (root.has("grid")) {
                sources.addAll(gridCells(root.get("grid"), base, gridKeys));
            }
            if (root.has("cells")) {
                sources.addAll(explicitCells(root.get("cells"), base));
            }
            if (sources.isEmpty()) {
                sources.add(new CellSource(new Cell(BASE_CELL, base, Map.of()), Map.of()));
            }
            Set<String> names = new LinkedHashSet<>();
            Set<String> cellKeys = new LinkedHashSet<>(gridKeys);
            for (CellSource source : sources) {
                if (!names.add(source.cell().name())) {
                    throw error(source.pointers().getOrDefault("name", "/cells"),
                            "two cells are called '" + source.cell().name() + "'; cell names must be unique");
                }
                cellKeys.addAll(source.cell().own().keySet());
            }
            List<Run> runs = new ArrayList<>();
            for (CellSource source : sources) {
                for (long seed : seeds) {
                    runs.add(new Run(source.cell(), seed, configure(source, seed)));
                }
            }
            return new ExperimentFile(file, text, description, budget,
                    sources.stream().map(CellSource::cell).toList(), new ArrayList<>(cellKeys), gridKeys, seeds,
                    evaluate, protocol, search, runs);
        }

        /** A cell and the pointers (into the YAML) of its own settings, for messages. */
        private record CellSource(Cell cell, Map<String, String> pointers) {}

        private PretrainConfig configure(CellSource source, long seed) {
            Cell cell = source.cell();
            Map<String, JsonNode> settings = new LinkedHashMap<>(cell.settings());
            settings.put(SEED_KEY, LongNode.valueOf(seed));
            try {
                return configs.create(settings);
            } catch (RunConfigFactory.InvalidSetting e) {
                throw error(pointerOf(source, e.key()), e.getMessage());
            } catch (BalconException e) {
                // The checks name the option (--epochs) or the parameter (alpha): point at the setting first named.
                String message = "cell '" + cell.name() + "', seed " + seed + ": " + e.getMessage();
                String key = firstMentioned(e.getMessage(), cell.settings().keySet(), RunConfigFactory::optionName);
                if (key == null) {
                    key = firstMentioned(e.getMessage(), cell.settings().keySet(), Function.identity());
                }
                if (key == null) {
                    throw new BalconException(file + ": " + message, e);
                }
                throw error(pointerOf(source, key), message);
            }
        }

        /** Whether the message names the option (--k, but not as the start of --knn-k). */
        private static boolean mentions(String message, String option) {
            return position(message, option) >= 0;
        }

        /** Where the message first names the word (as a whole word), or -1. */
        private static int position(String message, String word) {
            Matcher matcher = Pattern.compile("(?<![\\w.-])" + Pattern.quote(word) + "(?![\\w-])").matcher(message);
            return matcher.find() ? matcher.start() : -1;
        }

        /** The key whose name, as {@code naming} writes it, comes first in the message; null if none is named. */
        private static String firstMentioned(String message, Set<String> keys, Function<String, String> naming) {
            return keys.stream().filter(key -> position(message, naming.apply(key)) >= 0)
                    .min(Comparator.comparingInt(key -> position(message, naming.apply(key)))).orElse(null);
        }

        private static String pointerOf(CellSource source, String key) {
            String pointer = source.pointers().get(key);
            if (pointer != null) {
                return pointer;
            }
            return key.equals(SEED_KEY) ? "/seeds" : "/base/" + key;
        }

        private List<CellSource> gridCells(JsonNode grid, Map<String, JsonNode> base, List<String> gridKeys) {
            if (!grid.isObject() || grid.isEmpty()) {
                throw error("/grid", "expected a non-empty mapping of keys to lists of values, got "
                        + describe(grid));
            }
            long cellCount = 1;
            for (JsonNode values : grid) {
                cellCount *= values.isArray() ? Math.max(1, values.size()) : 1;
                if (cellCount > MAX_GRID_CELLS) {
                    throw error("/grid", "the lists make " + gridSize(grid) + " cells, more than "
                            + MAX_GRID_CELLS + "; shorten them or split the experiment");
                }
            }
            // Each combination: key -> index of its value in the key's list.
            List<Map<String, Integer>> combinations = new ArrayList<>();
            combinations.add(new LinkedHashMap<>());
            for (Iterator<Map.Entry<String, JsonNode>> fields = grid.fields(); fields.hasNext(); ) {
                Map.Entry<String, JsonNode> field = fields.next();
                String key = field.getKey();
                JsonNode values = field.getValue();
                String pointer = "/grid/" + key;
                checkSettingKey(pointer, key);
                if (!values.isArray() || values.isEmpty()) {
                    throw error(pointer, "expected a non-empty list of values, got " + describe(values));
                }
                Set<String> seen = new LinkedHashSet<>();
                for (int i = 0; i < values.size(); i++) {
                    if (!seen.add(valueText(values.get(i)))) {
                        throw error(pointer + "/" + i, "the value " + valueText(values.get(i))
                                + " appears twice");
                    }
                }
                gridKeys.add(key);
                List<Map<String, Integer>> extended = new ArrayList<>();
                for (Map<String, Integer> combination : combinations) {
                    for (int i = 0; i < values.size(); i++) {
                        Map<String, Integer> next = new LinkedHashMap<>(combination);
                        next.put(key, i);
                        extended.add(next);
                    }
                }
                combinations = extended;
            }
            List<CellSource> cells = new ArrayList<>();
            for (Map<String, Integer> combination : combinations) {
                Map<String, JsonNode> settings = new LinkedHashMap<>(base);
                Map<String, String> own = new LinkedHashMap<>();
                Map<String, String> pointers = new LinkedHashMap<>();
                List<String> nameParts = new ArrayList<>();
                combination.forEach((key, index) -> {
                    JsonNode value = grid.get(key).get(index);
                    settings.put(key, value);
                    own.put(key, valueText(value));
                    pointers.put(key, "/grid/" + key + "/" + index);
                    nameParts.add(key + "=" + valueText(value));
                });
                String name = UNSAFE_NAME_CHARACTERS.matcher(String.join("_", nameParts)).replaceAll("-");
                cells.add(new CellSource(new Cell(name, settings, own), pointers));
            }
            return cells;
        }

        /** The number of cells of the grid, as exact text (it may exceed a long). */
        private static String gridSize(JsonNode grid) {
            java.math.BigInteger size = java.math.BigInteger.ONE;
            for (JsonNode values : grid) {
                size = size.multiply(java.math.BigInteger.valueOf(Math.max(1, values.size())));
            }
            return size.toString();
        }

        private List<CellSource> explicitCells(JsonNode list, Map<String, JsonNode> base) {
            if (!list.isArray() || list.isEmpty()) {
                throw error("/cells", "expected a non-empty list of cells, each a mapping with a 'name', got "
                        + describe(list));
            }
            List<CellSource> cells = new ArrayList<>();
            for (int i = 0; i < list.size(); i++) {
                JsonNode entry = list.get(i);
                String pointer = "/cells/" + i;
                if (!entry.isObject()) {
                    throw error(pointer, "expected a mapping with a 'name' and settings, got " + describe(entry));
                }
                JsonNode nameNode = entry.get("name");
                if (nameNode == null || !nameNode.isTextual() || !CELL_NAME.matcher(nameNode.asText()).matches()) {
                    throw error(nameNode == null ? pointer : pointer + "/name",
                            "expected a name of letters, digits and . _ = , + - (it names the cell's directory), got "
                                    + (nameNode == null ? "none" : describe(nameNode)));
                }
                ObjectNode settingsNode = ((ObjectNode) entry).deepCopy();
                settingsNode.remove("name");
                Map<String, JsonNode> own = settings(settingsNode, pointer);
                Map<String, JsonNode> settings = new LinkedHashMap<>(base);
                settings.putAll(own);
                Map<String, String> ownText = new LinkedHashMap<>();
                Map<String, String> pointers = new LinkedHashMap<>();
                own.forEach((key, value) -> {
                    ownText.put(key, valueText(value));
                    pointers.put(key, pointer + "/" + key);
                });
                pointers.putIfAbsent("name", pointer + "/name");
                cells.add(new CellSource(new Cell(nameNode.asText(), settings, ownText), pointers));
            }
            return cells;
        }

        private Map<String, JsonNode> settings(JsonNode node, String pointer) {
            Map<String, JsonNode> settings = new LinkedHashMap<>();
            if (node == null) {
                return settings;
            }
            if (!node.isObject()) {
                throw error(pointer, "expected a mapping of settings, got " + describe(node));
            }
            for (Iterator<Map.Entry<String, JsonNode>> fields = node.fields(); fields.hasNext(); ) {
                Map.Entry<String, JsonNode> field = fields.next();
                checkSettingKey(pointer + "/" + field.getKey(), field.getKey());
                settings.put(field.getKey(), field.getValue());
            }
            return settings;
        }

        private void checkSettingKey(String pointer, String key) {
            if (key.equals(SEED_KEY)) {
                throw error(pointer, "the seeds are set by the top-level list 'seeds', not per cell");
            }
        }

        private List<Long> seeds(JsonNode node) {
            if (node == null) {
                throw new BalconException(file + ": missing key 'seeds': expected a list of seeds, e.g. seeds: [0, 1, 2]");
            }
            if (!node.isArray() || node.isEmpty()) {
                throw error("/seeds", "expected a non-empty list of integer seeds >= 0, got " + describe(node));
            }
            List<Long> seeds = new ArrayList<>();
            for (int i = 0; i < node.size(); i++) {
                JsonNode seed = node.get(i);
                if (!seed.isIntegralNumber() || !seed.canConvertToLong() || seed.asLong() < 0) {
                    throw error("/seeds/" + i, "expected integer seeds >= 0, got " + describe(seed));
                }
                if (seeds.contains(seed.asLong())) {
                    throw error("/seeds/" + i, "seed " + seed.asLong() + " appears twice");
                }
                seeds.add(seed.asLong());
            }
            return seeds;
        }

        private List<String> evaluate(JsonNode node) {
            if (node == null) {
                return List.of(KNN);
            }
            if (!node.isArray()) {
                throw error("/evaluate", "expected a list of " + EVALUATIONS + ", got " + describe(node));
            }
            Set<String> asked = new LinkedHashSet<>();
            for (int i = 0; i < node.size(); i++) {
                JsonNode entry = node.get(i);
                if (!entry.isTextual() || !EVALUATIONS.contains(entry.asText())) {
                    throw error("/evaluate/" + i, "expected one of " + EVALUATIONS + ", got "
                            + describe(entry));
                }
                asked.add(entry.asText());
            }
            return EVALUATIONS.stream().filter(asked::contains).toList();
        }

        private Protocol protocol(JsonNode node) {
            Protocol defaults = Protocol.defaults();
            if (node == null) {
                return defaults;
            }
            if (!node.isObject()) {
                throw error("/protocol", "expected a mapping with keys among " + Protocol.KEYS + ", got "
                        + describe(node));
            }
            for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
                String key = names.next();
                if (!Protocol.KEYS.contains(key)) {
                    throw error("/protocol/" + key, "unknown key; expected one of " + Protocol.KEYS);
                }
            }
            int trainImages = intValue(node, "train_images", defaults.trainImages());
            if (trainImages < 0) {
                throw error("/protocol/train_images",
                        "expected an integer >= 0 (0 = every training image), got " + trainImages);
            }
            String recipe = node.has("bias_recipe") ? textValue(node, "bias_recipe") : null;
            Protocol protocol = new Protocol(trainImages,
                    intValue(node, "knn_k", defaults.knnK()),
                    doubleValue(node, "knn_temperature", defaults.knnTemperature()),
                    intValue(node, "linear_iterations", defaults.linearIterations()),
                    doubleValue(node, "linear_l2", defaults.linearL2()),
                    intValue(node, "bias_views", defaults.biasViews()),
                    intValue(node, "bias_per_class", defaults.biasPerClass()),
                    recipe);
            // The evaluators check their own settings; their errors name the parameter of each.
            checkProtocolPart(protocol::knn, Map.of("k", "knn_k", "temperature", "knn_temperature"));
            checkProtocolPart(protocol::linear, Map.of("maxIterations", "linear_iterations", "l2", "linear_l2"));
            checkProtocolPart(protocol::bias, Map.of("views", "bias_views", "perClass", "bias_per_class",
                    "recipe", "bias_recipe"));
            return protocol;
        }

        /** Runs an evaluator's own checks, an error pointing at the key of its parameter ({@code keysByField}). */
        private void checkProtocolPart(Runnable check, Map<String, String> keysByField) {
            try {
                check.run();
            } catch (InvalidField e) {
                String key = keysByField.get(e.field());
                if (key == null) {
                    throw e;
                }
                throw error("/protocol/" + key, e.detail());
            }
        }

        private Search search(JsonNode node) {
            Search defaults = Search.defaults();
            if (node == null) {
                return defaults;
            }
            if (!node.isObject()) {
                throw error("/search", "expected a mapping with keys among " + Search.KEYS + ", got " + describe(node));
            }
            for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
                String key = names.next();
                if (!Search.KEYS.contains(key)) {
                    throw error("/search/" + key, "unknown key; expected one of " + Search.KEYS);
                }
            }
            int eta = intValue(node, "/search", "eta", defaults.eta());
            int minEpochs = intValue(node, "/search", "min_epochs", defaults.minEpochs());
            double fraction = doubleValue(node, "/search", "validation_fraction", defaults.validationFraction());
            try {
                return new Search(eta, minEpochs, fraction);
            } catch (BalconException e) {
                String key = Search.KEYS.stream().filter(k -> mentions(e.getMessage(), k)).findFirst().orElse("eta");
                throw error("/search/" + key, e.getMessage());
            }
        }

        private int intValue(JsonNode node, String key, int fallback) {
            return intValue(node, "/protocol", key, fallback);
        }

        private int intValue(JsonNode node, String section, String key, int fallback) {
            JsonNode value = node.get(key);
            if (value == null) {
                return fallback;
            }
            if (!value.isIntegralNumber() || !value.canConvertToInt()) {
                throw error(section + "/" + key, "expected an integer, got " + describe(value));
            }
            return value.asInt();
        }

        private double doubleValue(JsonNode node, String key, double fallback) {
            return doubleValue(node, "/protocol", key, fallback);
        }

        private double doubleValue(JsonNode node, String section, String key, double fallback) {
            JsonNode value = node.get(key);
            if (value == null) {
                return fallback;
            }
            if (!value.isNumber()) {
                throw error(section + "/" + key, "expected a number, got " + describe(value));
            }
            return value.asDouble();
        }

        private String textValue(JsonNode node, String key) {
            JsonNode value = node.get(key);
            if (!value.isTextual()) {
                throw error("/protocol/" + key, "expected text, got " + describe(value));
            }
            return value.asText();
        }

        private String optionalText(JsonNode root, String key) {
            JsonNode value = root.get(key);
            if (value == null) {
                return "";
            }
            if (!value.isTextual()) {
                throw error("/" + key, "expected text, got " + describe(value));
            }
            return value.asText().strip();
        }

        /** "file:line: key: message", the key written as a path into the file (base.lr, grid.alpha[2], cells[0].tau). */
        private BalconException error(String pointer, String message) {
            Integer line = lines.get(pointer);
            String key = pointer.substring(1).replaceAll("/(\\d+)(?=/|$)", "[$1]").replace('/', '.');
            return new BalconException(file + (line == null ? "" : ":" + line) + ": " + key + ": " + message);
        }

        /** The line of every JSON pointer of the document (its first token). */
        private Map<String, Integer> lineNumbers() {
            Map<String, Integer> found = new HashMap<>();
            try (JsonParser parser = YAML.getFactory().createParser(text)) {
                while (parser.nextToken() != null) {
                    found.putIfAbsent(parser.getParsingContext().pathAsPointer().toString(),
                            parser.currentTokenLocation().getLineNr());
                }
            } catch (IOException e) {
                // Invalid YAML: parse() reports it with its line.
            }
            return found;
        }
    }

    /** A value as text: numbers as written in YAML (4, 0.5), lists joined with ','. */
    public static String valueText(JsonNode value) {
        if (value.isArray()) {
            List<String> parts = new ArrayList<>();
            value.forEach(element -> parts.add(valueText(element)));
            return String.join(",", parts);
        }
        return value.isValueNode() ? value.asText() : value.toString();
    }

    private static String describe(JsonNode node) {
        if (node == null || node.isNull()) {
            return "nothing";
        }
        if (node.isTextual()) {
            return "'" + node.asText() + "' (text)";
        }
        if (node.isArray()) {
            return node.isEmpty() ? "an empty list" : "a list " + node;
        }
        if (node.isObject()) {
            return node.isEmpty() ? "an empty mapping" : "a mapping";
        }
        return node.asText() + (node.isBoolean() ? " (true/false)" : node.isNumber() ? " (a number)" : "");
    }

    private static String firstLine(String message) {
        return message == null ? "" : message.lines().findFirst().orElse("");
    }
}
