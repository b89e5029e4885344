package dev.balcon.train;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import dev.balcon.augment.AugmentationPipeline;
import dev.balcon.augment.Normalization;
import dev.balcon.augment.TwoViewBatch;
import dev.balcon.augment.TwoViewLoader;
import dev.balcon.data.ImageDataset;
import dev.balcon.loss.ContrastiveLoss;
import dev.balcon.model.ContrastiveModel;
import me.tongfei.progressbar.ProgressBar;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one training loop: two augmented views per image, encoder + projector, a contrastive loss, SGD with
 * warm-up and cosine decay, a checkpoint after every epoch, metrics as JSON lines. Methods and losses stay
 * thin: they are configuration, not loops of their own.
 */
public final class Pretrainer {
    private static final Logger LOG = LoggerFactory.getLogger(Pretrainer.class);
    private static final int STEP_METRICS_EVERY = 10;

    private final PretrainConfig config;
    private final ImageDataset train;
    private final Normalization normalization;
    private final RunDirectory run;
    private final List<EpochMonitor> monitors = new ArrayList<>();
    private boolean showProgress = true;

    public Pretrainer(PretrainConfig config, ImageDataset train, Normalization normalization, RunDirectory run) {
        config.validate();
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
     * Trains until {@code config.epochs()} are done. With {@code resume}, continues from the run's
     * checkpoint (if any); without it, an existing checkpoint is an error rather than silently replaced.
     */
    public PretrainResult run(boolean resume) {
        run.create();
        if (!resume && Files.exists(run.checkpoint())) {
            throw new dev.balcon.BalconException("run directory " + run.root() + " already holds a run: pass --resume "
                    + "to continue it, or choose another --run-dir");
        }
        if (train.size() < config.batchSize()) {
            throw new dev.balcon.BalconException("the training set has " + train.size() + " images, fewer than one batch of "
                    + config.batchSize() + ": lower --batch-size");
        }
        run.writeConfig(config);
        try (NDManager manager = NDManager.newBaseManager();
             ContrastiveModel model = ContrastiveModel.create(config.modelConfig(train.channels()),
                     train.height(), train.width(), manager, config.seed());
             MetricsLog metrics = new MetricsLog(run.metrics())) {
            List<Parameter> parameters = model.trainableParameters();
            SgdMomentum optimizer = new SgdMomentum(parameters, config.momentum(), config.weightDecay());
            Checkpoint.Progress progress = new Checkpoint.Progress(0, 0);
            if (resume && Files.exists(run.checkpoint())) {
                progress = Checkpoint.load(run.checkpoint(), model, optimizer).progress();
                LOG.info("resuming {} after epoch {} (step {})", run.root(), progress.epochsDone(), progress.globalStep());
            }
            ContrastiveLoss loss = new ContrastiveLoss(config.lossConfig());
            AugmentationPipeline pipeline = config.augmentationRecipe()
                    .build(train.channels(), train.height(), train.width(), normalization);
            try (TwoViewLoader loader = new TwoViewLoader(train, pipeline, config.batchSize(), config.seed(),
                    config.workers(), 2 * config.workers())) {
                return train(model, optimizer, loss, loader, progress, metrics);
            }
        }
    }

    private PretrainResult train(ContrastiveModel model, SgdMomentum optimizer, ContrastiveLoss loss,
                                 TwoViewLoader loader, Checkpoint.Progress start, MetricsLog metrics) {
        int stepsPerEpoch = loader.batchesPerEpoch();
        long totalSteps = (long) stepsPerEpoch * config.epochs();
        LearningRateSchedule schedule = new LearningRateSchedule(config.learningRate(),
                Math.round(config.warmupEpochs() * stepsPerEpoch), totalSteps);
        TrainStep trainStep = new TrainStep(model, optimizer, loss);
        long globalStep = start.globalStep();
        double lastEpochLoss = Double.NaN;
        long trainStart = System.nanoTime();
        long imagesSeen = 0;
        try (ProgressBar bar = progressBar(totalSteps, globalStep)) {
            for (int epoch = start.epochsDone(); epoch < config.epochs(); epoch++) {
                long epochStart = System.nanoTime();
                double lossSum = 0;
                Iterator<TwoViewBatch> batches = loader.epoch(epoch, 0);
                long windowStart = System.nanoTime();
                int windowImages = 0;
                for (int step = 0; step < stepsPerEpoch; step++, globalStep++) {
                    TwoViewBatch batch = batches.next();
                    double learningRate = schedule.at(globalStep);
                    double value = trainStep.run(batch, learningRate);
                    if (!Double.isFinite(value)) {
                        return diverged(metrics, epoch, globalStep, value, trainStart, imagesSeen);
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
                            bar.setExtraMessage(String.format(" epoch %d/%d loss %.4f %.0f img/s",
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
                Checkpoint.save(run.checkpoint(), new Checkpoint.Progress(epoch + 1, globalStep), normalization, model,
                        optimizer);
                for (EpochMonitor monitor : monitors) {
                    long monitorStart = System.nanoTime();
                    epochRow.putAll(monitor.measure(epoch + 1, model));
                    epochRow.put(monitor.getClass().getSimpleName() + "_seconds", (System.nanoTime() - monitorStart) / 1e9);
                }
                metrics.write("epoch", epochRow);
                LOG.info("epoch {}/{} loss {} ({} s, {} img/s)", epoch + 1, config.epochs(),
                        String.format("%.4f", lastEpochLoss), String.format("%.1f", epochSeconds),
                        String.format("%.0f", stepsPerEpoch * (double) config.batchSize() / epochSeconds));
            }
        }
        double seconds = (System.nanoTime() - trainStart) / 1e9;
        PretrainResult result = new PretrainResult(PretrainResult.FINISHED, config.epochs(), globalStep, lastEpochLoss,
                seconds, imagesSeen == 0 ? 0 : imagesSeen / seconds);
        run.putResult("pretrain", result);
        return result;
    }

    private PretrainResult diverged(MetricsLog metrics, int epoch, long globalStep, double value,
                                    long trainStart, long imagesSeen) {
        double seconds = (System.nanoTime() - trainStart) / 1e9;
        LOG.warn("loss became {} at step {} (epoch {}): the run diverged and was stopped", value, globalStep + 1, epoch + 1);
        metrics.write("diverged", row("epoch", epoch + 1, "step", globalStep + 1, "loss", String.valueOf(value)));
        PretrainResult result = new PretrainResult(PretrainResult.DIVERGED, epoch, globalStep + 1, Double.NaN,
                seconds, imagesSeen == 0 ? 0 : imagesSeen / seconds);
        run.putResult("pretrain", result);
        return result;
    }

    private ProgressBar progressBar(long totalSteps, long done) {
        return showProgress ? ProgressBars.start("pretrain", totalSteps, done) : null;
    }

    private static Map<String, Object> row(Object... keysAndValues) {
        Map<String, Object> row = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            row.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return row;
    }
}
