package dev.balcon.train;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.balcon.BalconException;
import dev.balcon.ComputeDevice;
import dev.balcon.InvalidField;
import dev.balcon.Progress;
import dev.balcon.augment.AugmentationPipeline;
import dev.balcon.augment.Normalization;
import dev.balcon.augment.TwoViewBatch;
import dev.balcon.augment.TwoViewLoader;
import dev.balcon.data.ImageDataset;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The one training loop: two augmented views per image, one step of the run's {@link Method} per batch (its loss,
 * SGD with warm-up and cosine decay, its after-step work), a checkpoint after every epoch, metrics as JSON lines.
 * Methods stay thin: they plug into this loop rather than have loops of their own (docs/methods.md).
 */
public final class Pretrainer {
    private static final Logger LOG = LoggerFactory.getLogger(Pretrainer.class);
    private static final int STEP_METRICS_EVERY = 10;
    /** Key of the run's {@link PretrainResult} in results.json. */
    public static final String RESULT_KEY = "pretrain";
    /** Key of the list of {@link Extension}s in results.json. */
    public static final String EXTENSIONS_KEY = "extensions";

    /**
     * A resume that extended the run.
     *
     * @param afterEpoch   epochs done when it was extended
     * @param step         optimizer steps done then
     * @param epochsBefore the total number of epochs before
     * @param epochs       the new total
     */
    public record Extension(int afterEpoch, long step, int epochsBefore, int epochs) {}

    /** A new run asked of a run directory that already holds one. */
    public static final class RunExists extends BalconException {
        private static final long serialVersionUID = 1L;
        private final transient Path runRoot;

        RunExists(Path runRoot) {
            super("run directory " + runRoot + " already holds a run: resume it, or train in another run directory");
            this.runRoot = runRoot;
        }

        /** The run directory that holds a run. */
        public Path runRoot() {
            return runRoot;
        }
    }

    /** A resumed run asked to change fields that are fixed for the life of a run. */
    public static final class ResumeConflict extends BalconException {
        private static final long serialVersionUID = 1L;
        private final transient PretrainConfig stored;
        private final transient PretrainConfig requested;
        private final transient List<String> fields;

        ResumeConflict(Path runRoot, PretrainConfig stored, PretrainConfig requested, List<String> fields) {
            super("cannot resume " + runRoot + " with another " + fields.stream()
                    .map(field -> field + " (stored " + stored.fieldText(field) + ", asked " + requested.fieldText(field)
                            + ")").collect(Collectors.joining(", ")) + ": only "
                    + String.join(", ", PretrainConfig.RESUMABLE_FIELDS.stream().sorted().toList())
                    + " may change, epochs only to more; start a new run directory to change the rest");
            this.stored = stored;
            this.requested = requested;
            this.fields = List.copyOf(fields);
        }

        /** The configuration in config.json. */
        public PretrainConfig stored() {
            return stored;
        }

        /** The configuration the run was asked to continue with. */
        public PretrainConfig requested() {
            return requested;
        }

        /** The fields that may not change but differ, in config.json's order. */
        public List<String> fields() {
            return fields;
        }
    }

    private final PretrainConfig config;
    private final ImageDataset train;
    private final Normalization normalization;
    private final RunDirectory run;
    private final List<EpochMonitor> monitors = new ArrayList<>();
    private boolean showProgress = true;

    public Pretrainer(PretrainConfig config, ImageDataset train, Normalization normalization, RunDirectory run) {
        this.config = config;
        this.train = train;
        this.normalization = normalization;
        this.run = run;
    }

    public Pretrainer addMonitor(EpochMonitor monitor) {
        monitors.add(monitor);
        return this;
    }

    public Pretrainer showProgress(boolean show) {
        this.showProgress = show;
        return this;
    }

