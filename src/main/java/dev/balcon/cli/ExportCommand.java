package dev.balcon.cli;

import dev.balcon.inference.ModelExport;
import dev.balcon.inference.ModelManifest;
import dev.balcon.inference.UnfinishedRunException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Writes a run's encoder as a portable model directory: model.safetensors (backbone and projector "
                + "weights, float32, PyTorch parameter names) and model.json (architecture, input size and "
                + "normalisation, training, SHA-256 of the weights). See docs/inference.md.")
final class ExportCommand implements Callable<Integer> {
    @Option(names = "--run-dir", required = true, description = "Run directory written by 'balcon pretrain'.")
    Path runDir;

    @Option(names = "--out", required = true, description = "Directory to write (new, empty, or an earlier export, which is replaced).")
    Path out;

    @Option(names = "--allow-unfinished", description = "Export a run that diverged or has not finished its epochs "
            + "(its last checkpoint).")
    boolean allowUnfinished;

    @picocli.CommandLine.Mixin
    DeviceOptions device;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        ModelManifest manifest;
        try {
            manifest = ModelExport.export(runDir, out, allowUnfinished);
        } catch (UnfinishedRunException e) {
            throw new UnfinishedRunException(e.getMessage() + "; pass --allow-unfinished to export it anyway");
        }
        ModelManifest.Input input = manifest.input();
        spec.commandLine().getOut().printf("exported %s (%d features per image, input %dx%dx%d) to %s: %s (SHA-256 %s), %s%n",
                manifest.architecture().name(), manifest.featureDim(), input.channels(), input.height(), input.width(),
                out, manifest.weights().file(), manifest.weights().sha256(), ModelManifest.FILE);
        return 0;
    }
}
