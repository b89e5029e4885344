package dev.balcon.cli;

import dev.balcon.data.ImageDataset;
import dev.balcon.data.Subsets;
import dev.balcon.experiment.Benchmark;
import dev.balcon.experiment.Benchmark.Measurement;
import dev.balcon.inference.EmbedBenchmark;
import dev.balcon.inference.Encoder;
import dev.balcon.train.Methods;
import dev.balcon.train.PretrainConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Training throughput of balcon and of the PyTorch peer (bench/peer_simclr.py) on the same model, "
                + "batch, loss and recipe, side by side in one run: compute step alone and end to end. Medians over steps. "
                + "With --embed --model DIR: inference throughput of an export, balcon embed's path against the peer's.")
final class BenchCommand implements Callable<Integer> {
    @Mixin
    ProgressOptions progress;

    @Mixin
    DeviceOptions device;

    @Mixin
    TrainingOptions training;

    @Option(names = "--steps", defaultValue = "20", description = "Timed steps per measurement (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--warmup", defaultValue = "3", description = "Untimed steps first (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--peer", defaultValue = "bench/peer_simclr.py", description = "Peer script (default: ${DEFAULT-VALUE}).")
    Path peerScript;

    @Option(names = "--python", defaultValue = "/usr/bin/python3",
            description = "Python with torch and torchvision for the peer (default: ${DEFAULT-VALUE}; Debian python3-torch).")
    String python;

    @Option(names = "--no-peer", description = "Measure balcon only.")
    boolean noPeer;

    @Option(names = "--augment-only", description = "Measure augmentation alone, no model: balcon against torchvision "
            + "(--augment-peer) on the same images, recipe and normalisation, one thread and --workers workers.")
    boolean augmentOnly;

    @Option(names = "--augment-peer", defaultValue = "bench/peer_augment.py",
            description = "torchvision peer for --augment-only (default: ${DEFAULT-VALUE}).")
    Path augmentPeerScript;

    @Option(names = "--seconds", defaultValue = "5", description = "Timed seconds per --augment-only measurement (default: ${DEFAULT-VALUE}).")
    double seconds;

    @Option(names = "--augment-images", defaultValue = "10000",
            description = "Distinct images for --augment-only, a stratified draw from the training set (--data-seed; default: ${DEFAULT-VALUE}).")
    int augmentImages;

    @Option(names = "--embed", description = "Measure inference instead: the images/s of embedding one batch of "
            + "--embed-batch images with the export --model, balcon (embed's code path) against the peer "
            + "(eval mode, inference_mode, same weights, same intra-op thread count); --warmup and --steps count batches.")
    boolean embed;

    @Option(names = "--model", paramLabel = "DIR", description = "Exported model directory ('balcon export') for --embed.")
    Path model;

    @Option(names = "--embed-batch", defaultValue = "512",
            description = "Images per batch for --embed (default: ${DEFAULT-VALUE}, the batch of 'balcon embed').")
    int embedBatch;

