package dev.balcon.spark;

import dev.balcon.cli.TrainingOptionsConfigs;
import dev.balcon.sweep.ExperimentFile;
import dev.balcon.sweep.RunRecord;
import dev.balcon.sweep.Sweep;
import dev.balcon.sweep.SweepResults;
import dev.balcon.train.RunDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** A two-cell sweep on local[2] against the same sweep run by the core, then started again. */
class SparkSweepTest {
    @TempDir
    Path dir;

    @Test
    void givesTheResultsOfTheLocalSweepAndSkipsDoneRunsWhenStartedAgain() throws IOException {
        Path data = Files.createDirectories(dir.resolve("data"));
        writeIdx(data, "train", 80, 1);
        writeIdx(data, "t10k", 40, 2);
        Path file = dir.resolve("two.yaml");
        Files.writeString(file, """
                base:
                  data: %s
                  loss: balanced
                  width: 4
                  proj_hidden: 16
                  proj_out: 8
                  epochs: 1
                  batch_size: 16
                  workers: 1
                  warmup_epochs: 0
                  monitor_bounds: false
                grid:
                  alpha: [2, 4]
                seeds: [3]
                evaluate: [knn, linear]
                protocol:
                  knn_k: 5
                  linear_iterations: 10
                """.formatted(data));
        ExperimentFile experiment = ExperimentFile.read(file, new TrainingOptionsConfigs());
        TorchThreads.ensure(1); // as each Spark task of local[2] sets it: the same float arithmetic in both sweeps

        Path local = dir.resolve("local");
        Sweep.Outcome localOutcome = new Sweep(experiment, local, new PrintWriter(new StringWriter())).run();
        assertThat(localOutcome.finished()).isEqualTo(2);

        Path onSpark = dir.resolve("spark");
        StringWriter log = new StringWriter();
        Sweep.Outcome outcome = SparkSweep.run(TestFixtures.spark(), experiment, onSpark, 0, new PrintWriter(log));
        assertThat(outcome).as(log.toString()).isEqualTo(new Sweep.Outcome(2, 0, 2, 0, 0));
        assertThat(log.toString()).contains("2 runs, 2 to do", "[1/2] alpha=2, seed 3: finished in",
                "[2/2] alpha=4, seed 3: finished in", "2 finished, 0 diverged, 0 failed, 0 skipped as done");
        List<String> sparkCsv = withoutTimings(onSpark);
        assertThat(sparkCsv).hasSize(3).isEqualTo(withoutTimings(local));
        // cell, alpha, seed, status, knn_top1, linear_top1, linear_top5, three bias columns (not evaluated), final_loss,
        // then the blanked timing columns and the empty error
        assertThat(sparkCsv.get(1)).matches("alpha=2,2,3,finished,\\d+\\.\\d\\d,\\d+\\.\\d\\d,\\d+\\.\\d\\d,,,,"
                + "\\d+\\.\\d{4},,,");
        assertThat(Files.readString(onSpark.resolve(SweepResults.MARKDOWN)))
                .isEqualTo(Files.readString(local.resolve(SweepResults.MARKDOWN)));
        assertThat(onSpark.resolve(SweepResults.EXPERIMENT_COPY)).hasContent(experiment.text());
        RunRecord record = RunRecord.of(new RunDirectory(onSpark.resolve("alpha=4/seed-3")));
        assertThat(record.done()).containsExactly(RunRecord.PRETRAIN, ExperimentFile.KNN, ExperimentFile.LINEAR);
        assertThat(record.attempts()).isEqualTo(1);

        String csv = Files.readString(onSpark.resolve(SweepResults.CSV));
        StringWriter again = new StringWriter();
        assertThat(SparkSweep.run(TestFixtures.spark(), experiment, onSpark, 0, new PrintWriter(again)))
                .isEqualTo(new Sweep.Outcome(2, 2, 0, 0, 0));
        assertThat(again.toString()).contains("2 runs, 0 to do", "[1/2] alpha=2, seed 3: already finished, skipped");
        assertThat(onSpark.resolve(SweepResults.CSV)).hasContent(csv);
    }

    /** results.csv without its timing columns, the only ones that differ between two sweeps of the same runs. */
    private static List<String> withoutTimings(Path sweep) throws IOException {
        List<String> lines = Files.readAllLines(sweep.resolve(SweepResults.CSV));
        List<String> header = List.of(lines.get(0).split(",", -1));
        int[] columns = {header.indexOf("train_images_per_s"), header.indexOf("wall_seconds")};
        assertThat(columns[0]).isPositive();
        assertThat(columns[1]).isPositive();
        return lines.stream().map(line -> {
            String[] fields = line.split(",", -1);
            for (int column : columns) {
                fields[column] = "";
            }
            return String.join(",", fields);
        }).toList();
    }

    /**
     * {@code count} 16x16 images of the ten Fashion-MNIST classes as the IDX pair PREFIX-images-idx3-ubyte /
     * PREFIX-labels-idx1-ubyte: class c lights block c of a 4x4 grid of 4x4 blocks, under much noise (so that
     * the accuracies tell runs apart).
     */
    private static void writeIdx(Path dir, String prefix, int count, long seed) throws IOException {
        Random random = new Random(seed);
        try (DataOutputStream images = new DataOutputStream(Files.newOutputStream(dir.resolve(prefix + "-images-idx3-ubyte")));
             DataOutputStream labels = new DataOutputStream(Files.newOutputStream(dir.resolve(prefix + "-labels-idx1-ubyte")))) {
            images.writeInt(2051);
            images.writeInt(count);
            images.writeInt(16);
            images.writeInt(16);
            labels.writeInt(2049);
            labels.writeInt(count);
            for (int i = 0; i < count; i++) {
                int label = i % 10;
                labels.writeByte(label);
                for (int y = 0; y < 16; y++) {
                    for (int x = 0; x < 16; x++) {
                        images.writeByte((y / 4 * 4 + x / 4 == label ? 90 : 50) + random.nextInt(120));
                    }
                }
            }
        }
    }
}
