package dev.balcon.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.balcon.sweep.RunRecord;
import dev.balcon.sweep.Tune;
import dev.balcon.train.PretrainConfig;
import dev.balcon.train.RunDirectory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;

import static dev.balcon.cli.LinearCommandTest.balcon;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A tiny tune end to end on 16x16 synthetic IDX images: three cells (alpha 1, 2, 4), eta 2, epochs 2, so the rungs
 * are 1 epoch (3 cells, keep 2) and 2 epochs (2 cells, keep 1), then the chosen cell is confirmed on the test split.
 * The tests run in order on the same tune directory.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TuneCommandTest {
    @TempDir
    static Path dir;
    static Path experiment;
    static Path out;
    static LinearCommandTest.Outcome first;

    @BeforeAll
    static void tuneOnce() throws IOException {
        Path data = Files.createDirectories(dir.resolve("data"));
        LinearCommandTest.writeIdx(data, "train", SweepCommandTest.blocks(80, 1));
        LinearCommandTest.writeIdx(data, "t10k", SweepCommandTest.blocks(40, 2));
        experiment = dir.resolve("tiny-tune.yaml");
        Files.writeString(experiment, experimentText("", "2"));
        out = dir.resolve("tune");
        first = balcon("tune", experiment.toString(), "--out", out.toString());
    }

    static String experimentText(String extraCellSetting, String epochs) {
        return """
                base:
                  data: %s
                  loss: balanced
                  lambda: 1
                  width: 4
                  proj_hidden: 16
                  proj_out: 8
                  epochs: %s
                  batch_size: 16
                  workers: 1
                  warmup_epochs: 0
                  monitor_bounds: false
                grid:
                  alpha: [1, 2, 4]
                %s
                seeds: [0]
                evaluate: [knn]
                protocol:
                  knn_k: 5
                search:
                  eta: 2
                  min_epochs: 1
                  validation_fraction: 0.25
                """.formatted(dir.resolve("data"), epochs, extraCellSetting);
    }

    @Test
    @Order(1)
    void halvesTheCellsRungByRungAndChoosesTheBestOfTheLast() throws IOException {
        assertThat(first.status()).as(first.out() + first.err()).isZero();
        Tune.Result result = RunDirectory.JSON.readValue(out.resolve(Tune.HISTORY).toFile(), Tune.Result.class);
        assertThat(result.rungs()).hasSize(2);
        Tune.Rung firstRung = result.rungs().get(0);
        assertThat(firstRung.epochs()).isEqualTo(1);
        assertThat(firstRung.scores()).extracting(Tune.CellScore::cell)
                .containsExactlyInAnyOrder("alpha=1", "alpha=2", "alpha=4");
        List<Double> means = firstRung.scores().stream().map(Tune.CellScore::mean).toList();
        List<Double> sorted = new ArrayList<>(means);
        sorted.sort((a, b) -> Double.compare(b, a));
        assertThat(means).isEqualTo(sorted);
        // ceil(3 / 2) = 2 go on: the two best of the first rung
        assertThat(firstRung.kept()).containsExactly(firstRung.scores().get(0).cell(), firstRung.scores().get(1).cell());
        Tune.Rung second = result.rungs().get(1);
        assertThat(second.epochs()).isEqualTo(2);
        assertThat(second.scores()).extracting(Tune.CellScore::cell).containsExactlyInAnyOrderElementsOf(firstRung.kept());
        assertThat(second.kept()).containsExactly(second.scores().get(0).cell());
        assertThat(result.chosen()).isEqualTo(second.kept().get(0));
        // 3 cells x 1 epoch, then 2 cells x 1 more; the grid: 3 cells x 2 epochs
        assertThat(result.trainedEpochs()).isEqualTo(5);
        assertThat(result.gridEpochs()).isEqualTo(6);
        assertThat(first.out()).contains("rung 1/2: 3 cells x 1 epochs").contains("rung 2/2: 2 cells x 2 epochs")
                .contains("chose " + result.chosen());
    }

    @Test
    @Order(2)
    void selectsOnHeldOutTrainingImagesAndExtendsOnlyTheSurvivors() throws IOException {
        Tune.Result result = RunDirectory.JSON.readValue(out.resolve(Tune.HISTORY).toFile(), Tune.Result.class);
        String eliminated = result.rungs().get(0).scores().get(2).cell();
        String survivor = result.rungs().get(0).kept().get(1);
        RunDirectory eliminatedRun = new RunDirectory(out.resolve(Tune.RUNS).resolve(eliminated).resolve("seed-0"));
        RunDirectory survivorRun = new RunDirectory(out.resolve(Tune.RUNS).resolve(survivor).resolve("seed-0"));
        assertThat(eliminatedRun.readConfig().epochs()).isEqualTo(1);
        PretrainConfig extended = survivorRun.readConfig();
        assertThat(extended.epochs()).isEqualTo(2);
        assertThat(extended.data().selection().validationFraction()).isEqualTo(0.25);
        assertThat(Files.readString(survivorRun.metrics())).contains("\"extended\"");
        // an extension is the run's new goal, not a second attempt at its old one
        assertThat(RunRecord.of(survivorRun).attempts()).isEqualTo(1);
        // 80 training images, 8 per class: 2 per class held out; k-NN banks on the 60 left and queries the 20
        JsonNode results = survivorRun.readResults();
        assertThat(results.path("data").path("train_images").asInt()).isEqualTo(60);
        assertThat(results.path("knn").path("queries").asInt()).isEqualTo(20);
        assertThat(results.path("knn").path("memory").asInt()).isEqualTo(60);
        // the scores in the history are the runs' own k-NN results
        double recorded = result.rungs().get(1).scores().stream().filter(s -> s.cell().equals(survivor))
                .findFirst().orElseThrow().top1().get(0);
        assertThat(recorded).isEqualTo(results.path("knn").path("top1").asDouble());
    }

    @Test
    @Order(3)
    void confirmsTheChosenCellOnTheTestSplitWithNothingHeldOut() throws IOException {
        Tune.Result result = RunDirectory.JSON.readValue(out.resolve(Tune.HISTORY).toFile(), Tune.Result.class);
        RunDirectory confirmed = new RunDirectory(out.resolve(Tune.CONFIRM).resolve(result.chosen()).resolve("seed-0"));
        assertThat(confirmed.readConfig().data().selection().validationFraction()).isZero();
        assertThat(confirmed.readConfig().epochs()).isEqualTo(2);
        JsonNode knn = confirmed.readResults().path("knn");
        assertThat(knn.path("queries").asInt()).isEqualTo(40);
        assertThat(knn.path("memory").asInt()).isEqualTo(80);
        assertThat(result.confirmation().knnTop1()).containsExactly(knn.path("top1").asDouble());
        assertThat(Files.list(out.resolve(Tune.CONFIRM)).filter(Files::isDirectory).toList()).hasSize(1);
        assertThat(Files.readString(out.resolve(Tune.MARKDOWN))).contains("## Rung 2: 2 cells, 2 epochs")
                .contains("Chosen: **" + result.chosen() + "**").contains("On the test split")
                .contains("83% of the whole grid's 6");
    }

    @Test
    @Order(4)
    void startedAgainItTrainsNothingAndChoosesTheSame() throws IOException {
        Tune.Result before = RunDirectory.JSON.readValue(out.resolve(Tune.HISTORY).toFile(), Tune.Result.class);
        Path checkpoint = out.resolve(Tune.RUNS).resolve(before.chosen()).resolve("seed-0").resolve("checkpoint.bin");
        FileTime written = Files.getLastModifiedTime(checkpoint);
        LinearCommandTest.Outcome again = balcon("tune", experiment.toString(), "--out", out.toString());
        assertThat(again.status()).as(again.err()).isZero();
        assertThat(again.out()).contains("2 rung(s) already done").doesNotContain("pretraining");
        assertThat(Files.getLastModifiedTime(checkpoint)).isEqualTo(written);
        Tune.Result after = RunDirectory.JSON.readValue(out.resolve(Tune.HISTORY).toFile(), Tune.Result.class);
        assertThat(after.chosen()).isEqualTo(before.chosen());
        assertThat(after.rungs()).isEqualTo(before.rungs());
    }

    @Test
    @Order(5)
    void dryRunListsTheRungsAndTheirCost() {
        LinearCommandTest.Outcome plan = balcon("tune", experiment.toString(), "--dry-run", "--no-progress");
        assertThat(plan.status()).as(plan.err()).isZero();
        assertThat(plan.out()).contains("rung 1: 3 cells x 1 epochs, keep 2").contains("rung 2: 2 cells x 2 epochs, keep 1")
                .contains("5 epochs trained over all runs, 83% of the whole grid's 6");
    }

    @Test
    @Order(6)
    void refusesCellsThatSetTheirOwnEpochsAndAnotherExperimentInTheSameDirectory() throws IOException {
        Path own = dir.resolve("own-epochs.yaml");
        Files.writeString(own, experimentText("cells:\n  - name: long\n    epochs: 4", "2"));
        LinearCommandTest.Outcome refused = balcon("tune", own.toString(), "--out", dir.resolve("other").toString());
        assertThat(refused.status()).isEqualTo(2);
        assertThat(refused.err().strip()).doesNotContain("\n").contains("set 'epochs' themselves");

        Path changed = dir.resolve("changed.yaml");
        Files.writeString(changed, experimentText("", "4"));
        LinearCommandTest.Outcome mixed = balcon("tune", changed.toString(), "--out", out.toString());
        assertThat(mixed.status()).isEqualTo(2);
        assertThat(mixed.err().strip()).doesNotContain("\n").contains("holds a tune of another experiment file");

        LinearCommandTest.Outcome badEta = balcon("tune", experiment.toString(), "--set", "search.eta=1", "--dry-run");
        assertThat(badEta.status()).isEqualTo(2);
        assertThat(badEta.err()).contains("search.eta:").contains("eta must be >= 2");
    }
}