    @Option(names = "--threads", defaultValue = "0", description = "Intra-op threads of both sides for --embed; "
            + "0: libtorch's default in balcon, and as many in the peer (default: ${DEFAULT-VALUE}).")
    int threads;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (embed || model != null) {
            return embedding(out);
        }
        PretrainConfig config = training.toConfig();
        config.validate();
        ImageDataset train = Benchmark.dataset(config);
        if (augmentOnly) {
            return augmentation(out, config, train);
        }
        boolean simclr = config.method().equals(Methods.SIMCLR);
        out.printf("model %s w%d, batch %d (x2 views), %s, recipe %s, %d workers, %d timed steps after %d%n",
                config.arch(), config.width(), config.batchSize(),
                simclr ? "loss " + config.lossConfig().describe() : "method " + config.method(), config.recipe(),
                config.workers(), steps, warmup);
        Measurement step = Benchmark.computeStep(config, train, warmup, steps);
        Measurement e2e = Benchmark.endToEnd(config, train, warmup, steps);
        // the peer (bench/peer_simclr.py) trains SimCLR only: timing it against another method would compare unlike
        boolean peer = !noPeer && simclr;
        if (!noPeer && !simclr) {
            out.println("no PyTorch peer for method " + config.method() + ": bench/peer_simclr.py trains simclr only");
        }
        Measurement peerStep = peer ? Benchmark.peer(peerScript, python, config, train, "step", warmup, steps, out) : null;
        Measurement peerE2e = peer ? Benchmark.peer(peerScript, python, config, train, "e2e", warmup, steps, out) : null;
        out.println("| measurement          | balcon views/s | pytorch views/s | ratio | balcon ms/step | pytorch ms/step |");
        out.println("|----------------------|----------------|-----------------|-------|----------------|-----------------|");
        row(out, "compute step", step, peerStep);
        row(out, "end to end", e2e, peerE2e);
        out.printf("peak RSS: balcon %.0f MiB (JVM + native), pytorch %s%n", e2e.peakRssMb(),
                peerE2e == null ? "n/a" : String.format("%.0f MiB", peerE2e.peakRssMb()));
        return 0;
    }

    private int embedding(PrintWriter out) {
        picocli.CommandLine commandLine = spec.commandLine();
        if (!embed) {
            throw new picocli.CommandLine.ParameterException(commandLine, "--model is for --embed; add --embed or drop --model");
        }
        if (model == null) {
            throw new picocli.CommandLine.ParameterException(commandLine, "--embed needs --model DIR, an export written by 'balcon export'");
        }
        if (augmentOnly) {
            throw new picocli.CommandLine.ParameterException(commandLine, "--embed and --augment-only measure different things; give one");
        }
        if (threads < 0) {
            throw new picocli.CommandLine.ParameterException(commandLine, "--threads must be >= 0 (0: libtorch's default), got " + threads);
        }
        try {
            EmbedBenchmark.validate(embedBatch, warmup, steps);
        } catch (dev.balcon.BalconException e) {
            throw new picocli.CommandLine.ParameterException(commandLine, e.getMessage());
        }
        try (Encoder encoder = Encoder.loadExport(model, false)) {
            out.printf("inference of %s (%dx%dx%d input, %d features), batch %d of random 8-bit images, %d timed "
                            + "batches after %d; normalisation and features out included%n", model, encoder.channels(),
                    encoder.height(), encoder.width(), encoder.featureDim(), embedBatch, steps, warmup);
            out.flush();
            EmbedBenchmark.Throughput ours = EmbedBenchmark.balcon(encoder, embedBatch, warmup, steps, threads, training.seed);
            EmbedBenchmark.Throughput peer = noPeer ? null : EmbedBenchmark.peer(peerScript, python, model, embedBatch,
                    warmup, steps, ours.threads(), training.seed, out);
            out.println("| side                 | images/s | ms/batch (median) | threads | BLAS |");
            out.println("|----------------------|----------|-------------------|---------|------|");
            for (EmbedBenchmark.Throughput side : peer == null ? List.of(ours) : List.of(ours, peer)) {
                out.printf("| %-20s | %8.0f | %17.1f | %7d | %s |%n", side.who(), side.imagesPerSecond(),
                        side.msPerBatchMedian(), side.threads(), side.blas());
            }
            out.println(peer == null ? "ratio balcon / pytorch: n/a (no peer)"
                    : String.format("ratio balcon / pytorch: %.2f", ours.imagesPerSecond() / peer.imagesPerSecond()));
        }
        return 0;
    }

    private int augmentation(PrintWriter out, PretrainConfig config, ImageDataset all) {
        if (augmentImages < 1 || !(seconds > 0)) {
            throw new dev.balcon.BalconException("--augment-images and --seconds must be > 0, got " + augmentImages
                    + " and " + seconds);
        }
        ImageDataset train = Subsets.limit(all, augmentImages, config.dataSeed());
        out.printf("augmentation only: recipe %s on %d images of %s (%dx%dx%d), %.0f s per measurement; views/s%n",
                config.recipe(), train.size(), all.name(), train.channels(), train.height(), train.width(), seconds);
        out.flush();
        Benchmark.AugmentThroughput ours = Benchmark.augmentation(config, train, seconds);
        Benchmark.AugmentThroughput peer = noPeer ? null
                : Benchmark.augmentationPeer(augmentPeerScript, python, config, train, train.size(), seconds, out);
        if (peer != null) {
            out.println("peer: " + peer.who());
        }
        out.println("| setting                          | balcon views/s | torchvision views/s | ratio |");
        out.println("|----------------------------------|----------------|---------------------|-------|");
        augmentationRow(out, "1 thread / 1 process", ours.single(), peer == null ? Double.NaN : peer.single());
        augmentationRow(out, String.format("%d workers, batch %d, two views", config.workers(), config.batchSize()),
                ours.loader(), peer == null ? Double.NaN : peer.loader());
        return 0;
    }

    private static void augmentationRow(PrintWriter out, String name, double ours, double peer) {
        out.printf("| %-32s | %14.0f | %19s | %5s |%n", name, ours, Double.isNaN(peer) ? "n/a" : String.format("%.0f", peer),
                Double.isNaN(peer) ? "n/a" : String.format("%.2f", ours / peer));
    }

    private static void row(PrintWriter out, String name, Measurement ours, Measurement peer) {
        out.printf("| %-20s | %14.0f | %15s | %5s | %14.1f | %15s |%n", name, ours.viewsPerSecond(),
                peer == null ? "n/a" : String.format("%.0f", peer.viewsPerSecond()),
                peer == null ? "n/a" : String.format("%.2f", ours.viewsPerSecond() / peer.viewsPerSecond()),
                ours.msPerStepMedian(), peer == null ? "n/a" : String.format("%.1f", peer.msPerStepMedian()));
    }
}
