package dev.balcon.analysis;

import dev.balcon.BalconException;
import java.awt.Color;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.AnnotationLine;
import org.knowm.xchart.AnnotationText;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * PNG plots (XChart): the bound gaps over training, bias against accuracy across runs, and labelled 2-D scatter
 * plots such as the embedding map. Every PNG is written atomically (temporary sibling, then renamed).
 */
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
        biasVsAccuracy(runs, List.of(), png);
    }

    /**
     * Prototype bias (x) against accuracy (y): one large labelled point per entry of {@code labelled} (a run, or a
     * cell's mean over its seeds) and one small unlabelled point per entry of {@code unlabelled} (the single runs
     * behind those means), so that the spread of the seeds shows beside the means.
     *
     * @throws BalconException if {@code labelled} is empty
     */
    public static void biasVsAccuracy(List<RunPoint> labelled, List<RunPoint> unlabelled, Path png) {
        if (labelled == null || labelled.isEmpty()) {
            throw new BalconException("biasVsAccuracy needs at least one run to plot " + png);
        }
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT)
                .title("Prototype representation bias vs accuracy")
                .xAxisTitle("prototype bias").yAxisTitle("accuracy").build();
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        chart.getStyler().setLegendVisible(false);
        chart.getStyler().setMarkerSize(10);
        List<RunPoint> every = new ArrayList<>(labelled);
        every.addAll(unlabelled);
        // Explicit, padded axis ranges keep the extreme points and their labels inside the plot area (bias >= 0).
        double[] biasRange = paddedRange(every.stream().mapToDouble(RunPoint::bias).toArray());
        double[] accuracyRange = paddedRange(every.stream().mapToDouble(RunPoint::accuracy).toArray());
        chart.getStyler().setXAxisMin(Math.max(0, biasRange[0])).setXAxisMax(biasRange[1]);
        chart.getStyler().setYAxisMin(accuracyRange[0]).setYAxisMax(accuracyRange[1]);
        if (!unlabelled.isEmpty()) {
            XYSeries single = chart.addSeries("single runs", unlabelled.stream().mapToDouble(RunPoint::bias).toArray(),
                    unlabelled.stream().mapToDouble(RunPoint::accuracy).toArray());
            single.setMarker(SeriesMarkers.DIAMOND);
            single.setMarkerColor(Color.GRAY);
        }
        XYSeries points = chart.addSeries("runs", labelled.stream().mapToDouble(RunPoint::bias).toArray(),
                labelled.stream().mapToDouble(RunPoint::accuracy).toArray());
        points.setMarker(SeriesMarkers.CIRCLE);
        points.setMarkerColor(GROUP_COLOURS.get(0));
        double labelLift = 0.03 * (accuracyRange[1] - accuracyRange[0]);
        for (RunPoint run : labelled) {
            chart.addAnnotation(new AnnotationText(run.label(), run.bias(), run.accuracy() + labelLift, false));
        }
        write(chart, png);
    }

    /** Width of a labelled scatter plot (the embedding map), in pixels. */
    public static final int SCATTER_WIDTH = 1000;
    /** Height of a labelled scatter plot, in pixels. */
    public static final int SCATTER_HEIGHT = 800;

    /**
     * Twenty distinguishable colours (Tableau 20, dark and light alternating) for the groups of a labelled
     * scatter plot; a plot with more groups must merge them first.
     */
    public static final List<Color> GROUP_COLOURS = List.of(
            new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728), new Color(0x9467bd),
            new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f), new Color(0xbcbd22), new Color(0x17becf),
            new Color(0xaec7e8), new Color(0xffbb78), new Color(0x98df8a), new Color(0xff9896), new Color(0xc5b0d5),
            new Color(0xc49c94), new Color(0xf7b6d2), new Color(0xc7c7c7), new Color(0xdbdb8d), new Color(0x9edae5));

    /**
     * A scatter plot of 2-D points in groups, one colour and legend entry per group, in the map's order
     * ({@value #SCATTER_WIDTH} x {@value #SCATTER_HEIGHT} pixels, small markers, legend to the right).
     *
     * @param groups legend name -> {@code [2][n]} (x coordinates, y coordinates); at most
     *               {@code GROUP_COLOURS.size()} groups, none empty
     * @throws BalconException if there is no group, too many, an empty one, or a non-finite coordinate
     */
    public static void labelledScatter(String title, String xAxisTitle, String yAxisTitle,
                                       Map<String, double[][]> groups, Path png) {
        if (groups == null || groups.isEmpty() || groups.size() > GROUP_COLOURS.size()) {
            throw new BalconException("a labelled scatter plot needs 1 to " + GROUP_COLOURS.size() + " groups, got "
                    + (groups == null ? 0 : groups.size()) + " for " + png);
        }
        XYChart chart = new XYChartBuilder().width(SCATTER_WIDTH).height(SCATTER_HEIGHT).title(title)
                .xAxisTitle(xAxisTitle).yAxisTitle(yAxisTitle).build();
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        chart.getStyler().setMarkerSize(4);
        chart.getStyler().setChartTitleFont(chart.getStyler().getChartTitleFont().deriveFont(14f));
        int colour = 0;
        for (Map.Entry<String, double[][]> group : groups.entrySet()) {
            double[] x = group.getValue()[0];
            double[] y = group.getValue()[1];
            if (x.length == 0 || x.length != y.length) {
                throw new BalconException("group '" + group.getKey() + "' needs as many x as y coordinates, at least one; got "
                        + x.length + " and " + y.length);
            }
            if (!Arrays.stream(x).allMatch(Double::isFinite) || !Arrays.stream(y).allMatch(Double::isFinite)) {
                throw new BalconException("group '" + group.getKey() + "' holds a non-finite coordinate");
            }
            chart.addSeries(group.getKey(), x, y).setMarker(SeriesMarkers.CIRCLE)
                    .setMarkerColor(GROUP_COLOURS.get(colour++));
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
            // written beside the target and renamed, so that a failure leaves no half-written PNG
            Path temporary = png.resolveSibling(png.getFileName() + ".tmp");
            try {
                try (OutputStream out = Files.newOutputStream(temporary)) {
                    BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
                }
                Files.move(temporary, png, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(temporary);
            }
        } catch (IOException e) {
            throw new BalconException("cannot write plot " + png + ": " + e.getMessage(), e);
        }
    }
}
