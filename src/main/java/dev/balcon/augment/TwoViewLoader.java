package dev.balcon.augment;

import dev.balcon.BalconException;
import dev.balcon.data.ImageDataset;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Feeds training with batches of two augmented views, prepared ahead by background threads.
 *
 * <p>Reproducible regardless of threads: the order of an epoch depends only on (seed, epoch), and each
 * view only on (seed, epoch, image index, view), so any number of workers gives the same bytes. Each
 * batch is split across the workers, and up to {@code prefetch} batches are prepared ahead of the one
 * the consumer waits for.
 */
public final class TwoViewLoader implements AutoCloseable {
    private static final AtomicInteger LOADER_COUNT = new AtomicInteger();
    private static final long SHUFFLE_SALT = 0x5DEECE66DL;
    private static final long VIEW_SALT = 0x9E3779B97F4A7C15L;

    private final ImageDataset ds;
    private final AugmentationPipeline pipeline;
    private final int batchSize;
    private final long seed;
    private final int workers;
    private final int prefetch;
    private final int viewLength;
    private final String threadNamePrefix;
    private final ExecutorService executor;
    private final Set<CompletableFuture<TwoViewBatch>> pending = ConcurrentHashMap.newKeySet();
    private final BlockingQueue<TwoViewBatch> recycled;
    private volatile boolean closed;

    public TwoViewLoader(ImageDataset ds, AugmentationPipeline pipeline, int batchSize, long seed, int workers,
            int prefetch) {
        if (batchSize < 1 || batchSize > ds.size()) {
            throw new BalconException("batch size must be in [1, " + ds.size() + "] (the size of dataset " + ds.name()
                    + "), got " + batchSize);
        }
        if (pipeline.channels() != ds.channels()) {
            throw new BalconException("augmentation pipeline is built for " + pipeline.channels()
                    + "-channel images, dataset " + ds.name() + " has " + ds.channels() + " channels");
        }
        this.ds = ds;
        this.pipeline = pipeline;
        this.batchSize = batchSize;
        this.seed = seed;
        this.workers = Params.positive("augmentation workers", workers);
        this.prefetch = Params.positive("prefetch batches", prefetch);
        this.viewLength = pipeline.viewLength();
        this.recycled = new ArrayBlockingQueue<>(prefetch + 2);
        this.threadNamePrefix = "balcon-augment-" + LOADER_COUNT.incrementAndGet() + "-";
        AtomicInteger threadCount = new AtomicInteger();
        this.executor = Executors.newFixedThreadPool(workers, task -> {
            Thread thread = new Thread(task, threadNamePrefix + threadCount.incrementAndGet());
            thread.setDaemon(true); // never keeps the JVM alive if close() is forgotten
            return thread;
        });
    }

    /** Full batches per epoch: {@code size / batchSize}; the last partial batch is dropped. */
    public int batchesPerEpoch() {
        return ds.size() / batchSize;
    }

    /**
     * The batches of {@code epoch} from {@code startBatch} on, in order. Preparation starts now, in the
     * background. {@code startBatch} lets a resumed run skip the batches it has done; they are identical
     * to those of an uninterrupted run.
     */
    public Iterator<TwoViewBatch> epoch(int epoch, int startBatch) {
        if (epoch < 0) {
            throw new BalconException("epoch must be >= 0, got " + epoch);
        }
        if (startBatch < 0 || startBatch > batchesPerEpoch()) {
            throw new BalconException("start batch must be in [0, " + batchesPerEpoch() + "], got " + startBatch);
        }
        ensureOpen();
        return new EpochIterator(permutation(seed, epoch, ds.size()), epoch, startBatch);
    }

    /**
     * Hands a batch's arrays back for reuse by a later batch. Optional (unreturned batches are simply
     * garbage collected); the caller must not touch {@code batch} afterwards.
     */
    public void recycle(TwoViewBatch batch) {
        if (batch.view1().length == batchSize * viewLength && batch.view2().length == batchSize * viewLength) {
            recycled.offer(batch);
        }
    }

