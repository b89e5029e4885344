package dev.balcon.bench;

import dev.balcon.ComputeDevice;
import dev.balcon.augment.Normalization;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.balcon.augment.AugmentationPipeline;
import dev.balcon.augment.TwoViewBatch;
import dev.balcon.augment.TwoViewLoader;
import dev.balcon.data.Datasets;
import dev.balcon.data.ImageDataset;
import dev.balcon.loss.ContrastiveLoss;
import dev.balcon.model.ContrastiveModel;
import dev.balcon.train.Method;
import dev.balcon.train.SgdMomentum;
import dev.balcon.train.Methods;
import dev.balcon.train.PretrainConfig;
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

    /**
     * One side's numbers: views per second (two per image), the median step in wall-clock milliseconds, the median
     * step in CPU milliseconds of the whole process (all threads; NaN where not measured: on a shared machine it
     * counts the work done rather than the share of the cores obtained) and peak resident memory.
     */
    public record Measurement(String who, String mode, double viewsPerSecond, double msPerStepMedian,
                              double cpuMsPerStepMedian, double peakRssMb) {}

    private Benchmark() {}

    /** The compute step alone: one augmented batch, reused, so that no loading or augmentation is timed. */
    public static Measurement computeStep(PretrainConfig config, ImageDataset train, int warmup, int steps) {
        try (NDManager manager = NDManager.newBaseManager(ComputeDevice.current());
             Method method = Methods.create(config, train.channels(), train.height(), train.width(), manager)) {
            TrainStep step = new TrainStep(method, config.shards());
            TwoViewBatch batch = fixedBatch(config, train);
            double[] millis = new double[steps];
            double[] cpuMillis = new double[steps];
            com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean)
                    java.lang.management.ManagementFactory.getOperatingSystemMXBean();
            for (int i = 0; i < warmup + steps; i++) {
                long start = System.nanoTime();
                long cpuStart = os.getProcessCpuTime();
                step.run(batch, 0.01, i, warmup + steps);
                if (i >= warmup) {
                    millis[i - warmup] = (System.nanoTime() - start) / 1e6;
                    cpuMillis[i - warmup] = (os.getProcessCpuTime() - cpuStart) / 1e6;
                }
            }
            double median = median(millis);
            return new Measurement("balcon", "step", 2 * config.batchSize() * 1000 / median, median, median(cpuMillis),
                    peakRssMb());
        }
    }

    /** Training as pretrain does it, the loader preparing augmented batches in the background. */
    public static Measurement endToEnd(PretrainConfig config, ImageDataset train, int warmup, int steps) {
        try (NDManager manager = NDManager.newBaseManager(ComputeDevice.current());
             Method method = Methods.create(config, train.channels(), train.height(), train.width(), manager)) {
            TrainStep step = new TrainStep(method, config.shards());
            AugmentationPipeline pipeline = config.augmentationRecipe()
                    .build(train.channels(), train.height(), train.width(), Normalization.of(train));
            double[] millis = new double[steps];
            try (TwoViewLoader loader = new TwoViewLoader(train, pipeline, config.batchSize(), config.seed(),
                    config.workers(), 2 * config.workers())) {
                Iterator<TwoViewBatch> batches = loader.epoch(0, 0);
                for (int i = 0; i < warmup + steps; i++) {
                    long start = System.nanoTime();
                    step.run(batches.next(), 0.01, i, warmup + steps);
                    if (i >= warmup) {
                        millis[i - warmup] = (System.nanoTime() - start) / 1e6;
                    }
                }
            }
            double median = median(millis);
            return new Measurement("balcon", "e2e", 2 * config.batchSize() * 1000 / median, median, Double.NaN,
                    peakRssMb());
        }
    }

    /**
     * Runs the Python peer in a child process and reads the JSON object it prints last. Returns null (and says
     * why on {@code log}) when python3 with torch is not available.
     */
    public static Measurement peer(Peer peer, PretrainConfig config, ImageDataset train, String mode, int warmup,
                                   int steps, java.io.PrintWriter log) {
        if (mode.equals("e2e") && !PEER_DATASETS.contains(config.data().dataset())) {
            log.println("no PyTorch peer end to end on --dataset " + config.data().dataset() + ": bench/peer_simclr.py "
                    + "reads " + String.join(" and ", PEER_DATASETS));
            return null;
        }
        JsonNode result = runPeer(peerCommand(peer, config, train, mode, warmup, steps), log);
        return result == null ? null : new Measurement("pytorch", mode, result.get("views_per_s").asDouble(),
                result.get("ms_per_step_median").asDouble(), result.path("cpu_ms_per_step_median").asDouble(Double.NaN),
                result.get("peak_rss_mb").asDouble());
    }

    /** The datasets the peer's end-to-end mode reads itself (bench/peer_data.py). */
    static final List<String> PEER_DATASETS = List.of(Datasets.FASHION_MNIST, Datasets.IMAGE_FOLDER);

    /**
     * The peer's command line for {@code mode}. End to end ({@code e2e}) it also names the images (dataset, folder,
     * size, channels, train limit and data seed: the peer loads them as balcon does, see bench/peer_data.py; a train
     * limit draws other images of the same per-class counts) and the whole augmentation recipe as JSON, so that both
     * sides augment alike; the peer normalises by its training images' statistics, as balcon does.
     */
    static List<String> peerCommand(Peer peer, PretrainConfig config, ImageDataset train, String mode, int warmup,
                                    int steps) {
        List<String> command = peer.command(mode);
        command.addAll(List.of("--arch", config.model().arch(), "--width", String.valueOf(config.model().width()),
                "--proj-hidden", String.valueOf(config.model().projectorHidden()), "--proj-out", String.valueOf(config.model().projectorOut()),
                "--batch", String.valueOf(config.batchSize()), "--warmup", String.valueOf(warmup), "--steps", String.valueOf(steps),
                "--crop-min", String.valueOf(config.augmentation().cropScaleMin()),
                "--in-channels", String.valueOf(train.channels()), "--size", String.valueOf(train.height()),
                "--tau", String.valueOf(config.method().loss().tau() == null ? 0.5 : config.method().loss().tau()),
                "--workers", String.valueOf(config.workers()), "--precision", config.computePrecision().id()));
        if (mode.equals("e2e")) {
            var data = config.data();
            command.addAll(List.of("--dataset", data.dataset(), "--train-limit", String.valueOf(data.trainLimit()),
                    "--data-seed", String.valueOf(data.dataSeed())));
            if (data.selection().dataDir() != null) {
                command.addAll(List.of("--data", data.selection().dataDir()));
            }
            try {
                command.addAll(List.of("--recipe-json", JSON.writeValueAsString(config.augmentationRecipe())));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException("an augmentation recipe is always JSON", e);
            }
        }
        return command;
    }

    /**
     * The peer's BLAS and matmul speed ({@code --mode matmul}).
     *
     * @param optimised false when the peer runs on the reference BLAS (no OpenBLAS, MKL or BLIS mapped)
     * @param blasFiles the BLAS libraries the peer's process mapped
     * @param blasInfo what {@code torch.__config__.show()} says ({@code generic} for Debian's torch whatever it loads)
     */
    public record PeerMachine(double gflops, double gflopsBf16, boolean optimised, List<String> blasFiles,
                              String blasInfo, String torch) {}

    /** Runs the peer's {@code --mode matmul} with {@code n x n} products; null (said on {@code log}) if it fails. */
    public static PeerMachine peerMachine(Peer peer, int n, java.io.PrintWriter log) {
        List<String> command = peer.command("matmul");
        command.addAll(List.of("--matmul-size", String.valueOf(n)));
        JsonNode result = runPeer(command, log);
        if (result == null) {
            return null;
        }
        List<String> files = new ArrayList<>();
        result.path("blas_files").forEach(file -> files.add(file.asText()));
        return new PeerMachine(result.get("gflops").asDouble(), result.get("gflops_bf16").asDouble(),
                result.path("blas").asText().equals("optimised"), files, result.path("blas_info").asText("unknown"),
                result.path("torch").asText("unknown"));
    }

    /** balcon's compute step, phase by phase ({@link StepBreakdown}), on the same fixed batch as {@link #computeStep}. */
    public static StepBreakdown.Result breakdown(PretrainConfig config, ImageDataset train, int warmup, int steps,
                                                 Path profile) {
        try (NDManager manager = NDManager.newBaseManager(ComputeDevice.current());
             ContrastiveModel model = ContrastiveModel.create(config.modelConfig(train.channels()),
                     train.height(), train.width(), manager, config.seed())) {
            model.setPrecision(config.computePrecision());
            return StepBreakdown.measure(model,
                    new SgdMomentum(model.trainableParameters(), config.optimizer().momentum(), config.optimizer().weightDecay()),
                    new ContrastiveLoss(config.lossConfig()), fixedBatch(config, train), warmup, steps, profile);
        }
    }

    /**
     * The peer's phases ({@code --mode breakdown}), in {@link StepBreakdown#PHASES} order; null if it fails.
     *
     * @param profile where the peer writes torch.profiler's Chrome trace of one extra step after the warm-up, not
     *     timed, or null for none
     */
    public static StepBreakdown.Result peerBreakdown(Peer peer, PretrainConfig config, ImageDataset train, int warmup,
                                                     int steps, Path profile, java.io.PrintWriter log) {
        List<String> command = peerCommand(peer, config, train, "breakdown", warmup, steps);
        if (profile != null) {
            command.addAll(List.of("--profile", profile.toString()));
        }
        JsonNode result = runPeer(command, log);
        if (result == null) {
            return null;
        }
        java.util.Map<String, Double> millis = new java.util.LinkedHashMap<>();
        for (String phase : StepBreakdown.PHASES) {
            millis.put(phase, result.path("ms").path(phase).asDouble(Double.NaN));
        }
        return new StepBreakdown.Result(millis, result.get("ms_per_step_median").asDouble(), -1);
    }

    /**
     * Runs a peer script's {@code command} in a child process (at most 30 minutes) and parses the JSON object it
     * prints on its last line. Returns null, saying why on {@code log}, when it cannot run or fails.
     */
    public static JsonNode runPeer(List<String> command, java.io.PrintWriter log) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(30, TimeUnit.MINUTES) || process.exitValue() != 0) {
                log.println("peer failed (" + String.join(" ", command) + "): " + lastLine(output));
                return null;
            }
            return JSON.readTree(lastLine(output));
        } catch (IOException e) {
            log.println("peer not run: " + e.getMessage());
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /**
     * Augmentation throughput of one side, in views per second.
     *
     * @param single views per second of one thread (one process) rendering one view after another
     * @param loader views per second delivered in two-view batches by {@code workers} background workers
     */
    public record AugmentThroughput(String who, double single, double loader, int workers) {}

    /**
     * balcon's augmentation alone, no model: {@code config}'s recipe on {@code train}, first on one thread
     * (after a second of warm-up), then through the {@link TwoViewLoader} with {@code config.workers()} workers
     * and batches of {@code config.batchSize()}, each for {@code seconds}.
     */
    public static AugmentThroughput augmentation(PretrainConfig config, ImageDataset train, double seconds) {
        Normalization normalization = Normalization.of(train);
        AugmentationPipeline pipeline = config.augmentationRecipe()
                .build(train.channels(), train.height(), train.width(), normalization);
        float[] view = new float[pipeline.viewLength()];
        long warmupEnd = System.nanoTime() + 1_000_000_000L;
        int index = 0;
        while (System.nanoTime() < warmupEnd) {
            pipeline.render(train, index++ % train.size(), new SplittableRandom(index), view, 0);
        }
        long views = 0;
        long start = System.nanoTime();
        double elapsed;
        do {
            for (int k = 0; k < 64; k++, index++) {
                pipeline.render(train, index % train.size(), new SplittableRandom(index), view, 0);
            }
            views += 64;
            elapsed = (System.nanoTime() - start) / 1e9;
        } while (elapsed < seconds);
        double single = views / elapsed;

        try (TwoViewLoader loader = new TwoViewLoader(train, pipeline, config.batchSize(), config.seed(),
                config.workers(), 2 * config.workers())) {
            int epoch = 0;
            Iterator<TwoViewBatch> batches = loader.epoch(epoch, 0);
            for (int i = 0; i < 2; i++) {
                if (!batches.hasNext()) {
                    batches = loader.epoch(++epoch, 0);
                }
                loader.recycle(batches.next());
            }
            long loaderViews = 0;
            long loaderStart = System.nanoTime();
            double loaderElapsed;
            do {
                if (!batches.hasNext()) {
                    batches = loader.epoch(++epoch, 0);
                }
                TwoViewBatch batch = batches.next();
                loaderViews += 2L * batch.batchSize();
                loader.recycle(batch);
                loaderElapsed = (System.nanoTime() - loaderStart) / 1e9;
            } while (loaderElapsed < seconds);
            return new AugmentThroughput("balcon", single, loaderViews / loaderElapsed, config.workers());
        }
    }

    /**
     * The torchvision peer (bench/peer_augment.py) on the same images (the first {@code maxImages} of
     * {@code train}, handed over as a raw file), the same recipe (every member, as JSON) and the same
     * normalisation. Returns null (and says why on {@code log}) when the peer cannot run.
     */
    public static AugmentThroughput augmentationPeer(Path script, String python, PretrainConfig config,
                                                     ImageDataset train, int maxImages, double seconds,
                                                     java.io.PrintWriter log) {
        int count = Math.min(maxImages, train.size());
        Normalization normalization = Normalization.of(train);
        Path images = null;
        try {
            images = Files.createTempFile("balcon-augment-images", ".u8");
            Files.write(images, Arrays.copyOf(train.pixels(), count * train.imageSize()));
            List<String> command = List.of(python, script.toString(), "--images", images.toString(),
                    "--shape", count + "," + train.channels() + "," + train.height() + "," + train.width(),
                    "--recipe-json", JSON.writeValueAsString(config.augmentationRecipe()),
                    "--mean", join(normalization.mean()), "--std", join(normalization.std()),
                    "--seconds", String.valueOf(seconds), "--workers", String.valueOf(config.workers()),
                    "--batch", String.valueOf(config.batchSize()), "--seed", String.valueOf(config.seed()));
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(30, TimeUnit.MINUTES) || process.exitValue() != 0) {
                log.println("augmentation peer failed (" + python + " " + script + "): " + lastLine(output));
                return null;
            }
            JsonNode result = JSON.readTree(lastLine(output));
            return new AugmentThroughput("torchvision " + result.get("torchvision").asText(),
                    result.get("single_views_per_s").asDouble(), result.get("loader_views_per_s").asDouble(),
                    result.get("workers").asInt());
        } catch (IOException e) {
            log.println("augmentation peer not run: " + e.getMessage());
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } finally {
            if (images != null) {
                try {
                    Files.deleteIfExists(images);
                } catch (IOException ignored) {
                    // a leftover temporary file is harmless
                }
            }
        }
    }

    private static String join(float[] values) {
        StringBuilder joined = new StringBuilder();
        for (float value : values) {
            joined.append(joined.length() == 0 ? "" : ",").append(value);
        }
        return joined.toString();
    }

    /** The images a run with {@code config} would train on. */
    public static ImageDataset dataset(PretrainConfig config) {
        return Datasets.trainingSet(config.data()).images();
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

    /** The median of {@code values} (the mean of the two middle ones for an even count). */
    public static double median(double[] values) {
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
