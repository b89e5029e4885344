package dev.balcon.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.balcon.BalconException;
import dev.balcon.train.FileMutations;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Mutated feature caches (truncated, bytes flipped, header fields and sizes overwritten) either give the right
 * features (cached, or recomputed for an entry of another source, dataset or version) or fail with a one-line
 * BalconException naming the file: never another exception, never an allocation sized by an unchecked field.
 */
class FeatureCacheFuzzTest {
    private static final float[] FEATURES = {1.5f, -2f, 0f, 3.25f, Float.MIN_VALUE, -0f};
    private static NDManager manager;
    private static Path dir;
    private static FeatureCache cache;
    private static byte[] valid;

    @BeforeContainer
    static void writeAValidEntry() throws IOException {
        manager = NDManager.newBaseManager();
        dir = Files.createTempDirectory("feature-cache-fuzz");
        Files.write(dir.resolve("checkpoint.bin"), new byte[] {1});
        cache = new FeatureCache(dir, dir.resolve("checkpoint.bin"));
        cache.getOrCompute("train", "toy", 3, manager, FeatureCacheFuzzTest::compute);
        valid = Files.readAllBytes(cache.file("train"));
    }

    @AfterContainer
    static void cleanUp() throws IOException {
        manager.close();
        try (var files = Files.walk(dir)) {
            for (Path path : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }

    private static NDArray compute() {
        return manager.create(FEATURES, new Shape(3, 2));
    }

    @Provide
    Arbitrary<List<FileMutations.Mutation>> mutations() {
        return FileMutations.mutations().list().ofMinSize(1).ofMaxSize(3);
    }

    @Property(tries = 100)
    void aMutatedEntryGivesTheRightFeaturesOrOneLineNamingIt(
            @ForAll("mutations") List<FileMutations.Mutation> mutations,
            @ForAll boolean resealed) throws IOException {
        byte[] mutated = FileMutations.apply(valid, mutations);
        if (resealed) {
            mutated = FileMutations.reseal(mutated);
        }
        Files.write(cache.file("train"), mutated);
        try (NDManager scope = manager.newSubManager()) {
            NDArray features = cache.getOrCompute("train", "toy", 3, scope, FeatureCacheFuzzTest::compute);
            assertThat(features.getShape()).isEqualTo(new Shape(3, 2));
            if (!resealed) {
                // Any change that is not a miss (another version, source or dataset: recomputed) is detected.
                assertThat(features.toFloatArray()).containsExactly(FEATURES);
            }
        } catch (BalconException e) {
            assertThat(Arrays.equals(mutated, valid)).as("the valid entry failed: " + e.getMessage()).isFalse();
            assertThat(e.getMessage()).doesNotContain("\n").contains(cache.file("train").toString());
        } catch (RuntimeException | Error e) {
            fail("not a BalconException: " + e, e);
        }
    }
}
