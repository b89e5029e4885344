package dev.balcon.cli;

import dev.balcon.data.ImageDataset;
import dev.balcon.data.Subsets;
import dev.balcon.bench.Benchmark;
import dev.balcon.bench.Benchmark.Measurement;
import dev.balcon.bench.Machine;
import dev.balcon.bench.OpProfile;
import dev.balcon.bench.Peer;
import dev.balcon.bench.StepBreakdown;
import dev.balcon.model.ModelFlops;
import dev.balcon.model.Precision;
import dev.balcon.inference.EmbedBenchmark;
import dev.balcon.inference.Encoder;
import dev.balcon.train.Methods;
import dev.balcon.train.PretrainConfig;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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

    @Option(names = "--peer-channels-last", description = "The peer keeps its model and input in torch.channels_last "
            + "memory format (PyTorch's advice for CPU convolutions; balcon computes in that format); without it, the "
            + "plain NCHW format a PyTorch model has unless its author asks.")
    boolean peerChannelsLast;

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
            + "(eval mode, inference_mode, same weights, same intra-op thread count; with --precision bf16 balcon's "
            + "mixed precision against the peer's autocast); --warmup and --steps count batches.")
    boolean embed;

    @Option(names = "--model", paramLabel = "DIR", description = "Exported model directory ('balcon export') for --embed.")
    Path model;

    @Option(names = "--embed-batch", defaultValue = "512",
            description = "Images per batch for --embed (default: ${DEFAULT-VALUE}, the batch of 'balcon embed').")
    int embedBatch;

    @Option(names = "--threads", defaultValue = "0", description = "Intra-op threads of both sides for --embed; "
            + "0: libtorch's default in balcon, and as many in the peer (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--rounds", defaultValue = "1", description = "Repeat the measurements, balcon then the peer in "
            + "each round, and report every round and the medians (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--step-only", description = "Measure the compute step alone, not end to end.")
    boolean stepOnly;

    @Option(names = "--breakdown", description = "Time the compute step phase by phase (create, forward, loss, "
            + "backward, optimizer, close), balcon and the peer on the same batch, instead of the throughput table.")
    boolean breakdown;

    @Option(names = "--profile", paramLabel = "DIR", description = "With --breakdown: run one extra step of both sides, "
            + "after the warm-up and not counted in the phases, under their profiler; write DIR/balcon-trace.json and "
            + "DIR/pytorch-trace.json (Chrome traces; the CPU side's times) and print the operators with the most self "
            + "time in that step side by side.")
    Path profile;

    @Option(names = "--profile-top", paramLabel = "N", defaultValue = "25", description = "With --profile: how many "
            + "operators to list, those with the most self time on either side (default: ${DEFAULT-VALUE}).")
    int profileTop;

    @Option(names = "--allow-reference-blas", description = "Measure even when the peer's PyTorch runs on the reference "
            + "BLAS (its numbers are then flagged); without it the bench stops and says how to install OpenBLAS.")
    boolean allowReferenceBlas;

    /** n of the n x n reference matmul both sides time (large enough to reach the BLAS's steady speed). */
    private static final int MATMUL_SIZE = 2048;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    private Peer peer() {
        return new Peer(peerScript, python, peerChannelsLast);
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (embed || model != null) {
            return embedding(out);
        }
        PretrainConfig config = training.toConfig();
        if (augmentOnly) {
            return augmentation(out, config, Benchmark.dataset(config));
        }
        if (rounds < 1 || steps < 1 || warmup < 0) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--rounds and --steps must be >= 1 and --warmup >= 0, got " + rounds + ", " + steps + " and " + warmup);
        }
        boolean simclr = config.method().name().equals(Methods.SIMCLR);
        if (!simclr && breakdown) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--breakdown times the phases of the simclr step; --method " + config.method().name() + " has other phases");
        }
        if (breakdown && config.shards() > 1) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--breakdown times the phases of the unsharded step; leave --shards at 1");
        }
        checkProfileOptions();
        if (config.shards() > 1 && !noPeer && simclr) {
            out.println("balcon's step is sharded (--shards " + config.shards() + ", emulated one shard after another); "
                    + "the peer is not sharded: it trains the whole batch in one step");
        }
        if (!simclr && !noPeer) {
            // the peer (bench/peer_simclr.py) trains SimCLR only: timing it against another method would compare unlike
            out.println("no PyTorch peer for method " + config.method().name() + ": bench/peer_simclr.py trains simclr only");
            noPeer = true;
        }
        Reference reference = machine(out, config.computePrecision());
        boolean fairPeer = reference.fairPeer();
        ImageDataset train = Benchmark.dataset(config);
        out.printf("model %s w%d, batch %d (x2 views), %s, recipe %s, %d workers, precision %s, %d timed steps "
                        + "after %d%n", config.model().arch(), config.model().width(), config.batchSize(),
                simclr ? "loss " + config.lossConfig().describe() : "method " + config.method().name(),
                config.augmentation().recipe(), config.workers(), config.computePrecision().id(), steps, warmup);
        if (breakdown) {
            return breakdown(out, config, train, reference);
        }
        // Interleaved, balcon then the peer in each round, so that both sides see the same load on a shared machine.
        List<Measurement> steps1 = new ArrayList<>();
        List<Measurement> steps2 = new ArrayList<>();
        List<Measurement> e2e1 = new ArrayList<>();
        List<Measurement> e2e2 = new ArrayList<>();
        for (int round = 0; round < rounds; round++) {
            steps1.add(Benchmark.computeStep(config, train, warmup, steps));
            steps2.add(noPeer ? null : Benchmark.peer(peer(), config, train, "step", warmup, steps, out));
            if (!stepOnly) {
                e2e1.add(Benchmark.endToEnd(config, train, warmup, steps));
                e2e2.add(noPeer ? null : Benchmark.peer(peer(), config, train, "e2e", warmup, steps, out));
            }
        }
        out.println("| measurement           | balcon views/s | pytorch views/s | ratio | balcon ms/step | pytorch ms/step | "
                + "CPU ms/step: balcon, pytorch (ratio) |");
        out.println("|-----------------------|----------------|-----------------|-------|----------------|-----------------|"
                + "-------------------------------------|");
        for (int round = 0; rounds > 1 && round < rounds; round++) {
            row(out, "compute step, round " + (round + 1), steps1.get(round), steps2.get(round));
            if (!stepOnly) {
                row(out, "end to end, round " + (round + 1), e2e1.get(round), e2e2.get(round));
            }
        }
        row(out, "compute step" + (rounds > 1 ? ", median" : ""), median(steps1), median(steps2));
        if (!stepOnly) {
            row(out, "end to end" + (rounds > 1 ? ", median" : ""), median(e2e1), median(e2e2));
        }
        Measurement peerPeak = median(stepOnly ? steps2 : e2e2);
        out.printf("peak RSS: balcon %.0f MiB (JVM + native), pytorch %s%n", median(stepOnly ? steps1 : e2e1).peakRssMb(),
                peerPeak == null ? "n/a" : String.format("%.0f MiB (main process)", peerPeak.peakRssMb()));
        Measurement peerStep = median(steps2);
        fractionOfPeak(out, config, train, reference, median(steps1).msPerStepMedian(),
                peerStep == null ? Double.NaN : peerStep.msPerStepMedian());
        if (!fairPeer) {
            out.println("WARNING: the pytorch numbers were measured on the reference BLAS");
        }
        return 0;
    }

    /**
     * The model's multiply-adds ({@link ModelFlops}) and each side's achieved FLOP/s in a compute step as a fraction of
     * its own large-matmul speed in the same precision.
     */
    private static void fractionOfPeak(PrintWriter out, PretrainConfig config, ImageDataset train, Reference reference,
                                       double oursMs, double peerMs) {
        var model = config.modelConfig(train.channels());
        int views = 2 * config.batchSize();
        double stepFlops = ModelFlops.trainingStepFlops(model, train.height(), train.width(), views);
        out.printf("model: %.2f M multiply-adds per image forward (%dx%dx%d); a step on %d views = %.1f GFLOP "
                        + "(6 x views x multiply-adds)%n", ModelFlops.multiplyAdds(model, train.height(), train.width()) / 1e6,
                train.channels(), train.height(), train.width(), views, stepFlops / 1e9);
        out.printf("achieved in the compute step: balcon %s, pytorch %s (%s matmul peak of each side)%n",
                achieved(stepFlops, oursMs, reference.ours()), achieved(stepFlops, peerMs, reference.peer()),
                config.computePrecision().id());
    }

    private static String achieved(double stepFlops, double ms, double peakGflops) {
        if (Double.isNaN(ms)) {
            return "n/a";
        }
        double gflops = stepFlops / (ms / 1000) / 1e9;
        return Double.isNaN(peakGflops) ? String.format("%.1f GFLOP/s", gflops)
                : String.format("%.1f GFLOP/s = %.0f%% of %.1f", gflops, 100 * gflops / peakGflops, peakGflops);
    }

    /**
     * Each number's median over the rounds (the upper middle one for an even count) and the largest peak memory; null
     * if a round has no measurement.
     */
    private static Measurement median(List<Measurement> measurements) {
        if (measurements.isEmpty() || measurements.contains(null)) {
            return null;
        }
        java.util.function.ToDoubleFunction<java.util.function.ToDoubleFunction<Measurement>> middle = field -> {
            double[] values = measurements.stream().mapToDouble(field).sorted().toArray();
            return values[values.length / 2];
        };
        Measurement first = measurements.get(0);
        return new Measurement(first.who(), first.mode(), middle.applyAsDouble(Measurement::viewsPerSecond),
                middle.applyAsDouble(Measurement::msPerStepMedian), middle.applyAsDouble(Measurement::cpuMsPerStepMedian),
                measurements.stream().mapToDouble(Measurement::peakRssMb).max().orElseThrow());
    }

    /**
     * What the bench compares achieved speed with: each side's large-matmul GFLOP/s in the precision measured (NaN
     * where not measured), and whether the peer's BLAS is an optimised one.
     */
    private record Reference(boolean fairPeer, double ours, double peer) {}

    /** The glibc malloc settings the launcher sets (see the {@code balcon} script); both sides run under them. */
    private static final List<String> MALLOC_VARIABLES = List.of("MALLOC_ARENA_MAX", "MALLOC_MMAP_MAX_",
            "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_");

    /**
     * Prints the CPU, its relevant instruction-set flags, the environment both sides share (OpenMP wait policy, malloc
     * settings) and both sides' large-matmul speed, and checks the peer's BLAS. The reference's {@code fairPeer} is
     * false when the peer runs on the reference BLAS and --allow-reference-blas let it through (its numbers then carry
     * a warning); without that flag a reference BLAS ends the command with one line.
     */
    private Reference machine(PrintWriter out, Precision precision) {
        out.println("CPU: " + Machine.current().describe());
        String waitPolicy = System.getenv("OMP_WAIT_POLICY");
        out.println("OMP_WAIT_POLICY=" + (waitPolicy == null ? "(unset: OpenMP threads spin between operations)" : waitPolicy)
                + " for both sides (the peer inherits balcon's environment)");
        List<String> malloc = MALLOC_VARIABLES.stream().filter(name -> System.getenv(name) != null)
                .map(name -> name + "=" + System.getenv(name)).toList();
        out.println("malloc: " + (malloc.isEmpty() ? "glibc defaults" : String.join(" ", malloc))
                + " for both sides");
        double ours;
        double oursBf16 = Double.NaN;
        try (NDManager manager = NDManager.newBaseManager(dev.balcon.ComputeDevice.current())) {
            ours = Machine.matmulGflops(manager, MATMUL_SIZE, Precision.FP32, 5);
            if (precision == Precision.BF16) {
                oursBf16 = Machine.matmulGflops(manager, MATMUL_SIZE, Precision.BF16, 5);
            }
        }
        out.printf("balcon: libtorch %s, %d intra-op threads, %dx%d fp32 matmul %.1f GFLOP/s%s%n",
                Engine.getInstance().getVersion(), JniUtils.getNumThreads(), MATMUL_SIZE, MATMUL_SIZE, ours,
                Double.isNaN(oursBf16) ? "" : String.format(", bf16 %.1f GFLOP/s", oursBf16));
        out.flush();
        double oursPeak = precision == Precision.BF16 ? oursBf16 : ours;
        if (noPeer) {
            return new Reference(true, oursPeak, Double.NaN);
        }
        Benchmark.PeerMachine peer = Benchmark.peerMachine(peer(), MATMUL_SIZE, out);
        if (peer == null) {
            return new Reference(true, oursPeak, Double.NaN);
        }
        double peerPeak = precision == Precision.BF16 ? peer.gflopsBf16() : peer.gflops();
        String blas = (peer.optimised() ? "optimised" : "REFERENCE") + " BLAS " + peer.blasFiles().stream()
                .map(file -> Path.of(file).getFileName().toString()).toList() + " (torch says BLAS_INFO="
                + peer.blasInfo() + ")";
        out.printf("pytorch: torch %s, %s, %dx%d fp32 matmul %.1f GFLOP/s, bf16 %.1f GFLOP/s; model in %s%n",
                peer.torch(), blas, MATMUL_SIZE, MATMUL_SIZE, peer.gflops(), peer.gflopsBf16(),
                peerChannelsLast ? "channels_last (--peer-channels-last)" : "NCHW (--peer-channels-last for channels_last)");
        if (peer.optimised()) {
            return new Reference(true, oursPeak, peerPeak);
        }
        String problem = "the PyTorch peer (" + python + ") runs on the reference BLAS, so its times are not "
                + "PyTorch's: install OpenBLAS ('apt-get install libopenblas0-pthread')";
        if (!allowReferenceBlas) {
            throw new dev.balcon.BalconException(problem + " or pass --allow-reference-blas");
        }
        out.println("WARNING: " + problem + "; every pytorch number below is handicapped");
        return new Reference(false, oursPeak, peerPeak);
    }

    private int breakdown(PrintWriter out, PretrainConfig config, ImageDataset train, Reference reference) {
        boolean fairPeer = reference.fairPeer();
        Path oursTrace = profile == null ? null : profile.resolve(BALCON_TRACE);
        Path peerTrace = profile == null || noPeer ? null : profile.resolve(PYTORCH_TRACE);
        StepBreakdown.Result ours = Benchmark.breakdown(config, train, warmup, steps, oursTrace);
        StepBreakdown.Result peer = noPeer ? null
                : Benchmark.peerBreakdown(peer(), config, train, warmup, steps, peerTrace, out);
        out.println("compute step by phase, median ms over " + steps + " steps (balcon / pytorch below 1: balcon faster)"
                + (fairPeer ? "" : " (WARNING: the peer runs on the reference BLAS)"));
        out.println("| phase      | balcon ms | pytorch ms | balcon / pytorch |");
        out.println("|------------|-----------|------------|------------------|");
        for (String phase : StepBreakdown.PHASES) {
            double theirs = peer == null ? Double.NaN : peer.millis().get(phase);
            out.printf("| %-10s | %9.1f | %10s | %16s |%n", phase, ours.millis().get(phase),
                    Double.isNaN(theirs) ? "n/a" : String.format("%.1f", theirs),
                    Double.isNaN(theirs) ? "n/a" : String.format("%.2f", ours.millis().get(phase) / theirs));
        }
        out.printf("| %-10s | %9.1f | %10s | %16s |%n", "step", ours.totalMillis(),
                peer == null ? "n/a" : String.format("%.1f", peer.totalMillis()),
                peer == null ? "n/a" : String.format("%.2f", ours.totalMillis() / peer.totalMillis()));
        out.printf("balcon: %d arrays in the step's manager when it closes%n", ours.arraysPerStep());
        if (profile != null) {
            operators(out, oursTrace, peer == null ? null : peerTrace);
        }
        fractionOfPeak(out, config, train, reference, ours.totalMillis(), peer == null ? Double.NaN : peer.totalMillis());
        return 0;
    }

    private static final String BALCON_TRACE = "balcon-trace.json";
    private static final String PYTORCH_TRACE = "pytorch-trace.json";

    /**
     * Refuses profile options that cannot apply, and makes the profile directory before anything is measured, without
     * the traces of an earlier run in it (a run without the peer would otherwise leave the old peer trace beside the
     * new one).
     */
    private void checkProfileOptions() {
        picocli.CommandLine commandLine = spec.commandLine();
        if (profile == null) {
            if (commandLine.getParseResult().hasMatchedOption("--profile-top")) {
                throw new picocli.CommandLine.ParameterException(commandLine, "--profile-top is for --profile; add --profile DIR");
            }
            return;
        }
        if (!breakdown) {
            throw new picocli.CommandLine.ParameterException(commandLine, "--profile profiles the --breakdown run; add --breakdown");
        }
        if (profile.toString().isBlank()) {
            throw new picocli.CommandLine.ParameterException(commandLine, "--profile needs a directory, got an empty path");
        }
        if (profileTop < 1) {
            throw new picocli.CommandLine.ParameterException(commandLine, "--profile-top must be >= 1, got " + profileTop);
        }
        if (java.nio.file.Files.exists(profile) && !java.nio.file.Files.isDirectory(profile)) {
            throw new picocli.CommandLine.ParameterException(commandLine,
                    "--profile " + profile + " exists and is not a directory");
        }
        try {
            java.nio.file.Files.createDirectories(profile);
            java.nio.file.Files.deleteIfExists(profile.resolve(BALCON_TRACE));
            java.nio.file.Files.deleteIfExists(profile.resolve(PYTORCH_TRACE));
        } catch (java.io.IOException e) {
            String reason = e instanceof java.nio.file.FileSystemException fs && fs.getReason() != null ? fs.getReason()
                    : e.getClass().getSimpleName();
            throw new picocli.CommandLine.ParameterException(commandLine,
                    "--profile: cannot write to the directory " + profile + ": " + reason);
        }
    }

    /** The operators with the most self time on either side in the profiled step, from the two profiler traces. */
    private void operators(PrintWriter out, Path oursTrace, Path peerTrace) {
        Map<String, OpProfile.Op> ours = byName(OpProfile.read(oursTrace));
        Map<String, OpProfile.Op> theirs = peerTrace == null || !java.nio.file.Files.exists(peerTrace)
                ? Map.of() : byName(OpProfile.read(peerTrace));
        java.util.function.ToDoubleFunction<String> larger = name -> Math.max(
                ours.containsKey(name) ? ours.get(name).selfMillis() : 0,
                theirs.containsKey(name) ? theirs.get(name).selfMillis() : 0);
        List<String> names = java.util.stream.Stream.concat(ours.keySet().stream(), theirs.keySet().stream()).distinct()
                .sorted(java.util.Comparator.comparingDouble(larger).reversed()).limit(profileTop).toList();
        out.println("operators by self time in the profiled step (one extra step after the warm-up), ms, the larger side "
                + "first; traces in " + profile);
        out.println("| operator | balcon ms | balcon calls | pytorch ms | pytorch calls |");
        out.println("|---|---|---|---|---|");
        for (String name : names) {
            OpProfile.Op a = ours.get(name);
            OpProfile.Op b = theirs.get(name);
            out.printf("| %s | %s | %s | %s | %s |%n", name,
                    a == null ? "-" : String.format("%.1f", a.selfMillis()), a == null ? "-" : String.valueOf(a.calls()),
                    b == null ? "-" : String.format("%.1f", b.selfMillis()), b == null ? "-" : String.valueOf(b.calls()));
        }
        out.printf("| all operators | %.1f | | %s | |%n", total(ours),
                theirs.isEmpty() ? "-" : String.format("%.1f", total(theirs)));
    }

    private static Map<String, OpProfile.Op> byName(List<OpProfile.Op> ops) {
        Map<String, OpProfile.Op> map = new java.util.LinkedHashMap<>();
        ops.forEach(op -> map.put(op.name(), op));
        return map;
    }

    private static double total(Map<String, OpProfile.Op> ops) {
        return ops.values().stream().mapToDouble(OpProfile.Op::selfMillis).sum();
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
        Precision precision = Precision.of(training.precision);
        try (Encoder encoder = Encoder.loadExport(model, false)) {
            encoder.setPrecision(precision);
            out.printf("inference of %s (%dx%dx%d input, %d features), batch %d of random 8-bit images, %d timed "
                            + "batches after %d, precision %s; normalisation and features out included%n", model,
                    encoder.channels(), encoder.height(), encoder.width(), encoder.featureDim(), embedBatch, steps,
                    warmup, precision.id());
            out.flush();
            EmbedBenchmark.Throughput ours = EmbedBenchmark.balcon(encoder, embedBatch, warmup, steps, threads, training.seed);
            EmbedBenchmark.Throughput peer = noPeer ? null : EmbedBenchmark.peer(peer(), model, precision,
                    embedBatch, warmup, steps, ours.threads(), training.seed, out);
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
        ImageDataset train = Subsets.limit(all, augmentImages, config.data().dataSeed());
        out.printf("augmentation only: recipe %s on %d images of %s (%dx%dx%d), %.0f s per measurement; views/s%n",
                config.augmentation().recipe(), train.size(), all.name(), train.channels(), train.height(), train.width(), seconds);
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
        out.printf("| %-21s | %14.0f | %15s | %5s | %14.1f | %15s | %s |%n", name, ours.viewsPerSecond(),
                peer == null ? "n/a" : String.format("%.0f", peer.viewsPerSecond()),
                peer == null ? "n/a" : String.format("%.2f", ours.viewsPerSecond() / peer.viewsPerSecond()),
                ours.msPerStepMedian(), peer == null ? "n/a" : String.format("%.1f", peer.msPerStepMedian()),
                Double.isNaN(ours.cpuMsPerStepMedian()) || peer == null || Double.isNaN(peer.cpuMsPerStepMedian()) ? "n/a"
                        : String.format("%.0f, %.0f (%.2f)", ours.cpuMsPerStepMedian(), peer.cpuMsPerStepMedian(),
                        peer.cpuMsPerStepMedian() / ours.cpuMsPerStepMedian()));
    }
}
