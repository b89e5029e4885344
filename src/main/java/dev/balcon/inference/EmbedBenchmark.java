package dev.balcon.inference;

import com.fasterxml.jackson.databind.JsonNode;
import dev.balcon.BalconException;
import dev.balcon.model.Precision;
import dev.balcon.data.ImageDataset;
import dev.balcon.bench.Benchmark;
import dev.balcon.bench.Peer;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Inference throughput of an exported encoder: balcon's {@link Encoder#embed(ImageDataset)} (the path of
 * {@code balcon embed}) next to the PyTorch peer's ({@code bench/peer_simclr.py --mode embed}) on the same weights,
 * input shape and batch. Each side embeds one fixed batch of random 8-bit images, normalisation and the copy of the
 * features out included, {@code warmup} times untimed and then {@code batches} times; the median batch time counts.
 */
public final class EmbedBenchmark {

    private EmbedBenchmark() {}

    /**
     * One side's numbers.
     *
     * @param imagesPerSecond batch size / median seconds per batch
     * @param msPerBatchMedian median wall time of one batch, in milliseconds
     * @param threads         intra-op threads of that side's libtorch
     * @param blas            for the peer: {@code optimised} or {@code reference} and the BLAS files it loaded
     */
    public record Throughput(String who, double imagesPerSecond, double msPerBatchMedian, int threads, String blas) {}

    /**
     * Checks the settings of a measurement.
     *
     * @throws BalconException if {@code batch} or {@code batches} is below 1 or {@code warmup} below 0
     */
    public static void validate(int batch, int warmup, int batches) {
        if (batch < 1 || batches < 1 || warmup < 0) {
            throw new BalconException("bench --embed needs --embed-batch >= 1, --steps >= 1 and --warmup >= 0, got "
                    + batch + ", " + batches + " and " + warmup);
        }
    }

    /**
     * balcon's side: {@code encoder.embed} of one batch of {@code batch} random images of its input shape.
     *
     * @param threads intra-op threads for libtorch (set for the whole process), or 0 to keep its default
     */
    public static Throughput balcon(Encoder encoder, int batch, int warmup, int batches, int threads, long seed) {
        validate(batch, warmup, batches);
        if (threads < 0) {
            throw new BalconException("--threads must be >= 0 (0: libtorch's default), got " + threads);
        }
        if (threads > 0) {
            ai.djl.pytorch.jni.JniUtils.setNumThreads(threads);
        }
        ImageDataset images = randomImages(encoder, batch, seed);
        double[] millis = new double[batches];
        for (int i = 0; i < warmup + batches; i++) {
            long start = System.nanoTime();
            encoder.embed(images);
            if (i >= warmup) {
                millis[i - warmup] = (System.nanoTime() - start) / 1e6;
            }
        }
        double median = Benchmark.median(millis);
        return new Throughput("balcon", batch * 1000 / median, median, ai.djl.pytorch.jni.JniUtils.getNumThreads(),
                "DJL's libtorch build (its own)");
    }

    /**
     * The peer's side, in a child process, with {@code threads} intra-op threads. Returns null, saying why on
     * {@code log}, if the peer cannot run (no python3 with torch) or fails; warns on {@code log} when it found only
     * the reference BLAS.
     *
     * @param exportDir the export whose model.json and model.safetensors the peer rebuilds and loads
     * @param precision {@link Precision#BF16}: the peer's forward pass under {@code torch.autocast("cpu",
     *                  bfloat16)}, balcon's mixed precision's counterpart
     */
    public static Throughput peer(Peer peer, Path exportDir, Precision precision, int batch,
                                  int warmup, int batches, int threads, long seed, PrintWriter log) {
        validate(batch, warmup, batches);
        ModelManifest manifest = ModelManifest.read(exportDir.resolve(ModelManifest.FILE));
        ModelManifest.Input input = manifest.input();
        if (input.height() != input.width()) {
            throw new BalconException(exportDir + ": the peer takes square inputs, the encoder's are " + input.height()
                    + "x" + input.width());
        }
        var architecture = manifest.architecture();
        List<String> command = peer.command("embed");
        command.addAll(List.of("--arch", architecture.name(), "--width", String.valueOf(architecture.stemWidth()),
                "--proj-hidden", String.valueOf(architecture.projectorHiddenDim()),
                "--proj-out", String.valueOf(architecture.projectorOutDim()),
                "--in-channels", String.valueOf(input.channels()), "--size", String.valueOf(input.height()),
                "--weights", exportDir.resolve(manifest.weights().file() == null ? ModelExport.WEIGHTS_FILE
                        : manifest.weights().file()).toString(),
                "--mean", join(input.mean()), "--std", join(input.std()),
                "--batch", String.valueOf(batch), "--warmup", String.valueOf(warmup), "--steps", String.valueOf(batches),
                "--threads", String.valueOf(threads), "--seed", String.valueOf(seed), "--precision", precision.id()));
        JsonNode result = Benchmark.runPeer(command, log);
        if (result == null) {
            return null;
        }
        String blas = result.path("blas").asText("unknown");
        if (blas.equals("reference")) {
            log.println("WARNING: the PyTorch peer runs on the REFERENCE BLAS (" + result.path("blas_files")
                    + "): its numbers are far too slow to compare with. Install an optimised one: "
                    + "apt-get install libopenblas0-pthread");
        }
        List<String> files = new ArrayList<>();
        result.path("blas_files").forEach(file -> files.add(Path.of(file.asText()).getFileName().toString()));
        return new Throughput("pytorch " + result.path("torch").asText(), result.get("images_per_s").asDouble(),
                result.get("ms_per_batch_median").asDouble(), result.path("torch_threads").asInt(),
                blas + " (" + String.join(", ", files) + ")");
    }

    /** {@code count} images of uniformly random bytes at the encoder's input shape (pixel values do not change the work). */
    static ImageDataset randomImages(Encoder encoder, int count, long seed) {
        byte[] pixels = new byte[count * encoder.channels() * encoder.height() * encoder.width()];
        new Random(seed).nextBytes(pixels);
        return new ImageDataset("random-" + count, pixels, new int[count], encoder.channels(), encoder.height(),
                encoder.width(), List.of("none"));
    }

    private static String join(List<Float> values) {
        return String.join(",", values.stream().map(String::valueOf).toList());
    }
}
