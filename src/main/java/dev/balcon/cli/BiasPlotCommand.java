package dev.balcon.cli;

import dev.balcon.analysis.Plots;
import dev.balcon.run.BiasMeasurement;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "bias-plot", mixinStandardHelpOptions = true,
        description = "Prototype bias against k-NN top-1 across runs, one point per run, as a PNG. Each run needs "
                + "'balcon bias' (with its own recipe) and 'balcon knn' first; all runs must be measured alike.")
final class BiasPlotCommand implements Callable<Integer> {
    @Option(names = "--runs", required = true, arity = "1..*", description = "Run directories.")
    List<Path> runs;

    @Option(names = "--out", required = true, description = "PNG file to write.")
    Path out;

    @Option(names = "--space", defaultValue = "backbone",
            description = "backbone, backbone-l2 or projector-l2 (default: ${DEFAULT-VALUE}).")
    String space;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        List<Plots.RunPoint> points = FieldOptions.inOptions(Map.of("runDirs", "--runs", "space", "--space"),
                () -> BiasMeasurement.plotAgainstAccuracy(runs, space, out));
        PrintWriter writer = spec.commandLine().getOut();
        writer.println("| run                                      | bias (" + space + ") | k-NN top-1 |");
        for (Plots.RunPoint point : points) {
            writer.printf("| %-40s | %12.4f | %9.2f%% |%n", point.label(), point.bias(), point.accuracy());
        }
        writer.println("wrote " + out);
        return 0;
    }
}
