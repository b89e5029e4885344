package dev.balcon.augment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.balcon.BalconException;
import dev.balcon.data.ImageDataset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TwoViewLoaderTest {
    private static final ImageDataset DS = TestImages.randomDataset(50, 3, 12, 12, 5, 1);
    private static final AugmentationPipeline PIPELINE = AugmentationRecipe.named("simclr").build(3, 10, 10,
            Normalization.of(DS));

    private static List<TwoViewBatch> collect(Iterator<TwoViewBatch> batches) {
        List<TwoViewBatch> all = new ArrayList<>();
        batches.forEachRemaining(all::add);
        return all;
    }

    @Test
    void batchesHaveTheRightShapeAndCoverEveryIndexAtMostOncePerEpoch() {
        try (TwoViewLoader loader = new TwoViewLoader(DS, PIPELINE, 8, 7, 2, 2)) {
            assertThat(loader.batchesPerEpoch()).isEqualTo(6);
            List<TwoViewBatch> batches = collect(loader.epoch(0, 0));
            assertThat(batches).hasSize(6);
            Set<Integer> seen = new HashSet<>();
            for (TwoViewBatch batch : batches) {
                assertThat(batch.batchSize()).isEqualTo(8);
                assertThat(batch.channels()).isEqualTo(3);
                assertThat(batch.height()).isEqualTo(10);
                assertThat(batch.width()).isEqualTo(10);
                assertThat(batch.view1()).hasSize(8 * 300);
                assertThat(batch.view2()).hasSize(8 * 300);
                assertThat(batch.view1()).isNotEqualTo(batch.view2());
                for (int index : batch.indices()) {
                    assertThat(seen.add(index)).isTrue();
                }
            }
            assertThat(seen).hasSize(48); // 2 images dropped with the partial batch
        }
    }

    @Test
    void everyIndexExactlyOnceWhenTheBatchDividesTheDataset() {
        try (TwoViewLoader loader = new TwoViewLoader(DS, PIPELINE, 10, 7, 1, 1)) {
            int[] counts = new int[50];
            for (TwoViewBatch batch : collect(loader.epoch(3, 0))) {
                for (int index : batch.indices()) {
                    counts[index]++;
                }
            }
            assertThat(counts).containsOnly(1);
        }
    }

    @Test
    void shuffleDependsOnTheEpochAndTheSeed() {
        assertThat(TwoViewLoader.permutation(1, 0, 50)).isNotEqualTo(TwoViewLoader.permutation(1, 1, 50));
        assertThat(TwoViewLoader.permutation(1, 0, 50)).isNotEqualTo(TwoViewLoader.permutation(2, 0, 50));
        assertThat(TwoViewLoader.permutation(1, 4, 50)).isEqualTo(TwoViewLoader.permutation(1, 4, 50));
        int[] sorted = TwoViewLoader.permutation(1, 4, 50);
        Arrays.sort(sorted);
        for (int i = 0; i < 50; i++) {
            assertThat(sorted[i]).isEqualTo(i);
        }
    }

    @Test
    void resultsDoNotDependOnTheNumberOfWorkersButOnTheSeed() {
        List<TwoViewBatch> one;
        List<TwoViewBatch> three;
        List<TwoViewBatch> otherSeed;
        try (TwoViewLoader loader = new TwoViewLoader(DS, PIPELINE, 8, 11, 1, 1)) {
            one = collect(loader.epoch(2, 0));
        }
        try (TwoViewLoader loader = new TwoViewLoader(DS, PIPELINE, 8, 11, 3, 4)) {
            three = collect(loader.epoch(2, 0));
        }
        try (TwoViewLoader loader = new TwoViewLoader(DS, PIPELINE, 8, 12, 3, 4)) {
            otherSeed = collect(loader.epoch(2, 0));
        }
        for (int b = 0; b < one.size(); b++) {
            assertThat(three.get(b).indices()).containsExactly(one.get(b).indices());
            assertThat(three.get(b).view1()).containsExactly(one.get(b).view1());
            assertThat(three.get(b).view2()).containsExactly(one.get(b).view2());
            assertThat(otherSeed.get(b).view1()).isNotEqualTo(one.get(b).view1());
        }
    }

    @Test
    void startBatchSkipsTheBatchesAlreadyDone() {
        try (TwoViewLoader loader = new TwoViewLoader(DS, PIPELINE, 8, 5, 2, 3)) {
            List<TwoViewBatch> full = collect(loader.epoch(1, 0));
            List<TwoViewBatch> resumed = collect(loader.epoch(1, 4));
            assertThat(resumed).hasSize(2);
            for (int b = 0; b < 2; b++) {
                assertThat(resumed.get(b).indices()).containsExactly(full.get(4 + b).indices());
                assertThat(resumed.get(b).view1()).containsExactly(full.get(4 + b).view1());
            }
            assertThat(loader.epoch(1, 6).hasNext()).isFalse();
            assertThatThrownBy(() -> loader.epoch(1, 7)).isInstanceOf(BalconException.class)
                    .hasMessageContaining("start batch");
        }
    }

    @Test
    void recycledArraysAreReusedWithFreshContent() {
        try (TwoViewLoader reference = new TwoViewLoader(DS, PIPELINE, 8, 5, 1, 1);
                TwoViewLoader loader = new TwoViewLoader(DS, PIPELINE, 8, 5, 1, 1)) {
            List<TwoViewBatch> expected = collect(reference.epoch(0, 0));
            Iterator<TwoViewBatch> batches = loader.epoch(0, 0);
            Set<float[]> arrays = Collections.newSetFromMap(new IdentityHashMap<>());
            for (int b = 0; batches.hasNext(); b++) {
                TwoViewBatch batch = batches.next();
                assertThat(batch.view1()).containsExactly(expected.get(b).view1());
                assertThat(batch.view2()).containsExactly(expected.get(b).view2());
                arrays.add(batch.view1());
                loader.recycle(batch);
            }
            assertThat(arrays.size()).isLessThan(6);
        }
    }

    @Test
    void closeStopsTheWorkerThreads() throws InterruptedException {
        TwoViewLoader loader = new TwoViewLoader(DS, PIPELINE, 4, 5, 3, 2);
        Iterator<TwoViewBatch> batches = loader.epoch(0, 0);
        batches.next();
        String prefix = loader.threadNamePrefix();
        List<Thread> workers = workerThreads(prefix);
        assertThat(workers).isNotEmpty();
        loader.close();
        // The pool has terminated when close returns; a worker thread may still be unwinding for a moment on a
        // loaded machine, so wait for it (bounded) rather than sample isAlive once.
        for (Thread worker : workers) {
            worker.join(10_000);
        }
        assertThat(workerThreads(prefix)).isEmpty();
        assertThatThrownBy(batches::next).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThatThrownBy(() -> loader.epoch(1, 0)).isInstanceOf(IllegalStateException.class);
    }

    private static List<Thread> workerThreads(String prefix) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> thread.getName().startsWith(prefix) && thread.isAlive()).toList();
    }

    @Test
    void failuresInWorkersReachTheConsumer() {
        Augmentation failing = (image, random) -> {
            throw new BalconException("broken augmentation");
        };
        AugmentationPipeline broken = new AugmentationPipeline(3, 12, 12, List.of(failing), Normalization.identity(3),
                List.of());
        try (TwoViewLoader loader = new TwoViewLoader(DS, broken, 8, 5, 2, 2)) {
            assertThatThrownBy(() -> loader.epoch(0, 0).next()).isInstanceOf(BalconException.class)
                    .hasMessage("broken augmentation");
        }
    }

    @Test
    void badArgumentsAreRejected() {
        assertThatThrownBy(() -> new TwoViewLoader(DS, PIPELINE, 51, 1, 1, 1)).isInstanceOf(BalconException.class)
                .hasMessageContaining("batch size");
        assertThatThrownBy(() -> new TwoViewLoader(DS, PIPELINE, 8, 1, 0, 1)).isInstanceOf(BalconException.class)
                .hasMessageContaining("workers");
        assertThatThrownBy(() -> new TwoViewLoader(DS, PIPELINE, 8, 1, 1, 0)).isInstanceOf(BalconException.class)
                .hasMessageContaining("prefetch");
        AugmentationPipeline gray = AugmentationRecipe.named("simclr").build(1, 10, 10, Normalization.identity(1));
        assertThatThrownBy(() -> new TwoViewLoader(DS, gray, 8, 1, 1, 1)).isInstanceOf(BalconException.class)
                .hasMessageContaining("channels");
    }
}
