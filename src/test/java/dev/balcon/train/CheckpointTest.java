package dev.balcon.train;

import ai.djl.ndarray.NDManager;
import dev.balcon.BalconException;
import dev.balcon.model.ContrastiveModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static dev.balcon.train.TestCheckpoints.NORMALIZATION;
import static dev.balcon.train.TestCheckpoints.model;
import static dev.balcon.train.TestCheckpoints.method;
import static dev.balcon.train.TestCheckpoints.parameterBytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CheckpointTest {
    private static final Checkpoint.Progress PROGRESS = new Checkpoint.Progress(3, 42);

    @Test
    void roundTripsModelProgressAndNormalisation(@TempDir Path dir) {
        Path file = dir.resolve("checkpoint.bin");
        try (NDManager manager = NDManager.newBaseManager();
             ContrastiveModel saved = model(manager, 1);
             ContrastiveModel loaded = model(manager, 2)) {
            Checkpoint.save(file, PROGRESS, NORMALIZATION, method(saved));
            assertThat(parameterBytes(loaded)).isNotEqualTo(parameterBytes(saved));
            Checkpoint.Restored restored = Checkpoint.load(file, method(loaded));
            assertThat(restored.progress()).isEqualTo(PROGRESS);
            assertThat(restored.normalization().mean()).containsExactly(NORMALIZATION.mean());
            assertThat(restored.normalization().std()).containsExactly(NORMALIZATION.std());
            assertThat(parameterBytes(loaded)).isEqualTo(parameterBytes(saved));
        }
    }

    @Test
    void aModelWithNonFiniteParametersIsNeverWrittenAndThePreviousCheckpointStays(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("checkpoint.bin");
        try (NDManager manager = NDManager.newBaseManager(); ContrastiveModel model = model(manager, 1)) {
            Method method = method(model);
            Checkpoint.save(file, PROGRESS, NORMALIZATION, method);
            byte[] before = Files.readAllBytes(file);

            var weight = model.trainableParameters().get(0).getArray();
            long values = weight.size();
            weight.muli(Float.NaN);
            model.trainableParameters().get(1).getArray().set(new ai.djl.ndarray.index.NDIndex(0),
                    Float.POSITIVE_INFINITY);

            assertThatThrownBy(() -> Checkpoint.save(file, new Checkpoint.Progress(4, 50), NORMALIZATION, method))
                    .isInstanceOf(Checkpoint.NonFiniteParametersException.class)
                    .hasMessageContaining(file.toString())
                    .hasMessageContaining((values + 1) + " model parameter values are NaN or infinite")
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
            assertThat(Files.readAllBytes(file)).isEqualTo(before);
        }
    }

    @Test
    void anOldCheckpointWithNonFiniteParametersIsAnErrorNamingTheFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("run").resolve("checkpoint.bin");
        Files.createDirectories(file.getParent());
        try (NDManager manager = NDManager.newBaseManager();
             ContrastiveModel diverged = model(manager, 1);
             ContrastiveModel target = model(manager, 2)) {
            diverged.trainableParameters().get(2).getArray().muli(Float.NaN);
            TestCheckpoints.writeVersion2(file, PROGRESS, NORMALIZATION, diverged, method(diverged).optimizer());

            assertThatThrownBy(() -> Checkpoint.loadModel(file, target))
                    .isInstanceOf(BalconException.class)
                    .hasMessageContaining(file.toString())
                    .hasMessageContaining("NaN or infinite parameter values")
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
            assertThatThrownBy(() -> Checkpoint.load(file, method(target)))
                    .isInstanceOf(BalconException.class).hasMessageContaining("diverged");
        }
    }

    @Test
    void aVersion2CheckpointWithoutChecksumStillLoads(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("checkpoint.bin");
        try (NDManager manager = NDManager.newBaseManager();
             ContrastiveModel saved = model(manager, 1);
             ContrastiveModel loaded = model(manager, 2)) {
            TestCheckpoints.writeVersion2(file, PROGRESS, NORMALIZATION, saved, method(saved).optimizer());
            Checkpoint.Restored restored = Checkpoint.load(file, method(loaded));
            assertThat(restored.progress()).isEqualTo(PROGRESS);
            assertThat(parameterBytes(loaded)).isEqualTo(parameterBytes(saved));
        }
    }

    @Test
    void aCheckpointWhoseVersionFieldWasDamagedToAnOldVersionIsRefused(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("checkpoint.bin");
        try (NDManager manager = NDManager.newBaseManager();
             ContrastiveModel saved = model(manager, 1);
             ContrastiveModel loaded = model(manager, 2)) {
            Checkpoint.save(file, PROGRESS, NORMALIZATION, method(saved));
            byte[] bytes = Files.readAllBytes(file);
            bytes[11] = 2; // the version int after the 8 magic bytes: 4 -> 2, which has no checksum to check
            Files.write(file, bytes);
            // what follows the optimizer in format 4: the method's name ("simclr" as writeUTF: 8 bytes), the checksum
            assertThatThrownBy(() -> Checkpoint.loadModel(file, loaded))
                    .isInstanceOf(BalconException.class)
                    .hasMessage("checkpoint " + file + " is damaged: 12 bytes follow the end of a format-2 checkpoint"
                            + " (restore it from a copy, or train the run again)");
        }
    }

    @Test
    void fourKilobytesOfRandomBytesInTheMiddleAreAOneLineErrorNamingTheFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("checkpoint.bin");
        try (NDManager manager = NDManager.newBaseManager();
             ContrastiveModel saved = model(manager, 1);
             ContrastiveModel loaded = model(manager, 2)) {
            Checkpoint.save(file, PROGRESS, NORMALIZATION, method(saved));
            long length = Files.size(file);
            assertThat(length).isGreaterThan(3 * 4096);
            byte[] noise = new byte[4096];
            new Random(5).nextBytes(noise);
            try (RandomAccessFile raw = new RandomAccessFile(file.toFile(), "rw")) {
                raw.seek(length / 2 - noise.length / 2);
                raw.write(noise);
            }
            assertThatThrownBy(() -> Checkpoint.loadModel(file, loaded))
                    .isInstanceOf(BalconException.class)
                    .hasMessage("checkpoint " + file + " is damaged: its checksum does not match its contents (restore it"
                            + " from a copy, or train the run again)");
        }
    }

    @Test
    void aCheckpointWithoutItsChecksumIsTruncated(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("checkpoint.bin");
        try (NDManager manager = NDManager.newBaseManager(); ContrastiveModel saved = model(manager, 1)) {
            Checkpoint.save(file, PROGRESS, NORMALIZATION, method(saved));
            byte[] whole = Files.readAllBytes(file);
            Files.write(file, java.util.Arrays.copyOf(whole, whole.length - 4));
            assertThatThrownBy(() -> Checkpoint.loadModel(file, saved))
                    .isInstanceOf(BalconException.class).hasMessageContaining(file.toString())
                    .hasMessageContaining("damaged");
        }
    }
}
