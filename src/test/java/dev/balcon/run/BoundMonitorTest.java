package dev.balcon.run;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.balcon.BalconException;
import dev.balcon.InvalidField;
import dev.balcon.analysis.BoundGapResult;
import dev.balcon.analysis.BoundGaps;
import dev.balcon.analysis.Plots;
import dev.balcon.analysis.PrototypeBias;
import dev.balcon.analysis.ViewEmbeddings;
import dev.balcon.augment.AugmentationPipeline;
import dev.balcon.data.ImageDataset;
import dev.balcon.data.ImageSelection;
import dev.balcon.model.ContrastiveModel;
import dev.balcon.train.PretrainConfig;
import dev.balcon.train.Pretrainer;
import dev.balcon.train.RunDirectory;
import dev.balcon.train.SyntheticImages;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class BoundMonitorTest {
    private static final List<String> FIELDS = List.of("attract_term", "attract_bound", "attract_gap", "repel_term",
            "repel_bound", "repel_gap", "supervised_objective", "self_supervised_bound", "bias_backbone",
            "bias_backbone_normalized", "bias_projector_normalized");

    @TempDir
    static Path dir;
    static RunDirectory run;

    /** Two epochs with the monitor on a probe of 12 test images (3 per class), 3 views each. */
    @BeforeAll
    static void trainWithTheMonitor() {
        PretrainConfig config = TinyRun.config(2);
        run = new RunDirectory(dir.resolve("run"));
        new Pretrainer(config, TinyRun.SPLITS.train(), TinyRun.normalization(), run).showProgress(false)
                .addMonitor(BoundMonitor.of(config, TinyRun.SPLITS.test(), TinyRun.normalization(), 12, 3))
                .run(false);
    }

    private static List<JsonNode> epochRows() throws Exception {
        return Files.readAllLines(run.metrics()).stream().map(line -> {
            try {
                return RunDirectory.JSON.readTree(line);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }).filter(row -> row.get("type").asText().equals("epoch")).toList();
    }

    @Test
    void everyEpochRowCarriesFiniteGapsBiasesCountsAndTheMonitorsCost() throws Exception {
        List<JsonNode> rows = epochRows();
        assertThat(rows).hasSize(2);
        for (JsonNode row : rows) {
            for (String field : FIELDS) {
                assertThat(row.path(field).isNumber()).as(field).isTrue();
                assertThat(row.get(field).asDouble()).as(field).isFinite();
            }
            assertThat(row.get("attract_violations").asLong()).isBetween(0L, 36L);
            assertThat(row.get("repel_violations").asLong()).isBetween(0L, 36L);
            assertThat(row.get("probe_anchors").asLong()).isEqualTo(12 * 3);
            assertThat(row.get("bias_backbone_normalized").asDouble()).isBetween(0.0, 2.0);
            assertThat(row.get("bias_projector_normalized").asDouble()).isBetween(0.0, 2.0);
            assertThat(row.get("BoundMonitor_seconds").asDouble()).isPositive();
            // The gap is bound minus term, as documented.
            assertThat(row.get("attract_gap").asDouble()).isCloseTo(
                    row.get("attract_bound").asDouble() - row.get("attract_term").asDouble(), within(1e-9));
        }
        // The model changed between the epochs, and so did what the monitor saw.
        assertThat(rows.get(1).get("repel_gap").asDouble()).isNotEqualTo(rows.get(0).get("repel_gap").asDouble());
    }

    @Test
    void theGapsPlotIsDrawnFromTheEpochRows() {
        List<Plots.EpochGaps> gaps = BoundMonitor.gapsFromMetrics(run.metrics());
        assertThat(gaps).extracting(Plots.EpochGaps::epoch).containsExactly(1, 2);
        Path png = BoundMonitor.writeGapsPlot(run);
        assertThat(png).isEqualTo(run.root().resolve("gaps.png")).isRegularFile();
        assertThat(png).content(java.nio.charset.StandardCharsets.ISO_8859_1).startsWith("\u0089PNG");
    }

    @Test
    void aMetricsFileWithoutGapsGivesNoPlot(@TempDir Path empty) throws Exception {
        RunDirectory other = new RunDirectory(empty);
        assertThat(BoundMonitor.writeGapsPlot(other)).isNull();
        Files.writeString(other.metrics(), "{\"type\":\"epoch\",\"epoch\":1,\"loss\":2.0}\n"
                + "{\"type\":\"epoch\",\"epoch\":1,\"attract_gap\":0.1,\"repel_gap\":0.5}\n"
                + "{\"type\":\"epoch\",\"epoch\":1,\"attract_gap\":0.2,\"repel_gap\":0.6}\n");
        assertThat(BoundMonitor.gapsFromMetrics(other.metrics())).containsExactly(new Plots.EpochGaps(1, 0.2, 0.6));
    }

    /** The monitor's numbers are BoundGaps and PrototypeBias of the named features with the run's loss parameters. */
    @Test
    void theMeasurementIsTheInstrumentsOnTheProjectorOutputsWithTheLossParameters() {
        PretrainConfig config = run.readConfig();
        ImageDataset test = TinyRun.SPLITS.test();
        BoundMonitor monitor = BoundMonitor.of(config, test, TinyRun.normalization(), 12, 3);
        int[] probe = ImageSelection.balanced(test, 3, 20250101L, "--probe-size");
        AugmentationPipeline pipeline = config.augmentationRecipe().build(1, 16, 16, TinyRun.normalization());
        try (NDManager manager = NDManager.newBaseManager(); ContrastiveModel model = TinyRun.load(run, manager)) {
            BoundMonitor.Measurement measured = monitor.measure(model);
            int[] labels = java.util.Arrays.stream(probe).map(test::label).toArray();
            ViewEmbeddings projector = new ViewEmbeddings(
                    TinyRun.directViews(test, probe, pipeline, 3, 20250101L, model::project, manager), labels, 4);
            ViewEmbeddings backbone = new ViewEmbeddings(
                    TinyRun.directViews(test, probe, pipeline, 3, 20250101L, model::features, manager), labels, 4);
            BoundGapResult expected = BoundGaps.compute(projector, 3.0, 1.5, 1.0);
            assertThat(measured.gaps().attractGap()).isCloseTo(expected.attractGap(), within(1e-5));
            assertThat(measured.gaps().repelGap()).isCloseTo(expected.repelGap(), within(1e-5));
            assertThat(measured.gaps().selfSupervisedBound()).isCloseTo(expected.selfSupervisedBound(), within(1e-5));
            assertThat(measured.gaps().repelViolations()).isEqualTo(expected.repelViolations());
            assertThat(measured.backbone().bias())
                    .isCloseTo(PrototypeBias.compute(backbone, false, "b").bias(), within(1e-4));
            assertThat(measured.projectorNormalized().bias())
                    .isCloseTo(PrototypeBias.compute(projector, true, "p").bias(), within(1e-5));
            // With the default alpha (2, nt_xent) the repelling bound would be another number.
            assertThat(BoundGaps.compute(projector, 2.0, 1.0, 1.0).repelBound())
                    .isNotCloseTo(measured.gaps().repelBound(), within(1e-3));
            assertThat(BoundMonitor.fields(measured)).containsEntry("attract_gap", measured.gaps().attractGap());
        }
    }

    @Test
    void theProbeIsClassBalancedAndShrinksToTheSmallestClass() {
        PretrainConfig config = TinyRun.config(1);
        assertThat(BoundMonitor.of(config, TinyRun.SPLITS.test(), TinyRun.normalization(), 1000, 4).probeImages())
                .isEqualTo(24);
        assertThat(BoundMonitor.of(config, TinyRun.SPLITS.test(), TinyRun.normalization(), 10, 4).probeImages())
                .isEqualTo(8);
    }

    @Test
    void unusableProbesAreOneLineErrors() {
        PretrainConfig config = TinyRun.config(1);
        assertThatThrownBy(() -> BoundMonitor.of(config, TinyRun.SPLITS.test(), TinyRun.normalization(), 100, 1))
                .isInstanceOf(InvalidField.class).hasMessageStartingWith("monitor.probeViews must be >= 2")
                .hasMessageContaining("got 1");
        assertThatThrownBy(() -> BoundMonitor.of(config, TinyRun.SPLITS.test(), TinyRun.normalization(), 3, 4))
                .isInstanceOf(InvalidField.class).hasMessageStartingWith("monitor.probeSize must be at least the number "
                        + "of classes (4)");
        ImageDataset missingClass = SyntheticImages.quadrants(6, 16, 1).subset(new int[] {0, 1, 2, 4, 5, 0}, "abc");
        assertThatThrownBy(() -> BoundMonitor.of(config, missingClass, TinyRun.normalization(), 100, 4))
                .isInstanceOf(BalconException.class).hasMessageContaining("class 3 ('d') has no images");
        assertThatThrownBy(() -> PretrainConfig.builder().width(4).projectorHidden(16).projectorOut(8).batchSize(16).epochs(1).probeViews(1).build())
                .isInstanceOf(BalconException.class).hasMessageStartingWith("monitor.probeViews must be >= 2");
    }

    @Test
    void theMonitorFieldsNameEveryMeanOfTheResult() {
        Map<String, Object> fields = BoundMonitor.fields(new BoundMonitor.Measurement(
                new BoundGapResult(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11),
                new dev.balcon.analysis.BiasResult(12, new double[] {12}, 1, 2, "b"),
                new dev.balcon.analysis.BiasResult(13, new double[] {13}, 1, 2, "b"),
                new dev.balcon.analysis.BiasResult(14, new double[] {14}, 1, 2, "p"), 1, 2, 0.5));
        assertThat(fields.values()).containsExactly(1.0, 2.0, 3.0, 4L, 5.0, 6.0, 7.0, 8L, 9.0, 10.0, 11L, 12.0, 13.0, 14.0);
    }
}
