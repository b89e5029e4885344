package dev.balcon.augment;

import dev.balcon.data.ImageDataset;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Iterator;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;

/**
 * Throughput of the augmentation pipeline, printed as images (views) per second: {@code render} on one
 * thread, and whole two-view batches through {@link TwoViewLoader} with 1..N workers. Run with
 * {@code java -cp target/classes:target/test-classes:<deps> dev.balcon.augment.AugmentationBenchmark [seconds]}.
 */
public final class AugmentationBenchmark {
    private AugmentationBenchmark() {
    }

    public static void main(String[] args) {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 2.0;
        int maxWorkers = Runtime.getRuntime().availableProcessors();
        ImageDataset fashion = TestImages.randomDataset(10_000, 1, 28, 28, 10, 1);
        ImageDataset cifar = TestImages.randomDataset(10_000, 3, 32, 32, 10, 2);
        ImageDataset stl = TestImages.randomDataset(1_000, 3, 96, 96, 10, 3);
        System.out.printf("single thread render, %.1f s each          views/wall-s  views/cpu-s%n", seconds);
        singleThread("28x28x1 simclr", fashion, "simclr", 28, seconds);
        singleThread("32x32x3 simclr", cifar, "simclr", 32, seconds);
        singleThread("32x32x3 simclr+rotation", cifar, "simclr+rotation", 32, seconds);
        singleThread("32x32x3 simclr+cutout", cifar, "simclr+cutout", 32, seconds);
        singleThread("32x32x3 none", cifar, "none", 32, seconds);
        singleThread("96x96x3 -> 64x64 simclr", stl, "simclr", 64, seconds);
        singleThreadToTensor("32x32x3 Normalization.toTensor", cifar, seconds);
        System.out.printf("TwoViewLoader, batch 256, prefetch 4 (images/s; each image = 2 views)%n");
        for (int workers = 1; workers <= maxWorkers; workers++) {
            loader("28x28x1 simclr", fashion, 28, workers, seconds);
            loader("32x32x3 simclr", cifar, 32, workers, seconds);
        }
    }

    private static void singleThread(String label, ImageDataset ds, String recipe, int side, double seconds) {
        AugmentationPipeline pipeline = AugmentationRecipe.named(recipe).build(ds.channels(), side, side,
                Normalization.of(ds));
        float[] out = new float[pipeline.viewLength()];
        SplittableRandom random = new SplittableRandom(1);
        runFor(seconds / 2, n -> pipeline.render(ds, n % ds.size(), random, out, 0)); // warm-up
        report(label, seconds, n -> pipeline.render(ds, n % ds.size(), random, out, 0));
    }

    private static void singleThreadToTensor(String label, ImageDataset ds, double seconds) {
        Normalization normalization = Normalization.of(ds);
        float[] out = new float[ds.imageSize()];
        runFor(seconds / 2, n -> normalization.toTensor(ds, n % ds.size(), out, 0));
        report(label, seconds, n -> normalization.toTensor(ds, n % ds.size(), out, 0));
    }

    /** Prints views per wall-clock second and per second of this thread's CPU time (robust to a busy machine). */
    private static void report(String label, double seconds, IntConsumer work) {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long cpuStart = threads.getCurrentThreadCpuTime();
        long wallStart = System.nanoTime();
        long count = runFor(seconds, work);
        double wall = (System.nanoTime() - wallStart) / 1e9;
        double cpu = (threads.getCurrentThreadCpuTime() - cpuStart) / 1e9;
        System.out.printf("  %-32s %,12.0f %,12.0f%n", label, count / wall, count / cpu);
    }

    private static void loader(String label, ImageDataset ds, int side, int workers, double seconds) {
        AugmentationPipeline pipeline = AugmentationRecipe.named("simclr").build(ds.channels(), side, side,
                Normalization.of(ds));
        try (TwoViewLoader loader = new TwoViewLoader(ds, pipeline, 256, 1, workers, 4)) {
            long images = 0;
            long start = System.nanoTime();
            long warmUpEnd = start + (long) (seconds / 2 * 1e9);
            long end = warmUpEnd + (long) (seconds * 1e9);
            long measuredStart = -1;
            for (int epoch = 0; System.nanoTime() < end; epoch++) {
                for (Iterator<TwoViewBatch> batches = loader.epoch(epoch, 0); batches.hasNext();) {
                    TwoViewBatch batch = batches.next();
                    loader.recycle(batch);
                    long now = System.nanoTime();
                    if (now >= warmUpEnd) {
                        if (measuredStart < 0) {
                            measuredStart = now;
                        } else {
                            images += batch.batchSize();
                        }
                    }
                    if (now >= end) {
                        break;
                    }
                }
            }
            double elapsed = (System.nanoTime() - measuredStart) / 1e9;
            System.out.printf("  %-20s workers=%d %,12.0f%n", label, workers, images / elapsed);
        }
    }

    private static long runFor(double seconds, IntConsumer work) {
        long end = System.nanoTime() + (long) (seconds * 1e9);
        int n = 0;
        while (true) {
            for (int k = 0; k < 256; k++) {
                work.accept(n++);
            }
            if (System.nanoTime() >= end) {
                return n;
            }
        }
    }
}
