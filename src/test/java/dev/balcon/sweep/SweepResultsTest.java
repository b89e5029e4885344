package dev.balcon.sweep;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.TextNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class SweepResultsTest {

    @Test
    void theAlphaLambdaGridHoldsOnlyTheGridCellsNotNamedCellsAtTheSameAlphaAndLambda() {
        List<SweepResults.CellSummary> cells = List.of(
                summary(Map.of("alpha", "2", "lambda", "1"), 0.60),
                summary(Map.of("alpha", "4", "lambda", "1"), 0.70),
                summary(Map.of("alpha", "2", "lambda", "2"), 0.65),
                // The loss-balance file's extra cells: same alpha and lambda, another experiment.
                summary(Map.of("alpha", "2", "lambda", "2", "scale_by_inv_alpha", "false"), 0.99),
                summary(Map.of("loss", "generalized_nt_xent", "alpha", "4", "lambda", "1"), 0.98),
                summary(Map.of("loss", "nt_xent"), 0.97));

        SweepResults.AlphaLambdaGrid grid = SweepResults.alphaLambdaGrid(cells, ExperimentFile.KNN);

        assertThat(grid.alphas()).containsExactly("2", "4");
        assertThat(grid.lambdas()).containsExactly("1", "2");
        assertThat(grid.values()[0]).containsExactly(60.0, 70.0);
        assertThat(grid.values()[1][0]).isEqualTo(65.0);
        assertThat(grid.values()[1][1]).isNaN();
        assertThat(SweepResults.alphaLambdaGrid(cells, ExperimentFile.LINEAR)).isNull();
    }

    @Test
    void aNonFiniteValueCountsAsNotMeasuredRatherThanSpoilingTheCellsMean() {
        SweepResults.Stats stats = SweepResults.Stats.of(java.util.Arrays.asList(0.5, Double.NaN, null, 0.7,
                Double.POSITIVE_INFINITY));
        assertThat(stats.n()).isEqualTo(2);
        assertThat(stats.mean()).isCloseTo(0.6, org.assertj.core.api.Assertions.within(1e-12));
        assertThat(stats.format(100, 1)).startsWith("60.0 ± ");
        assertThat(SweepResults.Stats.of(java.util.Arrays.asList(Double.NaN)).format(1, 2)).isEqualTo("–");
    }

    private static SweepResults.CellSummary summary(Map<String, String> own, double knnTop1) {
        Map<String, JsonNode> settings = new LinkedHashMap<>();
        own.forEach((key, value) -> settings.put(key, value.matches("\\d+") ? IntNode.valueOf(Integer.parseInt(value))
                : TextNode.valueOf(value)));
        SweepResults.Stats none = new SweepResults.Stats(0, Double.NaN, Double.NaN);
        ExperimentFile.Cell cell = new ExperimentFile.Cell(String.join("_", own.values()), settings, own);
        return new SweepResults.CellSummary(cell, 1, 1, 0, 0, new SweepResults.Stats(1, knnTop1, Double.NaN), none,
                none, none, none, none, none);
    }

    @Test
    void trainingThroughputIsTheEpochsImagesOverTheirSecondsAndAResumedEpochCountsOnce(@TempDir Path dir)
            throws IOException {
        Path metrics = dir.resolve("metrics.jsonl");
        Files.writeString(metrics, String.join("\n",
                "{\"type\":\"step\",\"epoch\":1,\"step\":10,\"images_per_s\":999.0}",
                "{\"type\":\"epoch\",\"epoch\":1,\"seconds\":10.0,\"images_per_s\":100.0}",
                "{\"type\":\"epoch\",\"epoch\":2,\"seconds\":5.0,\"images_per_s\":50.0}",
                "{\"type\":\"epoch\",\"epoch\":2,\"seconds\":30.0,\"images_per_s\":200.0}") + "\n");
        // epoch 1: 1000 images in 10 s; epoch 2 (its last row, after a resume): 6000 in 30 s
        assertThat(SweepResults.trainImagesPerSecond(metrics)).isEqualTo(175.0);
        assertThat(SweepResults.trainImagesPerSecond(dir.resolve("none.jsonl"))).isNull();
    }
}
