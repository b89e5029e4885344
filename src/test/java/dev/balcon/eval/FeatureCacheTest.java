package dev.balcon.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.balcon.BalconException;
import dev.balcon.model.Precision;
import dev.balcon.train.RunDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FeatureCacheTest {
    private static final float[] FEATURES = {1.5f, -2f, 0f, 3.25f, Float.MIN_VALUE, -0f};

    /** A cache in {@code dir} keyed to a one-byte checkpoint file there. */
    private static FeatureCache cacheOfOneByteCheckpoint(Path dir) throws IOException {
        Path checkpoint = dir.resolve("checkpoint.bin");
        Files.write(checkpoint, new byte[] {1});
        return new FeatureCache(dir, checkpoint);
    }

    private static Supplier<NDArray> counting(AtomicInteger computations, NDManager manager) {
        return () -> {
            computations.incrementAndGet();
            return manager.create(FEATURES, new Shape(3, 2));
        };
    }

    @Test
    void reusesFeaturesUntilTheSourceIsReplaced(@TempDir Path dir) throws IOException {
        Path checkpoint = dir.resolve("checkpoint.bin");
        RunDirectory.writeAtomically(checkpoint, new byte[] {1, 2, 3});
        FeatureCache cache = new FeatureCache(dir, checkpoint);
        AtomicInteger computations = new AtomicInteger();
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray first = cache.getOrCompute("train", "toy", 3, manager, counting(computations, manager));
            assertThat(computations.get()).isEqualTo(1);
            assertThat(cache.file("train")).isEqualTo(dir.resolve("features-train.bin")).isRegularFile();
            var writtenAt = Files.getLastModifiedTime(cache.file("train"));

            NDArray second = cache.getOrCompute("train", "toy", 3, manager, counting(computations, manager));
            assertThat(computations.get()).isEqualTo(1);
            assertThat(second.getShape()).isEqualTo(new Shape(3, 2));
            assertThat(second.toFloatArray()).containsExactly(first.toFloatArray());
            assertThat(Files.getLastModifiedTime(cache.file("train"))).isEqualTo(writtenAt);

            // A new checkpoint of the same size (as every checkpoint of one model is) still invalidates.
            RunDirectory.writeAtomically(checkpoint, new byte[] {4, 5, 6});
            cache.getOrCompute("train", "toy", 3, manager, counting(computations, manager));
            assertThat(computations.get()).isEqualTo(2);
            cache.getOrCompute("train", "toy", 3, manager, counting(computations, manager));
            assertThat(computations.get()).isEqualTo(2);
        }
    }

    @Test
    void splitsAndDatasetsAreKeptApart(@TempDir Path dir) throws IOException {
        FeatureCache cache = cacheOfOneByteCheckpoint(dir);
        AtomicInteger computations = new AtomicInteger();
        try (NDManager manager = NDManager.newBaseManager()) {
            cache.getOrCompute("train", "toy", 3, manager, counting(computations, manager));
            cache.getOrCompute("test", "toy", 3, manager, counting(computations, manager));
            assertThat(computations.get()).isEqualTo(2);
            // Same split name, another dataset: a miss, which then replaces the entry.
            cache.getOrCompute("train", "other", 3, manager, counting(computations, manager));
            assertThat(computations.get()).isEqualTo(3);
            cache.getOrCompute("test", "toy", 3, manager, counting(computations, manager));
            assertThat(computations.get()).isEqualTo(3);
        }
    }

    @Test
    void precisionIsPartOfTheKeySoFp32FeaturesAreNeverServedToABf16RequestNorTheReverse(@TempDir Path dir)
            throws IOException {
        FeatureCache cache = cacheOfOneByteCheckpoint(dir);
        float[] bf16Features = {1.5f, -2f, 0f, 3.25f, 1f, 1f};
        AtomicInteger computations = new AtomicInteger();
        try (NDManager manager = NDManager.newBaseManager()) {
            Supplier<NDArray> computeFp32 = counting(computations, manager);
            Supplier<NDArray> computeBf16 = () -> {
                computations.incrementAndGet();
                return manager.create(bf16Features, new Shape(3, 2));
            };
            cache.getOrCompute("train", "toy", 3, Precision.FP32, manager, computeFp32);
            assertThat(computations.get()).isEqualTo(1);
            // the same split, dataset and checkpoint in bf16: a miss, not the fp32 entry
            NDArray bf16 = cache.getOrCompute("train", "toy", 3, Precision.BF16, manager, computeBf16);
            assertThat(computations.get()).isEqualTo(2);
            assertThat(bf16.toFloatArray()).containsExactly(bf16Features);
            // now cached as bf16: served to bf16 ...
            NDArray again = cache.getOrCompute("train", "toy", 3, Precision.BF16, manager, computeBf16);
            assertThat(computations.get()).isEqualTo(2);
            assertThat(again.toFloatArray()).containsExactly(bf16Features);
            // ... and not to fp32 (the method without a precision asks for fp32)
            NDArray fp32Again = cache.getOrCompute("train", "toy", 3, manager, computeFp32);
            assertThat(computations.get()).isEqualTo(3);
            assertThat(fp32Again.toFloatArray()).containsExactly(FEATURES);
            cache.getOrCompute("train", "toy", 3, Precision.FP32, manager, computeFp32);
            assertThat(computations.get()).isEqualTo(3);
        }
    }

    @Test
    void anEntryOfVersion2WrittenBeforePrecisionsWereRecordedHoldsFp32Features(@TempDir Path dir) throws IOException {
        FeatureCache cache = cacheOfOneByteCheckpoint(dir);
        AtomicInteger computations = new AtomicInteger();
        try (NDManager manager = NDManager.newBaseManager()) {
            cache.getOrCompute("train", "toy", 3, Precision.FP32, manager, counting(computations, manager));
            Files.write(cache.file("train"), asVersion2(Files.readAllBytes(cache.file("train"))));

            NDArray cached = cache.getOrCompute("train", "toy", 3, Precision.FP32, manager,
                    counting(computations, manager));
            assertThat(computations.get()).isEqualTo(1);
            assertThat(cached.toFloatArray()).containsExactly(FEATURES);
            cache.getOrCompute("train", "toy", 3, Precision.BF16, manager, counting(computations, manager));
            assertThat(computations.get()).isEqualTo(2);
        }
    }

    /**
     * A version-3 entry of fp32 features rewritten as version 2 wrote it: magic, version, source stamp, dataset
     * name and size, then (no precision) the columns and the features, sealed with a new checksum.
     */
    private static byte[] asVersion2(byte[] version3) {
        java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(version3);
        int afterStamp = 8 + 4 + 2 + Short.toUnsignedInt(in.getShort(12));
        int afterName = afterStamp + 2 + Short.toUnsignedInt(in.getShort(afterStamp));
        int precisionAt = afterName + 4;
        int precisionLength = 2 + Short.toUnsignedInt(in.getShort(precisionAt));
        assertThat(new String(version3, precisionAt + 2, precisionLength - 2, java.nio.charset.StandardCharsets.UTF_8))
                .isEqualTo("fp32");
        byte[] version2 = new byte[version3.length - precisionLength];
        System.arraycopy(version3, 0, version2, 0, precisionAt);
        System.arraycopy(version3, precisionAt + precisionLength, version2, precisionAt,
                version3.length - precisionAt - precisionLength);
        java.nio.ByteBuffer.wrap(version2).putInt(8, 2);
        return dev.balcon.train.FileMutations.reseal(version2);
    }

    @Test
    void aDamagedEntryIsAOneLineErrorNamingTheFile(@TempDir Path dir) throws IOException {
        FeatureCache cache = cacheOfOneByteCheckpoint(dir);
        AtomicInteger computations = new AtomicInteger();
        try (NDManager manager = NDManager.newBaseManager()) {
            cache.getOrCompute("train", "toy", 3, manager, counting(computations, manager));
            byte[] whole = Files.readAllBytes(cache.file("train"));

            byte[] flipped = whole.clone();
            flipped[whole.length - 4 - 3 * Float.BYTES] ^= 0x40; // a feature value, not the header
            Files.write(cache.file("train"), flipped);
            assertThatThrownBy(() -> cache.getOrCompute("train", "toy", 3, manager, counting(computations, manager)))
                    .isInstanceOf(BalconException.class)
                    .hasMessage("feature cache " + cache.file("train") + " is damaged: its checksum does not match its"
                            + " contents; delete it to recompute the features");

            Files.write(cache.file("train"), Arrays.copyOf(whole, whole.length - 5));
            assertThatThrownBy(() -> cache.getOrCompute("train", "toy", 3, manager, counting(computations, manager)))
                    .isInstanceOf(BalconException.class).hasMessageContaining(cache.file("train").toString())
                    .hasMessageContaining("damaged");
            assertThat(computations.get()).isEqualTo(1);

            Files.delete(cache.file("train"));
            NDArray recomputed = cache.getOrCompute("train", "toy", 3, manager, counting(computations, manager));
            assertThat(recomputed.toFloatArray()).containsExactly(FEATURES);
            assertThat(Files.readAllBytes(cache.file("train"))).isEqualTo(whole);
        }
    }

    @Test
    void nonFiniteFeaturesAreRefusedWithTheCountOfBadRowsAndNeverCached(@TempDir Path dir) throws IOException {
        FeatureCache cache = cacheOfOneByteCheckpoint(dir);
        float[] diverged = {1, 2, Float.NaN, 0, 3, Float.NEGATIVE_INFINITY, 5, 6};
        try (NDManager manager = NDManager.newBaseManager()) {
            assertThatThrownBy(() -> cache.getOrCompute("test", "toy", 4, manager,
                    () -> manager.create(diverged, new Shape(4, 2))))
                    .isInstanceOf(BalconException.class)
                    .hasMessage("the test features of " + dir.resolve("checkpoint.bin") + ": 2 of 4 rows hold NaN or infinite values, as a"
                            + " diverged model's do; refusing to score them");
            assertThat(cache.file("test")).doesNotExist();
        }
    }

    @Test
    void aCachedEntryHoldingNaNWithAValidChecksumIsRefusedNamingTheCacheFile(@TempDir Path dir) throws IOException {
        FeatureCache cache = cacheOfOneByteCheckpoint(dir);
        try (NDManager manager = NDManager.newBaseManager()) {
            cache.getOrCompute("train", "toy", 3, manager, counting(new AtomicInteger(), manager));
            // the first feature, 1.5f, is stored little-endian in the data that ends 4 bytes per value before the
            // 4-byte checksum: overwrite it with NaN and seal the file again, as a bit flip before the write would
            byte[] bytes = Files.readAllBytes(cache.file("train"));
            int first = bytes.length - 4 - FEATURES.length * 4;
            java.nio.ByteBuffer.wrap(bytes, first, 4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putFloat(Float.NaN);
            Files.write(cache.file("train"), dev.balcon.train.FileMutations.reseal(bytes));
            assertThatThrownBy(() -> cache.getOrCompute("train", "toy", 3, manager, counting(new AtomicInteger(), manager)))
                    .isInstanceOf(BalconException.class)
                    .hasMessage("the train features of " + dir.resolve("checkpoint.bin") + " cached in " + cache.file("train") + ": 1 of 3 "
                            + "rows hold NaN or infinite values, as a diverged model's do; refusing to score them");
        }
    }

    @Test
    void withoutASourceFileNothingIsCached(@TempDir Path dir) {
        FeatureCache cache = new FeatureCache(dir, dir.resolve("checkpoint.bin"));
        AtomicInteger computations = new AtomicInteger();
        try (NDManager manager = NDManager.newBaseManager()) {
            cache.getOrCompute("train", "toy", 3, manager, counting(computations, manager));
            cache.getOrCompute("train", "toy", 3, manager, counting(computations, manager));
            assertThat(computations.get()).isEqualTo(2);
            assertThat(cache.file("train")).doesNotExist();
        }
    }
}
