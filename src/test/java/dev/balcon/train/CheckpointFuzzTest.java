package dev.balcon.train;

import ai.djl.ndarray.NDManager;
import dev.balcon.BalconException;
import dev.balcon.model.ContrastiveModel;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
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
 * Mutated checkpoints (truncated, bytes flipped, header fields and sizes overwritten) either load or fail with a
 * one-line BalconException naming the file: never another exception, never an allocation sized by an unchecked
 * header field (which would end in OutOfMemoryError or NegativeArraySizeException).
 */
class CheckpointFuzzTest {
    private static NDManager manager;
    private static ContrastiveModel saved;
    private static ContrastiveModel target;
    private static Path dir;
    private static byte[] current;
    private static byte[] version2;
    private static byte[] savedParameters;

    @BeforeContainer
    static void writeValidCheckpoints() throws IOException {
        manager = NDManager.newBaseManager();
        saved = TestCheckpoints.model(manager, 1);
        target = TestCheckpoints.model(manager, 2);
        savedParameters = TestCheckpoints.parameterBytes(saved);
        dir = Files.createTempDirectory("checkpoint-fuzz");
        Path file = dir.resolve("valid.bin");
        Checkpoint.save(file, new Checkpoint.Progress(3, 42), TestCheckpoints.NORMALIZATION, TestCheckpoints.method(saved));
        current = Files.readAllBytes(file);
        TestCheckpoints.writeVersion2(file, new Checkpoint.Progress(3, 42), TestCheckpoints.NORMALIZATION, saved, TestCheckpoints.method(saved).optimizer());
        version2 = Files.readAllBytes(file);
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

    @Provide
    Arbitrary<List<FileMutations.Mutation>> mutations() {
        return FileMutations.mutations().list().ofMinSize(1).ofMaxSize(3);
    }

    /** A checkpoint with any byte changed is refused before anything is parsed: the checksum covers every byte. */
    @Property(tries = 100)
    void anyChangeToACheckpointIsAOneLineErrorNamingIt(@ForAll("mutations") List<FileMutations.Mutation> mutations) throws IOException {
        byte[] mutated = FileMutations.apply(current, mutations);
        Path file = dir.resolve("mutated.bin");
        Files.write(file, mutated);
        try {
            Checkpoint.loadModel(file, target);
            assertThat(mutated).as("a changed checkpoint loaded").isEqualTo(current);
            assertThat(TestCheckpoints.parameterBytes(target)).isEqualTo(savedParameters);
        } catch (BalconException e) {
            assertThat(Arrays.equals(mutated, current)).as("the unchanged checkpoint failed: " + e.getMessage()).isFalse();
            assertOneLineNaming(e, file);
        }
    }

    /**
     * The parser behind the checksum: changed files whose checksum is made to match again, and version-2 files
     * (no checksum), load or fail with one line; no other exception, no allocation sized by an unchecked field.
     */
    @Property(tries = 100)
    void theParserRefusesMalformedFieldsWithOneLine(@ForAll("mutations") List<FileMutations.Mutation> mutations,
                                                    @ForAll boolean oldFormat) throws IOException {
        byte[] mutated = oldFormat ? FileMutations.apply(version2, mutations) : FileMutations.reseal(FileMutations.apply(current, mutations));
        Path file = dir.resolve("resealed.bin");
        Files.write(file, mutated);
        try {
            Checkpoint.load(file, TestCheckpoints.method(target));
        } catch (BalconException e) {
            assertOneLineNaming(e, file);
        } catch (RuntimeException | Error e) {
            fail("not a BalconException: " + e, e);
        }
    }

    private static void assertOneLineNaming(BalconException e, Path file) {
        assertThat(e.getMessage()).doesNotContain("\n").contains(file.toString());
    }
}
