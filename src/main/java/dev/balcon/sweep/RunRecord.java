package dev.balcon.sweep;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.balcon.BalconException;
import dev.balcon.train.RunDirectory;

import java.nio.file.Files;
import java.util.List;

/**
 * What a {@link Sweep} records of a run, kept in the run's results.json under {@value #RESULT_KEY}. A file of its own
 * (it was {@code RunRecord}, with the statuses) so that {@link SweepResults} can read it without depending on
 * {@link Sweep}, which calls {@link SweepResults}.
 *
 * @param cell     cell name
 * @param seed     seed
 * @param status   {@link #FINISHED}, {@link #DIVERGED}, {@link #FAILED} or {@link #INCOMPLETE}
 * @param done     stages completed ({@link #PRETRAIN}, knn, linear, bias)
 * @param protocol the evaluation protocol the evaluations in {@code done} followed
 * @param seconds  wall time of the completed stages, over all attempts
 * @param attempts sweeps that worked on the run
 * @param error    the failure, for {@link #FAILED}; otherwise null
 */
public record RunRecord(String cell, long seed, String status, List<String> done, ExperimentFile.Protocol protocol,
                        double seconds, int attempts, String error) {
    /** Key of the {@link RunRecord} in a run's results.json. */
    public static final String RESULT_KEY = "sweep";
    /** The stage that trains; the others are {@link ExperimentFile#EVALUATIONS}. */
    public static final String PRETRAIN = "pretrain";

    /** Status of a run: every stage done. */
    public static final String FINISHED = "finished";
    /** Status of a run: the loss stopped being finite; not evaluated. */
    public static final String DIVERGED = "diverged";
    /** Status of a run: a stage threw; retried by the next sweep. */
    public static final String FAILED = "failed";
    /** Status of a run: started, not all stages done (the sweep was stopped). */
    public static final String INCOMPLETE = "incomplete";
    /** Status of a run the sweep has not started. */
    public static final String PENDING = "pending";

    /** The record of a run, or null if the sweep has not touched it. */
    public static RunRecord of(RunDirectory run) {
        JsonNode node = Files.isRegularFile(run.results()) ? run.readResults().get(RESULT_KEY) : null;
        if (node == null) {
            return null;
        }
        try {
            return RunDirectory.JSON.treeToValue(node, RunRecord.class);
        } catch (JsonProcessingException e) {
            throw new BalconException("cannot read \"" + RESULT_KEY + "\" in " + run.results() + ": "
                    + e.getOriginalMessage(), e);
        }
    }
}