    /**
     * Trains until {@code config.epochs()} are done. Without {@code resume}, an existing checkpoint is an error rather
     * than silently replaced. With {@code resume}, continues from the run's checkpoint (if any):
     * <ul>
     *   <li>{@code config} may differ from the stored config.json only in {@link PretrainConfig#RESUMABLE_FIELDS};
     *   anything else throws {@link ResumeConflict} naming every differing field.</li>
     *   <li>A run that already finished {@code config.epochs()} epochs, or diverged, is left as it is: nothing is
     *   trained or written, and its stored result is returned.</li>
     *   <li>More epochs than stored extend the run: the schedule is defined again over the new total (the same
     *   warm-up, then cosine decay to the new last step), as if the run had been planned for that many epochs from
     *   the start, and training continues on it from the checkpoint. The learning rate therefore jumps up at the
     *   join (from near zero at the end of the old schedule to where the new one stands), and the extended run is
     *   not the run an uninterrupted start with the new total would have given (its earlier epochs followed the
     *   shorter schedule). The extension is recorded as an "extended" row of metrics.jsonl and under
     *   {@value #EXTENSIONS_KEY} in results.json; config.json holds the new total.</li>
     *   <li>The rows the killed process logged after the checkpoint's last epoch are removed from metrics.jsonl
     *   before training continues, so that no step is logged twice.</li>
     * </ul>
     * The result is stored under {@value #RESULT_KEY} in results.json together with the final checkpoint (before the
     * last epoch's monitors run) and again at the end.
     *
     * @throws ResumeConflict if a resumed run's configuration differs from the stored one in a field it may not
     * @throws RunExists      if a new run ({@code resume} false) would replace a checkpoint
     * @throws InvalidField   naming config.json's {@code batchSize} if the training set is smaller than one batch
     */
    public PretrainResult run(boolean resume) {
        run.create();
        if (!resume && Files.exists(run.checkpoint())) {
            throw new RunExists(run.root());
        }
        PretrainConfig stored = resume && Files.isRegularFile(run.config()) ? run.readConfig() : null;
        if (stored != null) {
            checkResumable(stored, config, run.root());
        }
        PretrainResult completed = resume ? completed(run, config) : null;
        if (completed != null) {
            LOG.info("nothing to do: {} is {} after {} epochs", run.root(), completed.status(), completed.epochsDone());
            return completed;
        }
        if (train.size() < config.batchSize()) {
            throw new InvalidField("batchSize", "must be at most the size of the training set: it has " + train.size()
                    + " images, fewer than one batch of " + config.batchSize());
        }
        try (NDManager manager = NDManager.newBaseManager(ComputeDevice.current());
             Method method = Methods.create(config, train.channels(), train.height(), train.width(), manager)) {
            Checkpoint.Progress progress = new Checkpoint.Progress(0, 0);
            if (resume && Files.exists(run.checkpoint())) {
                progress = Checkpoint.load(run.checkpoint(), method).progress();
                LOG.info("resuming {} after epoch {} (step {})", run.root(), progress.epochsDone(), progress.globalStep());
            }
            if (resume) {
                MetricsLog.truncate(run.metrics(), progress.epochsDone());
            }
            try (MetricsLog metrics = new MetricsLog(run.metrics())) {
                // before its first epoch is done, a run given more epochs is simply a run planned for more
                if (stored != null && config.epochs() > stored.epochs() && progress.epochsDone() > 0) {
                    recordExtension(metrics, progress, stored.epochs());
                }
                run.writeConfig(config);
                AugmentationPipeline pipeline = config.augmentationRecipe()
                        .build(train.channels(), train.height(), train.width(), normalization);
                try (TwoViewLoader loader = new TwoViewLoader(train, pipeline, config.batchSize(), config.seed(),
                        config.workers(), 2 * config.workers())) {
                    return train(method, loader, progress, metrics);
                }
            }
        }
    }

    /**
     * Checks that a run stored with {@code stored} may continue with {@code requested}: they differ only in
     * {@link PretrainConfig#RESUMABLE_FIELDS}, and {@code epochs} does not shrink.
     *
     * @throws ResumeConflict naming every field that may not change, with both values
     */
    public static void checkResumable(PretrainConfig stored, PretrainConfig requested, Path runRoot) {
        List<String> fixed = stored.differingFields(requested).stream()
                .filter(field -> !PretrainConfig.RESUMABLE_FIELDS.contains(field)
                        || field.equals("epochs") && requested.epochs() < stored.epochs())
                .toList();
        if (!fixed.isEmpty()) {
            throw new ResumeConflict(runRoot, stored, requested, fixed);
        }
    }

