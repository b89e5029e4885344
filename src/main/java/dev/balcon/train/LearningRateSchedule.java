package dev.balcon.train;

import dev.balcon.BalconException;
import dev.balcon.InvalidField;

/**
 * Linear warm-up from lr/warmupSteps to the base rate, then cosine decay that would reach zero one step
 * after the last (SimCLR's schedule; no step is wasted at a zero rate). Steps are counted from 0 over the whole run,
 * so a resumed run continues the curve. A run extended to more epochs gets the schedule of its new total from then on
 * (see {@link Pretrainer#run}): the rate jumps up at the join.
 */
public record LearningRateSchedule(double baseLearningRate, long warmupSteps, long totalSteps) {

    /**
     * @throws InvalidField    naming config.json's {@code optimizer.lr} if {@code baseLearningRate} is not a finite
     *                         number &gt; 0
     * @throws BalconException if there is no step, or the warm-up is not between 0 and {@code totalSteps} steps
     */
    public LearningRateSchedule {
        if (!(baseLearningRate > 0) || !Double.isFinite(baseLearningRate)) {
            throw new InvalidField("optimizer.lr", "must be a finite number > 0, got " + baseLearningRate);
        }
        if (totalSteps < 1) {
            throw new BalconException("training needs at least one step, got " + totalSteps
                    + " (is the dataset smaller than one batch?)");
        }
        if (warmupSteps < 0 || warmupSteps > totalSteps) {
            throw new BalconException("warm-up must be between 0 and " + totalSteps + " steps, got " + warmupSteps);
        }
    }

    /** The learning rate to use for step {@code step} (0-based). */
    public double at(long step) {
        if (step < warmupSteps) {
            return baseLearningRate * (step + 1) / warmupSteps;
        }
        long decaySteps = totalSteps - warmupSteps;
        double progress = (double) (step - warmupSteps) / decaySteps;
        return baseLearningRate * 0.5 * (1 + Math.cos(Math.PI * Math.min(1.0, progress)));
    }
}
