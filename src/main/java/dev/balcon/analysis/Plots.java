package dev.balcon.analysis;

import dev.balcon.BalconException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.knowm.xchart.AnnotationLine;
import org.knowm.xchart.AnnotationText;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** PNG plots of the instruments (XChart): the bound gaps over training, and bias against accuracy across runs. */
public final class Plots {

    /** Width of every plot, in pixels. */
    public static final int WIDTH = 900;
    /** Height of every plot, in pixels. */
    public static final int HEIGHT = 600;

    private Plots() {}

    /** The two gaps measured at the end of one epoch. */
    public record EpochGaps(int epoch, double attractGap, double repelGap) {
        public EpochGaps {
            if (!Double.isFinite(attractGap) || !Double.isFinite(repelGap)) {
                throw new BalconException("gaps of epoch " + epoch + " must be finite, got attractGap = "
                        + attractGap + ", repelGap = " + repelGap);
            }
        }

        /** The gaps of a {@link BoundGaps} result. */
        public static EpochGaps of(int epoch, BoundGapResult result) {
            return new EpochGaps(epoch, result.attractGap(), result.repelGap());
        }
    }

    /** One trained model: its name in the plot, its prototype bias and its accuracy (in any unit, e.g. %). */
    public record RunPoint(String label, double bias, double accuracy) {
        public RunPoint {
            if (label == null || label.isBlank()) {
                throw new BalconException("a run in the bias-vs-accuracy plot needs a non-blank label");
            }
            if (!Double.isFinite(bias) || !Double.isFinite(accuracy)) {
                throw new BalconException("run '" + label + "' needs finite bias and accuracy, got bias = " + bias
                        + ", accuracy = " + accuracy);
            }
        }
    }

    /**
     * Attracting and repelling gap against epoch, two line series ordered by epoch, with a dashed line at 0:
     * a point below it means the bound was violated on average.
     */
    public static void gapsVsEpoch(List<EpochGaps> rows, Path png) {
        if (rows == null || rows.isEmpty()) {
            throw new BalconException("gapsVsEpoch needs at least one epoch of gaps to plot " + png);
        }
        List<EpochGaps> ordered = rows.stream().sorted(Comparator.comparingInt(EpochGaps::epoch)).toList();
        double[] epochs = ordered.stream().mapToDouble(EpochGaps::epoch).toArray();
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT)
                .title("Bound gaps during training (bound - term, >= 0 when the bound holds)")
                .xAxisTitle("epoch").yAxisTitle("gap").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        chart.addSeries("attracting gap", epochs, ordered.stream().mapToDouble(EpochGaps::attractGap).toArray())
                .setMarker(SeriesMarkers.CIRCLE);
        chart.addSeries("repelling gap", epochs, ordered.stream().mapToDouble(EpochGaps::repelGap).toArray())
                .setMarker(SeriesMarkers.SQUARE);
        chart.addAnnotation(new AnnotationLine(0, false, false));
        write(chart, png);
    }

    /** Prototype bias (x) against accuracy (y), one labelled point per run. */
    public static void biasVsAccuracy(List<RunPoint> runs, Path png) {
        if (runs == null || runs.isEmpty()) {
            throw new BalconException("biasVsAccuracy needs at least one run to plot " + png);
        }
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT)
                .title("Prototype representation bias vs accuracy")
                .xAxisTitle("prototype bias").yAxisTitle("accuracy").build();
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        chart.getStyler().setLegendVisible(false);
        chart.getStyler().setMarkerSize(10);
        double[] biases = runs.stream().mapToDouble(RunPoint::bias).toArray();
        double[] accuracies = runs.stream().mapToDouble(RunPoint::accuracy).toArray();
        // Explicit, padded axis ranges keep the extreme points and their labels inside the plot area (bias >= 0).
        double[] biasRange = paddedRange(biases);
        double[] accuracyRange = paddedRange(accuracies);
        chart.getStyler().setXAxisMin(Math.max(0, biasRange[0])).setXAxisMax(biasRange[1]);
        chart.getStyler().setYAxisMin(accuracyRange[0]).setYAxisMax(accuracyRange[1]);
        chart.addSeries("runs", biases, accuracies);
        double labelLift = 0.03 * (accuracyRange[1] - accuracyRange[0]);
        for (RunPoint run : runs) {
            chart.addAnnotation(new AnnotationText(run.label(), run.bias(), run.accuracy() + labelLift, false));
        }
        write(chart, png);
    }

    /** [min, max] of the values widened by 10% of their span on each side (or of their size, if all are equal). */
    private static double[] paddedRange(double[] values) {
        double low = Arrays.stream(values).min().orElseThrow();
        double high = Arrays.stream(values).max().orElseThrow();
        double pad = high > low ? 0.1 * (high - low) : Math.max(0.1 * Math.abs(high), 0.5);
        return new double[] {low - pad, high + pad};
    }

    private static void write(Chart<?, ?> chart, Path png) {
        try {
            Path parent = png.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            try (OutputStream out = Files.newOutputStream(png)) {
                BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
            }
        } catch (IOException e) {
            throw new BalconException("cannot write plot " + png + ": " + e.getMessage(), e);
        }
    }
}