    /**
     * The stored result of a pretraining in {@code run} that needs nothing more for {@code config}: one that finished
     * at least {@code config.epochs()} epochs, or diverged; null if there is none (not started, stopped, or to be
     * extended).
     */
    public static PretrainResult completed(RunDirectory run, PretrainConfig config) {
        if (!Files.isRegularFile(run.results())) {
            return null;
        }
        JsonNode stored = run.readResults().get(RESULT_KEY);
        if (stored == null) {
            return null;
        }
        PretrainResult result;
        try {
            result = RunDirectory.JSON.treeToValue(stored, PretrainResult.class);
        } catch (JsonProcessingException e) {
            throw new BalconException("cannot read \"" + RESULT_KEY + "\" in " + run.results() + ": "
                    + e.getOriginalMessage(), e);
        }
        boolean finished = PretrainResult.FINISHED.equals(result.status()) && result.epochsDone() >= config.epochs();
        return finished || result.diverged() ? result : null;
    }

    private void recordExtension(MetricsLog metrics, Checkpoint.Progress progress, int epochsBefore) {
        LOG.info("extending {} from {} to {} epochs after epoch {}: the learning-rate schedule now runs over {} epochs",
                run.root(), epochsBefore, config.epochs(), progress.epochsDone(), config.epochs());
        metrics.write("extended", row("epoch", progress.epochsDone(), "step", progress.globalStep(),
                "epochs_before", epochsBefore, "epochs", config.epochs()));
        JsonNode recorded = run.readResults().get(EXTENSIONS_KEY);
        ArrayNode extensions = recorded instanceof ArrayNode list ? list : RunDirectory.JSON.createArrayNode();
        extensions.add(RunDirectory.JSON.valueToTree(new Extension(progress.epochsDone(), progress.globalStep(),
                epochsBefore, config.epochs())));
        run.putResult(EXTENSIONS_KEY, extensions);
    }

