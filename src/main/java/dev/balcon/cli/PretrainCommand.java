package dev.balcon.cli;

import dev.balcon.run.PretrainRun;
import dev.balcon.train.PretrainConfig;
import dev.balcon.train.PretrainResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "pretrain", mixinStandardHelpOptions = true,
        description = "Self-supervised pretraining. Writes config.json, metrics.jsonl, checkpoint.bin and results.json "
                + "into the run directory; --resume continues a stopped run from its last completed epoch, or extends "
                + "a finished one to a larger --epochs.")
final class PretrainCommand implements Callable<Integer> {
    @Mixin
    TrainingOptions training;

    @Option(names = "--run-dir", required = true, description = "Run directory (created if missing).")
    Path runDir;

    @Option(names = "--resume", description = "Continue the run in --run-dir from its checkpoint, with its stored config "
            + "(or start it if there is none). Options given with it must match the stored ones, except --epochs (more "
            + "extends the run: the cosine schedule is redrawn over the new total), --workers, --monitor-bounds, "
            + "--probe-size, --probe-views and --cache-dir. A finished run is left as it is.")
    boolean resume;

    @Mixin
    ProgressOptions progress;

    @Mixin
    DeviceOptions device;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PretrainConfig config = training.toConfig(runDir, resume, spec.commandLine().getParseResult());
        return TrainingOptions.training(runDir, () -> {
            PretrainResult completed = resume ? PretrainRun.completed(runDir, config) : null;
            PretrainResult result = completed != null ? completed
                    : PretrainRun.pretrain(runDir, config, resume, !progress.noProgress, out);
            out.println(completed != null ? PretrainRun.nothingToDo(result, runDir) : PretrainRun.summary(result, runDir));
            return result.diverged() ? Main.EXIT_DIVERGED : 0;
        });
    }
}
