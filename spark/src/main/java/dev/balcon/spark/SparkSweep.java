package dev.balcon.spark;

import ai.djl.pytorch.jni.JniUtils;
import dev.balcon.Progress;
import dev.balcon.cli.TrainingOptionsConfigs;
import dev.balcon.sweep.ExperimentFile;
import dev.balcon.sweep.RunRecord;
import dev.balcon.sweep.Sweep;
import dev.balcon.sweep.SweepResults;
import dev.balcon.train.RunDirectory;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

import java.io.PrintWriter;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A sweep ({@code balcon sweep}, {@link Sweep}) whose runs execute as Spark tasks: one task per run that is not done
 * yet, each pretraining and evaluating its run with the core's code ({@link Sweep#execute}) in the run's directory
 * under the sweep directory, which must therefore be a path every executor reads and writes at the same place (a
 * network file system; not HDFS or S3, since training writes files with {@code java.nio}). The driver then writes
 * results.csv, results.md and the plots with {@link SweepResults#write}. Skipping done runs, resuming interrupted
 * ones, and recording failed and diverged runs are the core's, so a sweep started with {@code balcon sweep} can be
 * continued here and the other way round.
 *
 * <p>An executor JVM trains one run at a time: DJL's gradient collection is process-wide, so tasks that Spark starts
 * at once in one executor wait for each other. Give each task the executor's cores ({@code spark.task.cpus} =
 * {@code spark.executor.cores}): each task sets libtorch's intra-op threads of its executor to {@code spark.task.cpus}
 * (or the given number), and runs execute in parallel across executors. The datasets a run names (its {@code data} and
 * {@code eval_data} settings) must be readable at the same path on every executor.
 */
public final class SparkSweep {
    /** Held by the task that trains in this JVM (see the class comment). */
    private static final Object ONE_RUN_PER_JVM = new Object();

    private SparkSweep() {}

    /**
     * Runs every run of {@code experiment} that is not done in {@code out}, as Spark tasks, then writes the summary.
     *
     * @param experiment   an experiment read with {@link TrainingOptionsConfigs} (as {@code balcon sweep} reads it);
     *                     every executor parses its text again
     * @param out          the sweep directory, the same path on the driver and every executor
     * @param torchThreads libtorch intra-op threads per executor, or 0 for {@code spark.task.cpus}
     * @param log          where the plan and the end of each run are reported
     * @return the runs, those skipped as done, and how the others ended
     * @throws dev.balcon.BalconException if a run directory holds a run of another configuration (before any task);
     *                                    a task that fails beyond the run's own failure (an executor lost) fails the
     *                                    job after the summary of the runs recorded so far is written
     */
    public static Sweep.Outcome run(SparkSession spark, ExperimentFile experiment, Path out, int torchThreads,
                                    PrintWriter log) {
        Sweep sweep = new Sweep(experiment, out, log);
        List<ExperimentFile.Run> runs = experiment.runs();
        List<ExperimentFile.Run> pending = sweep.pendingRuns();
        int threads = torchThreads > 0 ? torchThreads
                : Integer.parseInt(spark.sparkContext().getConf().get("spark.task.cpus", "1"));
        log.printf("sweep %s: %d cells x %d seeds = %d runs, %d to do, into %s, as Spark tasks on %s%n",
                experiment.name(), experiment.cells().size(), experiment.seeds().size(), runs.size(), pending.size(),
                out, spark.sparkContext().master());
        List<RunTask> tasks = new ArrayList<>();
        for (int i = 0; i < runs.size(); i++) {
            ExperimentFile.Run run = runs.get(i);
            String position = String.format("[%d/%d] %s", i + 1, runs.size(), run.label());
            if (pending.contains(run)) {
                tasks.add(new RunTask(experiment.file().toString(), experiment.text(), out.toAbsolutePath().toString(),
                        i, position, threads));
            } else {
                log.printf("%s: already %s, skipped%n", position,
                        RunRecord.of(new RunDirectory(run.directory(out))).status());
            }
        }
        log.flush();
        List<RunEnd> ends = new ArrayList<>();
        try {
            if (!tasks.isEmpty()) {
                ends.addAll(JavaSparkContext.fromSparkContext(spark.sparkContext())
                        .parallelize(tasks, tasks.size()).map(SparkSweep::execute).collect());
            }
        } finally {
            SweepResults.write(experiment, out); // also after a lost job: the runs recorded so far
        }
        ends.sort(Comparator.comparingInt(RunEnd::index));
        int finished = 0;
        int diverged = 0;
        int failed = 0;
        for (RunEnd end : ends) {
            switch (end.status()) {
                case RunRecord.FINISHED -> finished++;
                case RunRecord.DIVERGED -> diverged++;
                default -> failed++;
            }
            log.printf("%s: %s in %.0f s%s%n", end.position(), end.status(), end.seconds(),
                    end.error() == null ? "" : " (" + end.error() + ")");
        }
        log.printf("sweep %s: %d finished, %d diverged, %d failed, %d skipped as done; results in %s and %s%n",
                experiment.name(), finished, diverged, failed, runs.size() - tasks.size(),
                out.resolve(SweepResults.CSV), out.resolve(SweepResults.MARKDOWN));
        log.flush();
        return new Sweep.Outcome(runs.size(), runs.size() - tasks.size(), finished, diverged, failed);
    }

    /** One run to execute: the experiment's file name and text, the sweep directory, the run's index. */
    private record RunTask(String file, String text, String out, int index, String position, int threads)
            implements Serializable {}

    /** How a task's run ended. */
    private record RunEnd(int index, String position, String status, double seconds, String error)
            implements Serializable {}

    /**
     * In the executor: parses the experiment again and executes its run with the core's sweep; the run's log lines
     * (stages, the data loaded) go to the executor's standard error.
     */
    private static RunEnd execute(RunTask task) {
        TorchThreads.ensure(task.threads());
        // libtorch's grad mode is per thread; DJL turns it off on the thread that loads the engine, not on Spark's
        JniUtils.setGradMode(false);
        Progress.setCurrent(Progress.none());
        ExperimentFile experiment = ExperimentFile.parse(Path.of(task.file()), task.text(), new TrainingOptionsConfigs());
        PrintWriter log = new PrintWriter(System.err, true);
        synchronized (ONE_RUN_PER_JVM) {
            long start = System.nanoTime();
            RunRecord record = new Sweep(experiment, Path.of(task.out()), log)
                    .execute(experiment.runs().get(task.index()), task.position());
            log.flush();
            return new RunEnd(task.index(), task.position(), record.status(), (System.nanoTime() - start) / 1e9,
                    record.error());
        }
    }
}
