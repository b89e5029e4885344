package dev.balcon.cli;

import dev.balcon.experiment.PretrainRun;
import dev.balcon.train.PretrainResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "pretrain", mixinStandardHelpOptions = true,
        description = "Self-supervised pretraining. Writes config.json, metrics.jsonl, checkpoint.bin and results.json "
                + "into the run directory; --resume continues a stopped run from its last completed epoch.")
final class PretrainCommand implements Callable<Integer> {
    @Mixin
    TrainingOptions training;

    @Option(names = "--run-dir", required = true, description = "Run directory (created if missing).")
    Path runDir;

    @Option(names = "--resume", description = "Continue the run in --run-dir from its checkpoint, with its stored config.")
    boolean resume;

    @Mixin
    ProgressOptions progress;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PretrainResult result = PretrainRun.pretrain(runDir, resume ? null : training.toConfig(), resume, !progress.noProgress,
                out);
        out.println(PretrainRun.summary(result, runDir));
        return result.diverged() ? Main.EXIT_DIVERGED : 0;
    }
}
