package dev.balcon.train;

import dev.balcon.InvalidField;

/**
 * The optimiser group of a run's configuration ({@code optimizer} in config.json): SGD with heavy-ball momentum and a
 * linear warm-up into a cosine decay of the learning rate.
 *
 * @param lr           peak learning rate (after warm-up), finite and &gt; 0
 * @param momentum     SGD momentum, in [0, 1)
 * @param weightDecay  L2 weight decay (not on biases and batch-norm parameters), finite and &gt;= 0
 * @param warmupEpochs linear warm-up length in epochs (fractions allowed), &gt;= 0 and at most the run's epochs
 *                     (checked by {@link PretrainConfig})
 */
public record OptimizerConfig(double lr, double momentum, double weightDecay, double warmupEpochs) {

    public OptimizerConfig {
        if (!(lr > 0) || !Double.isFinite(lr)) {
            throw new InvalidField("optimizer.lr", "must be a finite number > 0, got " + lr);
        }
        if (!(momentum >= 0 && momentum < 1)) {
            throw new InvalidField("optimizer.momentum", "must be in [0, 1), got " + momentum);
        }
        if (!(weightDecay >= 0) || !Double.isFinite(weightDecay)) {
            throw new InvalidField("optimizer.weightDecay", "must be a finite number >= 0, got " + weightDecay);
        }
        if (!(warmupEpochs >= 0) || !Double.isFinite(warmupEpochs)) {
            throw new InvalidField("optimizer.warmupEpochs", "must be a finite number >= 0, got " + warmupEpochs);
        }
    }

    /** The defaults: lr 0.3, momentum 0.9, weight decay 5e-4, one warm-up epoch. */
    public static OptimizerConfig defaults() {
        return new OptimizerConfig(0.3, 0.9, 5e-4, 1);
    }

    public OptimizerConfig withLr(double newLr) {
        return new OptimizerConfig(newLr, momentum, weightDecay, warmupEpochs);
    }

    public OptimizerConfig withWarmupEpochs(double newWarmupEpochs) {
        return new OptimizerConfig(lr, momentum, weightDecay, newWarmupEpochs);
    }
}