    /** Stops the workers; batches not yet returned are abandoned and further use throws. Idempotent. */
    @Override
    public void close() {
        closed = true;
        executor.shutdownNow();
        for (CompletableFuture<TwoViewBatch> batch : pending) {
            batch.cancel(false);
        }
        try {
            executor.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Name prefix of this loader's worker threads. */
    String threadNamePrefix() {
        return threadNamePrefix;
    }

    /** The order of {@code epoch}: a uniform permutation of {@code [0, size)} seeded by (seed, epoch) only. */
    static int[] permutation(long seed, int epoch, int size) {
        SplittableRandom random = new SplittableRandom(mix(mix(seed ^ SHUFFLE_SALT) + epoch));
        int[] order = new int[size];
        for (int i = 0; i < size; i++) {
            order[i] = i;
        }
        for (int i = size - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int swap = order[i];
            order[i] = order[j];
            order[j] = swap;
        }
        return order;
    }

    /** The seed of one view: a hash of (seed, epoch, image index, view) only. */
    static long viewSeed(long seed, int epoch, int index, int view) {
        return mix(mix(mix(mix(seed ^ VIEW_SALT) + epoch) + index) + view);
    }

    /** SplitMix64's finaliser: a bijective 64-bit mix. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("TwoViewLoader is closed");
        }
    }

    private CompletableFuture<TwoViewBatch> prepare(int[] order, int epoch, int batch) {
        int[] indices = Arrays.copyOfRange(order, batch * batchSize, (batch + 1) * batchSize);
        TwoViewBatch reusable = recycled.poll();
        TwoViewBatch target = new TwoViewBatch(
                reusable != null ? reusable.view1() : new float[batchSize * viewLength],
                reusable != null ? reusable.view2() : new float[batchSize * viewLength],
                indices, batchSize, pipeline.channels(), pipeline.outputHeight(), pipeline.outputWidth());
        int chunks = Math.min(workers, batchSize);
        CompletableFuture<?>[] parts = new CompletableFuture<?>[chunks];
        try {
            for (int k = 0; k < chunks; k++) {
                int from = (int) ((long) k * batchSize / chunks);
                int to = (int) ((long) (k + 1) * batchSize / chunks);
                parts[k] = CompletableFuture.runAsync(() -> render(target, epoch, from, to), executor);
            }
        } catch (RejectedExecutionException e) {
            throw new IllegalStateException("TwoViewLoader is closed", e);
        }
        CompletableFuture<TwoViewBatch> result = CompletableFuture.allOf(parts).thenApply(done -> target);
        pending.add(result);
        result.whenComplete((done, failure) -> pending.remove(result));
        return result;
    }

    private void render(TwoViewBatch target, int epoch, int from, int to) {
        int[] indices = target.indices();
        for (int k = from; k < to; k++) {
            int index = indices[k];
            pipeline.render(ds, index, new SplittableRandom(viewSeed(seed, epoch, index, 0)), target.view1(),
                    k * viewLength);
            pipeline.render(ds, index, new SplittableRandom(viewSeed(seed, epoch, index, 1)), target.view2(),
                    k * viewLength);
        }
    }

    private final class EpochIterator implements Iterator<TwoViewBatch> {
        private final int[] order;
        private final int epoch;
        private final ArrayDeque<CompletableFuture<TwoViewBatch>> ahead = new ArrayDeque<>();
        private int nextToPrepare;
        private int nextToReturn;

        EpochIterator(int[] order, int epoch, int startBatch) {
            this.order = order;
            this.epoch = epoch;
            this.nextToPrepare = startBatch;
            this.nextToReturn = startBatch;
            topUp();
        }

        private void topUp() {
            while (ahead.size() < prefetch && nextToPrepare < batchesPerEpoch()) {
                ahead.add(prepare(order, epoch, nextToPrepare++));
            }
        }

        @Override
        public boolean hasNext() {
            return nextToReturn < batchesPerEpoch();
        }

        @Override
        public TwoViewBatch next() {
            if (!hasNext()) {
                throw new NoSuchElementException("epoch " + epoch + " has only " + batchesPerEpoch() + " batches");
            }
            ensureOpen();
            CompletableFuture<TwoViewBatch> batch = ahead.poll();
            nextToReturn++;
            topUp();
            try {
                return batch.join();
            } catch (CancellationException e) {
                throw new IllegalStateException("TwoViewLoader is closed", e);
            } catch (CompletionException e) {
                if (e.getCause() instanceof RuntimeException cause) {
                    throw cause;
                }
                if (e.getCause() instanceof Error cause) {
                    throw cause;
                }
                throw e;
            }
        }
    }
}
