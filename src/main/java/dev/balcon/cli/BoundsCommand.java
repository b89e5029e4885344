package dev.balcon.cli;

import dev.balcon.analysis.BoundGapResult;
import dev.balcon.run.BoundMonitor;
import dev.balcon.train.RunDirectory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "bounds", mixinStandardHelpOptions = true,
        description = "The paper's two bounds on a run's checkpoint, measured on a class-balanced probe of the test split "
                + "(the same probe as --monitor-bounds): attracting and repelling gap (bound - term, >= 0 where the "
                + "bound holds), violations, supervised objective and its self-supervised bound, and the prototype bias. "
                + "Stored under \"bounds\" in the run's results.json.")
final class BoundsCommand implements Callable<Integer> {
    @Mixin
    ProgressOptions progress;

    @Mixin
    DeviceOptions device;

    @Option(names = "--run-dir", required = true, description = "Run directory written by 'balcon pretrain'.")
    Path runDir;

    @Option(names = "--probe-size", defaultValue = "1000", description = "Probe images (default: ${DEFAULT-VALUE}).")
    int probeSize;

    @Option(names = "--probe-views", defaultValue = "4", description = "Augmented views per probe image, >= 2 (default: ${DEFAULT-VALUE}).")
    int probeViews;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        RunDirectory run = new RunDirectory(runDir);
        // the probe's settings are the monitor's of a training run (monitor.probeSize), with the same options
        BoundMonitor.Measurement measurement = TrainingOptions.inOptions(() -> BoundMonitor.ofRun(run, probeSize,
                probeViews));
        run.putResult(BoundMonitor.RESULT_KEY, measurement);
        BoundGapResult gaps = measurement.gaps();
        PrintWriter out = spec.commandLine().getOut();
        out.printf("bounds on %d probe images x %d views (%d anchors), %.1f s%n", measurement.probeImages(),
                measurement.viewsPerImage(), gaps.anchors(), measurement.seconds());
        out.println("| bound       | term     | bound    | gap      | violations |");
        out.println("|-------------|----------|----------|----------|------------|");
        out.printf("| attracting  | %8.4f | %8.4f | %8.4f | %10d |%n", gaps.attractTerm(), gaps.attractBound(),
                gaps.attractGap(), gaps.attractViolations());
        out.printf("| repelling   | %8.4f | %8.4f | %8.4f | %10d |%n", gaps.repelTerm(), gaps.repelBound(),
                gaps.repelGap(), gaps.repelViolations());
        out.printf("supervised objective %.4f, its self-supervised bound %.4f%n", gaps.supervisedObjective(),
                gaps.selfSupervisedBound());
        out.printf("prototype bias: backbone %.4f, backbone L2-normalised %.4f, projector L2-normalised %.4f%n",
                measurement.backbone().bias(), measurement.backboneNormalized().bias(),
                measurement.projectorNormalized().bias());
        return 0;
    }
}
