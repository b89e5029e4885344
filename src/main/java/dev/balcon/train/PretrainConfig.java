package dev.balcon.train;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.balcon.BalconException;
import dev.balcon.InvalidField;
import dev.balcon.augment.AugmentationRecipe;
import dev.balcon.augment.AugmentationSettings;
import dev.balcon.data.DataSelection;
import dev.balcon.data.RunData;
import dev.balcon.loss.LossConfig;
import dev.balcon.loss.LossSettings;
import dev.balcon.model.ModelConfig;
import dev.balcon.model.ModelSettings;
import dev.balcon.model.Precision;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Everything that defines a pretraining run: one group per concern, each a record with its own defaults and checks,
 * plus the settings of the run as a whole. Stored as config.json in the run directory, so that a run can be resumed,
 * evaluated and compared without the command line that started it. A setting is named by its path in config.json:
 * {@code optimizer.lr}, {@code data.selection.kind}, {@code epochs} (docs/experiments.md, "config.json").
 *
 * @param data         the images, the training subset and the evaluation images ({@link RunData#defaults()})
 * @param model        the networks ({@link ModelSettings#defaults()})
 * @param method       the self-supervised method with its loss ({@link MethodConfig#defaults()})
 * @param augmentation the augmentation of the views ({@link AugmentationSettings#defaults()})
 * @param optimizer    the optimiser and its learning-rate warm-up ({@link OptimizerConfig#defaults()})
 * @param monitor      the bound monitor ({@link MonitorConfig#defaults()})
 * @param epochs       number of epochs, &gt;= 1
 * @param batchSize    images per step (two views each), &gt;= 2
 * @param seed         seed of initialisation, shuffling and augmentation
 * @param workers      augmentation threads, &gt;= 1
 * @param precision    number format of the forward passes, {@code fp32} or {@code bf16} (mixed precision, see
 *                     {@link Precision}); null (a config.json written before the field existed) reads as fp32
 * @param shards       K, data parallel over K shards of batchSize / K images, each with its own forward pass and
 *                     batch-norm statistics ({@link dev.balcon.train.parallel.DataParallelStep}, docs/devices.md);
 *                     &gt;= 1, dividing batchSize; above 1 for the methods with negatives only (simclr, moco); null (a
 *                     config.json written before the field existed) reads as 1
 */
public record PretrainConfig(RunData data, ModelSettings model, MethodConfig method, AugmentationSettings augmentation,
                             OptimizerConfig optimizer, MonitorConfig monitor, int epochs, int batchSize, long seed,
                             int workers, String precision, Integer shards) {

    /**
     * The fields a resumed run may change, because they leave the training itself as it was: {@code epochs} (to a
     * larger number only: the run is extended, see {@link Pretrainer#run}), {@code workers} (the views do not depend
     * on the number of threads), the bound monitor's settings (it measures in inference mode, for the epochs still to
     * come) and {@code data.selection.cacheDir} (where decoded images are kept, not which). Every other field is fixed
     * for the life of a run.
     */
    public static final Set<String> RESUMABLE_FIELDS = Set.of("epochs", "workers", "monitor.bounds",
            "monitor.probeSize", "monitor.probeViews", "data.selection.cacheDir");

    /** The groups, as config.json names them. */
    private static final List<String> GROUPS = List.of("data", "model", "method", "augmentation", "optimizer",
            "monitor");

    /** The prefix of the fields that together define {@link #lossConfig()}. */
    private static final String LOSS_PREFIX = "method.loss.";

    /**
     * The fields of the flat config.json written by balcon before the groups (and the names the builder and the
     * command line still use), each with its path in the nested form. Every field of the nested form is here.
     */
    private static final Map<String, String> FLAT_FIELDS = flatFields();

    private static Map<String, String> flatFields() {
        Map<String, String> paths = new LinkedHashMap<>();
        // in the order of the flat record, which reports keep
        String[][] pairs = {
            {"dataset", "data.selection.kind"}, {"dataDir", "data.selection.dataDir"},
            {"trainLimit", "data.trainLimit"}, {"arch", "model.arch"}, {"width", "model.width"},
            {"projectorHidden", "model.projectorHidden"}, {"projectorOut", "model.projectorOut"},
            {"loss", "method.loss.preset"}, {"tau", "method.loss.tau"}, {"alpha", "method.loss.alpha"},
            {"lambda", "method.loss.lambda"}, {"nu", "method.loss.nu"}, {"similarity", "method.loss.similarity"},
            {"recipe", "augmentation.recipe"}, {"cropScaleMin", "augmentation.cropScaleMin"},
            {"cropScaleMax", "augmentation.cropScaleMax"}, {"epochs", "epochs"}, {"batchSize", "batchSize"},
            {"learningRate", "optimizer.lr"}, {"momentum", "optimizer.momentum"},
            {"weightDecay", "optimizer.weightDecay"}, {"warmupEpochs", "optimizer.warmupEpochs"}, {"seed", "seed"},
            {"workers", "workers"}, {"boundMonitor", "monitor.bounds"}, {"probeSize", "monitor.probeSize"},
            {"probeViews", "monitor.probeViews"}, {"imageSize", "data.selection.imageSize"},
            {"channels", "data.selection.channels"}, {"strict", "data.selection.strict"},
            {"testFraction", "data.selection.testFraction"}, {"dataSeed", "data.selection.seed"},
            {"cacheDir", "data.selection.cacheDir"}, {"trainList", "data.selection.trainList"},
            {"testList", "data.selection.testList"}, {"evalData", "data.evalData"},
            {"classProfile", "data.classProfile"}, {"rho", "data.rho"}, {"paretoShape", "data.paretoShape"},
            {"profileMax", "data.profileMax"}, {"balancedTwin", "data.balancedTwin"},
            {"scaleByInvAlpha", "method.loss.scaleByInvAlpha"}, {"maxImagePixels", "data.selection.maxImagePixels"},
            {"validationFraction", "data.selection.validationFraction"}, {"method", "method.name"},
            {"momentumTau", "method.momentumTau"}, {"precision", "precision"}, {"queueSize", "method.queueSize"},
            {"shards", "shards"}, {"jitterStrength", "augmentation.jitterStrength"},
        };
        for (String[] pair : pairs) {
            paths.put(pair[0], pair[1]);
        }
        return paths;
    }

    public PretrainConfig {
        // a group missing from a hand-written config.json takes its defaults
        data = data == null ? RunData.defaults() : data;
        model = model == null ? ModelSettings.defaults() : model;
        method = method == null ? MethodConfig.defaults() : method;
        augmentation = augmentation == null ? AugmentationSettings.defaults() : augmentation;
        optimizer = optimizer == null ? OptimizerConfig.defaults() : optimizer;
        monitor = monitor == null ? MonitorConfig.defaults() : monitor;
        // a config.json written before the field existed ran in fp32
        precision = precision == null ? Precision.FP32.id() : precision;
        if (epochs < 1) {
            throw new InvalidField("epochs", "must be >= 1, got " + epochs);
        }
        if (batchSize < 2) {
            throw new InvalidField("batchSize", "must be >= 2 (contrastive losses need negatives), got " + batchSize);
        }
        if (workers < 1) {
            throw new InvalidField("workers", "must be >= 1, got " + workers);
        }
        String format = precision;
        if (Arrays.stream(Precision.values()).noneMatch(known -> known.id().equalsIgnoreCase(format))) {
            throw new InvalidField("precision", "must be fp32 or bf16, got '" + precision + "'");
        }
        if (optimizer.warmupEpochs() > epochs) {
            throw new InvalidField("optimizer.warmupEpochs", "must be between 0 and epochs (" + epochs + "), got "
                    + optimizer.warmupEpochs());
        }
        Integer queueSize = method.queueSize();
        if (queueSize != null && queueSize < 2L * batchSize) {
            throw new InvalidField("method.queueSize", "must be >= 2 x batchSize (a step enqueues the keys of both "
                    + "views), got " + queueSize + " with batchSize " + batchSize);
        }
        shards = shards == null ? 1 : shards;
        if (shards < 1 || batchSize % shards != 0) {
            throw new InvalidField("shards", "= " + shards + " must be >= 1 and divide batchSize " + batchSize
                    + ": every shard gets the same number of images");
        }
        // the methods of the loss family are the ones with negatives, which sharding gathers
        if (shards > 1 && !Methods.usesLossFamily(method.name())) {
            throw new InvalidField("shards", "= " + shards + " splits the negatives of a batch (simclr, moco); method "
                    + method.name() + " compares no negatives");
        }
    }

    /** The defaults of every group and setting: what {@code balcon pretrain} runs without options. */
    public static PretrainConfig defaults() {
        return new PretrainConfig(RunData.defaults(), ModelSettings.defaults(), MethodConfig.defaults(),
                AugmentationSettings.defaults(), OptimizerConfig.defaults(), MonitorConfig.defaults(), 20, 256, 0, 1,
                "fp32", 1);
    }

    /** The number format of the forward passes ({@link #precision()}). */
    public Precision computePrecision() {
        return Precision.of(precision);
    }

    /** The encoder and projector this run trains, for images with {@code channels} channels. */
    public ModelConfig modelConfig(int channels) {
        return model.modelConfig(channels);
    }

    /** The loss of the method ({@code method.loss}). */
    @JsonIgnore
    public LossConfig lossConfig() {
        return method.loss().lossConfig();
    }

    /** The images this run loads ({@code data.selection}). */
    @JsonIgnore
    public DataSelection dataSelection() {
        return data.selection();
    }

    /** The augmentation recipe of the views. */
    @JsonIgnore
    public AugmentationRecipe augmentationRecipe() {
        return augmentation.toRecipe();
    }

    // ---- config.json -------------------------------------------------------------------------------------------

    /**
     * Reads config.json in either form: the nested one this class writes, or the flat one of earlier balcons (every
     * setting at the top level, {@code learningRate} for {@code optimizer.lr}), whose fields missing from older files
     * read as they always did (null, 0 or false, which the groups take as "absent").
     *
     * @throws BalconException naming the field for an unknown field or a value out of range
     */
    public static PretrainConfig fromJson(JsonNode json) {
        if (!json.isObject()) {
            throw new BalconException("expected a JSON object of settings, got " + json.getNodeType());
        }
        ObjectNode nested = isFlat((ObjectNode) json) ? nestFlat((ObjectNode) json) : (ObjectNode) json;
        try {
            return RunDirectory.JSON.treeToValue(nested, PretrainConfig.class);
        } catch (UnrecognizedPropertyException e) {
            String path = e.getPath().stream().map(reference -> reference.getFieldName())
                    .filter(name -> name != null).reduce((a, b) -> a + "." + b).orElse(e.getPropertyName());
            String flatName = FLAT_FIELDS.containsKey(path) && !FLAT_FIELDS.get(path).equals(path)
                    ? " (a name of the flat form; in the nested form it is " + FLAT_FIELDS.get(path) + ")" : "";
            throw new BalconException("unknown field '" + path + "' in the configuration" + flatName + "; expected "
                    + "the fields of PretrainConfig (docs/experiments.md, \"config.json\")", e);
        } catch (JsonProcessingException e) {
            // the constructors' checks reach us wrapped by Jackson
            Throwable cause = e.getCause();
            while (cause != null && !(cause instanceof BalconException)) {
                cause = cause.getCause();
            }
            if (cause instanceof BalconException invalid) {
                throw invalid;
            }
            throw new BalconException("cannot read the configuration: " + e.getOriginalMessage(), e);
        }
    }

    /** Whether {@code json} is the flat form: no group, and a top-level field that only the flat form has. */
    private static boolean isFlat(ObjectNode json) {
        for (String group : GROUPS) {
            if (json.path(group).isObject()) {
                return false;
            }
        }
        for (Iterator<String> names = json.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            String path = FLAT_FIELDS.get(name);
            if (path != null && !path.equals(name) && !(name.equals("method") && json.get(name).isObject())) {
                return true;
            }
        }
        return false;
    }

    /** The nested form of a flat config.json; a field missing from it stays missing. */
    private static ObjectNode nestFlat(ObjectNode flat) {
        ObjectNode nested = JsonNodeFactory.instance.objectNode();
        for (Iterator<Map.Entry<String, JsonNode>> fields = flat.fields(); fields.hasNext(); ) {
            Map.Entry<String, JsonNode> field = fields.next();
            String path = FLAT_FIELDS.get(field.getKey());
            if (path == null) {
                throw new BalconException("unknown field '" + field.getKey() + "' in a flat configuration; expected "
                        + "one of " + String.join(", ", FLAT_FIELDS.keySet()) + " (or the nested form, "
                        + "docs/experiments.md, \"config.json\")");
            }
            put(nested, path, field.getValue());
        }
        // the groups' primitives a flat file leaves out read as the flat record read them: 0 / false
        for (String group : GROUPS) {
            if (!nested.has(group)) {
                nested.putObject(group);
            }
        }
        if (!nested.with("data").has("selection")) {
            nested.with("data").putObject("selection");
        }
        return nested;
    }

    /** The flat form of this configuration, as balcon wrote config.json before the groups. */
    public ObjectNode toFlatJson() {
        Map<String, JsonNode> leaves = leaves();
        ObjectNode flat = JsonNodeFactory.instance.objectNode();
        FLAT_FIELDS.forEach((name, path) -> flat.set(name, leaves.get(path)));
        return flat;
    }

    /** The path in config.json of a field of the flat form ({@code learningRate} is {@code optimizer.lr}). */
    public static String pathOf(String flatField) {
        String path = FLAT_FIELDS.get(flatField);
        if (path == null) {
            throw new IllegalArgumentException("no flat field '" + flatField + "' in " + PretrainConfig.class.getSimpleName());
        }
        return path;
    }

    /** The paths of every setting, in config.json's order: {@code data.selection.kind}, ..., {@code precision}. */
    public static List<String> fieldPaths() {
        return List.copyOf(defaults().leaves().keySet());
    }

    /** Every setting by its path, in config.json's order. */
    private Map<String, JsonNode> leaves() {
        Map<String, JsonNode> leaves = new LinkedHashMap<>();
        collect("", RunDirectory.JSON.valueToTree(this), leaves);
        return leaves;
    }

    private static void collect(String prefix, JsonNode node, Map<String, JsonNode> leaves) {
        for (Iterator<Map.Entry<String, JsonNode>> fields = node.fields(); fields.hasNext(); ) {
            Map.Entry<String, JsonNode> field = fields.next();
            if (field.getValue().isObject()) {
                collect(prefix + field.getKey() + ".", field.getValue(), leaves);
            } else {
                leaves.put(prefix + field.getKey(), field.getValue());
            }
        }
    }

    private static void put(ObjectNode root, String path, JsonNode value) {
        String[] parts = path.split("\\.");
        ObjectNode node = root;
        for (int i = 0; i < parts.length - 1; i++) {
            node = node.with(parts[i]);
        }
        node.set(parts[parts.length - 1], value);
    }

    /**
     * The paths of the settings whose values differ between this configuration and {@code other}. The loss
     * settings are compared by the loss they define: tau 0.5 given and tau left to the nt_xent preset's default
     * (null) are the same loss.
     */
    public List<String> differingFields(PretrainConfig other) {
        Map<String, JsonNode> mine = leaves();
        Map<String, JsonNode> theirs = other.leaves();
        boolean sameLoss = lossConfig().equals(other.lossConfig());
        List<String> fields = new ArrayList<>();
        mine.forEach((path, value) -> {
            if (!value.equals(theirs.get(path)) && !(sameLoss && path.startsWith(LOSS_PREFIX))) {
                fields.add(path);
            }
        });
        return fields;
    }

    /** The value of setting {@code path} as config.json writes it: {@code 0.3}, {@code "nt_xent"}. */
    public String fieldText(String path) {
        JsonNode value = leaves().get(path);
        if (value == null) {
            throw new IllegalArgumentException("no field '" + path + "' in " + PretrainConfig.class.getSimpleName());
        }
        return value.isTextual() ? value.asText() : value.toString();
    }

    /**
     * This configuration with the settings {@code paths} taken from {@code other}.
     *
     * @throws BalconException          if the result is not a valid configuration (e.g. fewer epochs than warm-up)
     * @throws IllegalArgumentException for a path that is not a setting
     */
    public PretrainConfig withFieldsOf(PretrainConfig other, Collection<String> paths) {
        ObjectNode mine = RunDirectory.JSON.valueToTree(this);
        Map<String, JsonNode> theirs = other.leaves();
        for (String path : paths) {
            if (!theirs.containsKey(path)) {
                throw new IllegalArgumentException("no field '" + path + "' in " + PretrainConfig.class.getSimpleName());
            }
            put(mine, path, theirs.get(path));
        }
        return fromJson(mine);
    }

    // ---- copies ------------------------------------------------------------------------------------------------

    public PretrainConfig withData(RunData newData) {
        return new PretrainConfig(newData, model, method, augmentation, optimizer, monitor, epochs, batchSize, seed,
                workers, precision, shards);
    }

    public PretrainConfig withMethod(MethodConfig newMethod) {
        return new PretrainConfig(data, model, newMethod, augmentation, optimizer, monitor, epochs, batchSize, seed,
                workers, precision, shards);
    }

    public PretrainConfig withOptimizer(OptimizerConfig newOptimizer) {
        return new PretrainConfig(data, model, method, augmentation, newOptimizer, monitor, epochs, batchSize, seed,
                workers, precision, shards);
    }

    public PretrainConfig withMonitor(MonitorConfig newMonitor) {
        return new PretrainConfig(data, model, method, augmentation, optimizer, newMonitor, epochs, batchSize, seed,
                workers, precision, shards);
    }

    public PretrainConfig withEpochs(int newEpochs) {
        return new PretrainConfig(data, model, method, augmentation, optimizer, monitor, newEpochs, batchSize, seed,
                workers, precision, shards);
    }

    /**
     * A builder starting from {@link #defaults()}. It sets settings by their flat names ({@code learningRate},
     * {@code loss}), all at once in {@link Builder#build()}, so that their order does not matter.
     */
    public static Builder builder() {
        return defaults().toBuilder();
    }

    /** A builder starting from this configuration, to change a few settings. */
    public Builder toBuilder() {
        return new Builder(toFlatJson());
    }

    /**
     * Sets settings by their flat names and builds the configuration they make. Each setter writes the flat field
     * of its name (see {@link #pathOf}); the groups' defaults and checks apply in {@link #build()}.
     */
    public static final class Builder {
        private final ObjectNode flat;

        private Builder(ObjectNode flat) {
            this.flat = flat;
        }

        /** Sets the flat field {@code name} ({@code learningRate}) to {@code value} (a String, number, boolean or null). */
        public Builder set(String name, Object value) {
            pathOf(name);
            flat.set(name, RunDirectory.JSON.valueToTree(value));
            return this;
        }

        public Builder dataset(String v) { return set("dataset", v); }
        public Builder dataDir(String v) { return set("dataDir", v); }
        public Builder trainLimit(int v) { return set("trainLimit", v); }
        public Builder arch(String v) { return set("arch", v); }
        public Builder width(int v) { return set("width", v); }
        public Builder projectorHidden(int v) { return set("projectorHidden", v); }
        public Builder projectorOut(int v) { return set("projectorOut", v); }
        public Builder loss(String v) { return set("loss", v); }
        public Builder tau(Double v) { return set("tau", v); }
        public Builder alpha(Double v) { return set("alpha", v); }
        public Builder lambda(Double v) { return set("lambda", v); }
        public Builder nu(Double v) { return set("nu", v); }
        public Builder similarity(String v) { return set("similarity", v); }
        public Builder scaleByInvAlpha(Boolean v) { return set("scaleByInvAlpha", v); }
        public Builder recipe(String v) { return set("recipe", v); }
        public Builder cropScaleMin(double v) { return set("cropScaleMin", v); }
        public Builder cropScaleMax(double v) { return set("cropScaleMax", v); }
        public Builder jitterStrength(Double v) { return set("jitterStrength", v); }
        public Builder epochs(int v) { return set("epochs", v); }
        public Builder batchSize(int v) { return set("batchSize", v); }
        public Builder learningRate(double v) { return set("learningRate", v); }
        public Builder momentum(double v) { return set("momentum", v); }
        public Builder weightDecay(double v) { return set("weightDecay", v); }
        public Builder warmupEpochs(double v) { return set("warmupEpochs", v); }
        public Builder seed(long v) { return set("seed", v); }
        public Builder workers(int v) { return set("workers", v); }
        public Builder boundMonitor(boolean v) { return set("boundMonitor", v); }
        public Builder probeSize(int v) { return set("probeSize", v); }
        public Builder probeViews(int v) { return set("probeViews", v); }
        public Builder imageSize(int v) { return set("imageSize", v); }
        public Builder channels(int v) { return set("channels", v); }
        public Builder strict(boolean v) { return set("strict", v); }
        public Builder testFraction(double v) { return set("testFraction", v); }
        public Builder dataSeed(long v) { return set("dataSeed", v); }
        public Builder cacheDir(String v) { return set("cacheDir", v); }
        public Builder maxImagePixels(long v) { return set("maxImagePixels", v); }
        public Builder validationFraction(double v) { return set("validationFraction", v); }
        public Builder precision(String v) { return set("precision", v); }
        public Builder trainList(String v) { return set("trainList", v); }
        public Builder testList(String v) { return set("testList", v); }
        public Builder evalData(String v) { return set("evalData", v); }
        public Builder classProfile(String v) { return set("classProfile", v); }
        public Builder rho(double v) { return set("rho", v); }
        public Builder paretoShape(double v) { return set("paretoShape", v); }
        public Builder profileMax(int v) { return set("profileMax", v); }
        public Builder balancedTwin(boolean v) { return set("balancedTwin", v); }
        public Builder momentumTau(Double v) { return set("momentumTau", v); }
        public Builder queueSize(Integer v) { return set("queueSize", v); }
        public Builder shards(Integer v) { return set("shards", v); }

        /**
         * Sets the method; momentum and queue settings at the former method's defaults go back to null, the new
         * method's defaults.
         */
        public Builder method(String v) {
            String current = flat.path("method").asText(Methods.SIMCLR);
            if (Methods.NAMES.contains(current)) {
                resetIfDefault("momentumTau", Methods.defaultMomentumTau(current));
                resetIfDefault("queueSize", Methods.defaultQueueSize(current));
            }
            return set("method", v);
        }

        private void resetIfDefault(String name, Object methodDefault) {
            if (methodDefault != null && flat.get(name).equals(RunDirectory.JSON.valueToTree(methodDefault))) {
                set(name, null);
            }
        }

        public PretrainConfig build() {
            return fromJson(flat);
        }
    }
}