    private PretrainResult train(Method method, TwoViewLoader loader, Checkpoint.Progress start, MetricsLog metrics) {
        int stepsPerEpoch = loader.batchesPerEpoch();
        long totalSteps = (long) stepsPerEpoch * config.epochs();
        LearningRateSchedule schedule = new LearningRateSchedule(config.optimizer().lr(),
                Math.round(config.optimizer().warmupEpochs() * stepsPerEpoch), totalSteps);
        TrainStep trainStep = new TrainStep(method, config.shards());
        long globalStep = start.globalStep();
        double lastEpochLoss = Double.NaN;
        long trainStart = System.nanoTime();
        long imagesSeen = 0;
        try (Progress.Task bar = progressBar(totalSteps, globalStep)) {
            for (int epoch = start.epochsDone(); epoch < config.epochs(); epoch++) {
                long epochStart = System.nanoTime();
                double lossSum = 0;
                Iterator<TwoViewBatch> batches = loader.epoch(epoch, 0);
                long windowStart = System.nanoTime();
                int windowImages = 0;
                for (int step = 0; step < stepsPerEpoch; step++, globalStep++) {
                    TwoViewBatch batch = batches.next();
                    double learningRate = schedule.at(globalStep);
                    double value = trainStep.run(batch, learningRate, globalStep, totalSteps);
                    if (!Double.isFinite(value)) {
                        return diverged(metrics, epoch, globalStep, "loss became " + value, trainStart, imagesSeen);
                    }
                    lossSum += value;
                    imagesSeen += batch.batchSize();
                    windowImages += batch.batchSize();
                    if ((step + 1) % STEP_METRICS_EVERY == 0 || step == stepsPerEpoch - 1) {
                        double seconds = (System.nanoTime() - windowStart) / 1e9;
                        double imagesPerSecond = windowImages / seconds;
                        metrics.write("step", row("epoch", epoch + 1, "step", globalStep + 1, "loss", value,
                                "lr", learningRate, "images_per_s", imagesPerSecond));
                        windowStart = System.nanoTime();
                        windowImages = 0;
                        if (bar != null) {
                            bar.message(String.format(" epoch %d/%d loss %.4f %.0f img/s",
                                    epoch + 1, config.epochs(), value, imagesPerSecond));
                        }
                    }
                    if (bar != null) {
                        bar.step();
                    }
                }
                lastEpochLoss = lossSum / stepsPerEpoch;
                double epochSeconds = (System.nanoTime() - epochStart) / 1e9;
                Map<String, Object> epochRow = row("epoch", epoch + 1, "step", globalStep, "loss", lastEpochLoss,
                        "seconds", epochSeconds, "images_per_s", stepsPerEpoch * (double) config.batchSize() / epochSeconds);
                try {
                    Checkpoint.save(run.checkpoint(), new Checkpoint.Progress(epoch + 1, globalStep), normalization,
                            method);
                } catch (Checkpoint.NonFiniteParametersException e) {
                    // The epoch's losses were finite but its last update was not: keep the previous checkpoint.
                    return diverged(metrics, epoch, globalStep - 1, e.count() + " parameter values became NaN or "
                            + "infinite", trainStart, imagesSeen);
                }
                if (epoch + 1 == config.epochs()) {
                    // With the final checkpoint goes the record, so that a kill in the monitors below cannot leave a
                    // trained run without one (a resume would have nothing to train and no loss to report).
                    finished(globalStep, lastEpochLoss, trainStart, imagesSeen);
                }
                for (EpochMonitor monitor : monitors) {
                    long monitorStart = System.nanoTime();
                    epochRow.putAll(monitor.measure(epoch + 1, method.model()));
                    epochRow.put(monitor.getClass().getSimpleName() + "_seconds", (System.nanoTime() - monitorStart) / 1e9);
                }
                metrics.write("epoch", epochRow);
                LOG.info("epoch {}/{} loss {} ({} s, {} img/s)", epoch + 1, config.epochs(),
                        String.format("%.4f", lastEpochLoss), String.format("%.1f", epochSeconds),
                        String.format("%.0f", stepsPerEpoch * (double) config.batchSize() / epochSeconds));
            }
        }
        return finished(globalStep, lastEpochLoss, trainStart, imagesSeen);
    }

    private PretrainResult finished(long globalStep, double lastEpochLoss, long trainStart, long imagesSeen) {
        double seconds = (System.nanoTime() - trainStart) / 1e9;
        PretrainResult result = new PretrainResult(PretrainResult.FINISHED, config.epochs(), globalStep, lastEpochLoss,
                seconds, imagesSeen == 0 ? 0 : imagesSeen / seconds);
        run.putResult(RESULT_KEY, result);
        return result;
    }

    /** Records a run stopped at step {@code globalStep + 1} by {@code cause} (a non-finite loss or parameters). */
    private PretrainResult diverged(MetricsLog metrics, int epoch, long globalStep, String cause, long trainStart,
                                    long imagesSeen) {
        double seconds = (System.nanoTime() - trainStart) / 1e9;
        LOG.warn("{} at step {} (epoch {}): the run diverged and was stopped", cause, globalStep + 1, epoch + 1);
        metrics.write("diverged", row("epoch", epoch + 1, "step", globalStep + 1, "cause", cause));
        PretrainResult result = new PretrainResult(PretrainResult.DIVERGED, epoch, globalStep + 1, Double.NaN,
                seconds, imagesSeen == 0 ? 0 : imagesSeen / seconds);
        run.putResult(RESULT_KEY, result);
        return result;
    }

    private Progress.Task progressBar(long totalSteps, long done) {
        return showProgress ? Progress.current().start("pretrain", totalSteps, done) : null;
    }

    private static Map<String, Object> row(Object... keysAndValues) {
        Map<String, Object> row = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            row.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return row;
    }
}
