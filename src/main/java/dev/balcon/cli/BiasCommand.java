package dev.balcon.cli;

import dev.balcon.run.BiasMeasurement;
import dev.balcon.train.RunDirectory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "bias", mixinStandardHelpOptions = true,
        description = "Prototype representation bias of a run's checkpoint: K augmented views of each evaluation image, "
                + "mean distance of each image's view mean from its class prototype, in raw backbone features (the "
                + "paper's scale), L2-normalised backbone features and L2-normalised projector outputs (both 0 to 2). "
                + "Stored under \"bias\" / recipe in the run's results.json.")
final class BiasCommand implements Callable<Integer> {
    @Mixin
    ProgressOptions progress;

    @Mixin
    DeviceOptions device;

    @Option(names = "--run-dir", required = true, description = "Run directory written by 'balcon pretrain'.")
    Path runDir;

    @Option(names = "--k", defaultValue = "8", description = "Augmented views per image (default: ${DEFAULT-VALUE}).")
    int views;

    @Option(names = "--per-class", defaultValue = "0",
            description = "Images drawn from each class (seeded); 0 = every image of the split (default: ${DEFAULT-VALUE}).")
    int perClass;

    @Option(names = "--split", defaultValue = "test", description = "test or train (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--recipe",
            description = "Augmentation recipe that draws the views (default: the one the run was trained with), with the "
                    + "run's crop scale.")
    String recipe;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the image draw and the augmentations (default: ${DEFAULT-VALUE}).")
    long seed;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        RunDirectory run = new RunDirectory(runDir);
        BiasMeasurement.Report report = FieldOptions.inOptions(Map.of("views", "--k", "perClass", "--per-class",
                "split", "--split", "recipe", "--recipe"), () -> BiasMeasurement.ofRun(run,
                new BiasMeasurement.Options(views, perClass, split, recipe, seed)));
        BiasMeasurement.store(run, report);
        PrintWriter out = spec.commandLine().getOut();
        out.print(BiasMeasurement.table(report));
        out.flush();
        return 0;
    }
}
