package dev.balcon.analysis;

import dev.balcon.BalconException;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * PNG plots of experiments (XChart), in the size of {@link Plots}: a grid heatmap and a run's loss curve. It sits
 * beside {@link Plots} rather than in {@code report} because {@code sweep.SweepResults} draws the heatmap and
 * {@code report} depends on {@code sweep}, not the other way round.
 */
public final class ExperimentPlots {
    private ExperimentPlots() {}

    /**
     * A heatmap of {@code values[row][column]} (NaN: no value, left blank), columns labelled {@code columns} along x,
     * rows labelled {@code rows} along y, each cell showing its value with two decimals.
     */
    public static void heatmap(String title, String columnAxis, List<String> columns, String rowAxis, List<String> rows,
                               double[][] values, Path png) {
        List<Number[]> cells = new ArrayList<>();
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (int row = 0; row < rows.size(); row++) {
            for (int column = 0; column < columns.size(); column++) {
                double value = values[row][column];
                if (!Double.isNaN(value)) {
                    cells.add(new Number[] {column, row, value});
                    min = Math.min(min, value);
                    max = Math.max(max, value);
                }
            }
        }
        if (cells.isEmpty()) {
            throw new BalconException("the heatmap " + png + " needs at least one value");
        }
        HeatMapChart chart = new HeatMapChartBuilder().width(Plots.WIDTH).height(Plots.HEIGHT).title(title)
                .xAxisTitle(columnAxis).yAxisTitle(rowAxis).build();
        chart.getStyler().setShowValue(true).setHeatMapValueDecimalPattern("0.00")
                .setLegendPosition(Styler.LegendPosition.OutsideE);
        // Equal values still need a range for the colour scale; the legend prints its ends as they are, so round them.
        double low = Math.floor(min * 100) / 100;
        double high = Math.ceil(max * 100) / 100;
        chart.getStyler().setMin(low).setMax(high > low ? high : low + 1);
        chart.addSeries(title, columns, rows, cells);
        write(chart, png);
    }

    /**
     * Training loss against step: the logged steps as a line, and the mean of each epoch as points at the epoch's
     * last step.
     */
    public static void lossCurve(double[] steps, double[] losses, double[] epochEndSteps, double[] epochLosses,
                                 Path png) {
        if (steps.length == 0) {
            throw new BalconException("the loss curve " + png + " needs at least one logged step");
        }
        XYChart chart = new XYChartBuilder().width(Plots.WIDTH).height(Plots.HEIGHT).title("Training loss")
                .xAxisTitle("step").yAxisTitle("loss").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        chart.addSeries("loss (logged steps)", steps, losses).setMarker(SeriesMarkers.NONE);
        if (epochLosses.length > 0) {
            chart.addSeries("epoch mean", epochEndSteps, epochLosses).setMarker(SeriesMarkers.CIRCLE);
        }
        write(chart, png);
    }

    private static void write(Chart<?, ?> chart, Path png) {
        try {
            Path parent = png.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            try (OutputStream out = Files.newOutputStream(png)) {
                BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
            }
        } catch (IOException e) {
            throw new BalconException("cannot write plot " + png + ": " + e.getMessage(), e);
        }
    }
}
