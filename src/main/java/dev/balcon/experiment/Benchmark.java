package dev.balcon.experiment;

import dev.balcon.augment.Normalization;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.balcon.augment.AugmentationPipeline;
import dev.balcon.augment.TwoViewBatch;
import dev.balcon.augment.TwoViewLoader;
import dev.balcon.data.DatasetSplits;
import dev.balcon.data.ImageDataset;
import dev.balcon.loss.ContrastiveLoss;
import dev.balcon.model.ContrastiveModel;
import dev.balcon.train.PretrainConfig;
import dev.balcon.train.SgdMomentum;
import dev.balcon.train.TrainStep;

import ai.djl.ndarray.NDManager;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Training throughput of balcon next to the PyTorch peer (bench/peer_simclr.py) on the same model, batch,
 * loss and recipe, measured in one run: the compute step alone (fixed tensors) and end to end (augmentation
 * and loading included). Medians over steps, after warm-up.
 */
public final class Benchmark {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One side's numbers: views per second (two per image) and peak resident memory. */
    public record Measurement(String who, String mode, double viewsPerSecond, double msPerStepMedian, double peakRssMb) {}

    private Benchmark() {}

    /** The compute step alone: one augmented batch, reused, so that no loading or augmentation is timed. */
    public static Measurement computeStep(PretrainConfig config, ImageDataset train, int warmup, int steps) {
        try (NDManager manager = NDManager.newBaseManager();
             ContrastiveModel model = ContrastiveModel.create(config.modelConfig(train.channels()),
                     train.height(), train.width(), manager, config.seed())) {
            TrainStep step = new TrainStep(model,
                    new SgdMomentum(model.trainableParameters(), config.momentum(), config.weightDecay()),
                    new ContrastiveLoss(config.lossConfig()));
            TwoViewBatch batch = fixedBatch(config, train);
            double[] millis = new double[steps];
            for (int i = 0; i < warmup + steps; i++) {
                long start = System.nanoTime();
                step.run(batch, 0.01);
                if (i >= warmup) {
                    millis[i - warmup] = (System.nanoTime() - start) / 1e6;
                }
            }
            double median = median(millis);
            return new Measurement("balcon", "step", 2 * config.batchSize() * 1000 / median, median, peakRssMb());
        }
    }

    /** Training as pretrain does it, the loader preparing augmented batches in the background. */
    public static Measurement endToEnd(PretrainConfig config, ImageDataset train, int warmup, int steps) {
        try (NDManager manager = NDManager.newBaseManager();
             ContrastiveModel model = ContrastiveModel.create(config.modelConfig(train.channels()),
                     train.height(), train.width(), manager, config.seed())) {
            TrainStep step = new TrainStep(model,
                    new SgdMomentum(model.trainableParameters(), config.momentum(), config.weightDecay()),
                    new ContrastiveLoss(config.lossConfig()));
            AugmentationPipeline pipeline = config.augmentationRecipe()
                    .build(train.channels(), train.height(), train.width(), Normalization.of(train));
            double[] millis = new double[steps];
            try (TwoViewLoader loader = new TwoViewLoader(train, pipeline, config.batchSize(), config.seed(),
                    config.workers(), 2 * config.workers())) {
                Iterator<TwoViewBatch> batches = loader.epoch(0, 0);
                for (int i = 0; i < warmup + steps; i++) {
                    long start = System.nanoTime();
                    step.run(batches.next(), 0.01);
                    if (i >= warmup) {
                        millis[i - warmup] = (System.nanoTime() - start) / 1e6;
                    }
                }
            }
            double median = median(millis);
            return new Measurement("balcon", "e2e", 2 * config.batchSize() * 1000 / median, median, peakRssMb());
        }
    }

    /**
     * Runs the Python peer in a child process and reads the JSON object it prints last. Returns null (and says
     * why on {@code log}) when python3 with torch is not available.
     */
    public static Measurement peer(Path script, String python, PretrainConfig config, String mode, int warmup,
                                   int steps, java.io.PrintWriter log) {
        List<String> command = new ArrayList<>(List.of(python, script.toString(), "--mode", mode,
                "--arch", config.arch(), "--width", String.valueOf(config.width()),
                "--proj-hidden", String.valueOf(config.projectorHidden()), "--proj-out", String.valueOf(config.projectorOut()),
                "--batch", String.valueOf(config.batchSize()), "--warmup", String.valueOf(warmup), "--steps", String.valueOf(steps),
                "--crop-min", String.valueOf(config.cropScaleMin()),
                "--tau", String.valueOf(config.tau() == null ? 0.5 : config.tau()),
                "--workers", String.valueOf(config.workers())));
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(30, TimeUnit.MINUTES) || process.exitValue() != 0) {
                log.println("peer failed (" + String.join(" ", command) + "): " + lastLine(output));
                return null;
            }
            JsonNode result = JSON.readTree(lastLine(output));
            return new Measurement("pytorch", mode, result.get("views_per_s").asDouble(),
                    result.get("ms_per_step_median").asDouble(), result.get("peak_rss_mb").asDouble());
        } catch (IOException e) {
            log.println("peer not run: " + e.getMessage());
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    public static DatasetSplits dataset(PretrainConfig config) {
        return Datasets.load(config.dataset(), config.dataDir(), config.trainLimit());
    }

    private static TwoViewBatch fixedBatch(PretrainConfig config, ImageDataset train) {
        AugmentationPipeline pipeline = config.augmentationRecipe()
                .build(train.channels(), train.height(), train.width(), Normalization.of(train));
        int viewSize = train.imageSize();
        float[] view1 = new float[config.batchSize() * viewSize];
        float[] view2 = new float[config.batchSize() * viewSize];
        SplittableRandom random = new SplittableRandom(config.seed());
        int[] indices = new int[config.batchSize()];
        for (int i = 0; i < config.batchSize(); i++) {
            indices[i] = i % train.size();
            pipeline.render(train, indices[i], random, view1, i * viewSize);
            pipeline.render(train, indices[i], random, view2, i * viewSize);
        }
        return new TwoViewBatch(view1, view2, indices, config.batchSize(), train.channels(), train.height(), train.width());
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /** Peak resident set size of this process (VmHWM), in MiB; NaN where /proc is not available. */
    static double peakRssMb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return Double.NaN;
        }
        return Double.NaN;
    }

    private static String lastLine(String output) {
        String[] lines = output.strip().split("\n");
        return lines[lines.length - 1];
    }
}
