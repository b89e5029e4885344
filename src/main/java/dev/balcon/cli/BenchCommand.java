package dev.balcon.cli;

import dev.balcon.data.ImageDataset;
import dev.balcon.data.Subsets;
import dev.balcon.experiment.Benchmark;
import dev.balcon.experiment.Benchmark.Measurement;
import dev.balcon.train.PretrainConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Training throughput of balcon and of the PyTorch peer (bench/peer_simclr.py) on the same model, "
                + "batch, loss and recipe, side by side in one run: compute step alone and end to end. Medians over steps.")
final class BenchCommand implements Callable<Integer> {
    @Mixin
    ProgressOptions progress;

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

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PretrainConfig config = training.toConfig();
        config.validate();
        ImageDataset train = Benchmark.dataset(config);
        if (augmentOnly) {
            return augmentation(out, config, train);
        }
        out.printf("model %s w%d, batch %d (x2 views), loss %s, recipe %s, %d workers, %d timed steps after %d%n",
                config.arch(), config.width(), config.batchSize(), config.lossConfig().describe(), config.recipe(),
                config.workers(), steps, warmup);
        Measurement step = Benchmark.computeStep(config, train, warmup, steps);
        Measurement e2e = Benchmark.endToEnd(config, train, warmup, steps);
        Measurement peerStep = noPeer ? null : Benchmark.peer(peerScript, python, config, train, "step", warmup, steps, out);
        Measurement peerE2e = noPeer ? null : Benchmark.peer(peerScript, python, config, train, "e2e", warmup, steps, out);
        out.println("| measurement          | balcon views/s | pytorch views/s | ratio | balcon ms/step | pytorch ms/step |");
        out.println("|----------------------|----------------|-----------------|-------|----------------|-----------------|");
        row(out, "compute step", step, peerStep);
        row(out, "end to end", e2e, peerE2e);
        out.printf("peak RSS: balcon %.0f MiB (JVM + native), pytorch %s%n", e2e.peakRssMb(),
                peerE2e == null ? "n/a" : String.format("%.0f MiB", peerE2e.peakRssMb()));
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
