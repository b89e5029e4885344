package dev.balcon.train;

import dev.balcon.InvalidField;
import dev.balcon.loss.LossSettings;

/**
 * The method group of a run's configuration ({@code method} in config.json): the self-supervised method, its momentum
 * encoder and queue, and its loss.
 *
 * @param name        the method, one of {@link Methods#NAMES} (docs/methods.md); null (a config.json written before
 *                    methods existed) reads as simclr
 * @param momentumTau EMA rate of a momentum encoder, in [0, 1]: byol's base rate, raised to 1 by a cosine over the
 *                    run; moco's, constant; null = the method's default (0.99 for both); only for methods with such an
 *                    encoder
 * @param queueSize   number of keys in moco's queue of negatives, &gt;= 1; null = the method's default (4096 for
 *                    moco); only for moco. Need not be a multiple of 2 x batchSize: keys are written at the queue
 *                    pointer modulo queueSize, so a step's keys may wrap around the end (docs/methods.md)
 * @param loss        the contrastive loss of simclr and moco; byol and simsiam have a loss of their own and take
 *                    {@link LossSettings#defaults()} only
 */
public record MethodConfig(String name, Double momentumTau, Integer queueSize, LossSettings loss) {

    public MethodConfig {
        // a config.json written before methods existed trained SimCLR
        name = name == null ? Methods.SIMCLR : name;
        loss = loss == null ? LossSettings.defaults() : loss;
        if (!Methods.NAMES.contains(name)) {
            throw new InvalidField("method.name", "must be one of " + Methods.NAMES + ", got '" + name + "'");
        }
        if (momentumTau != null && Methods.defaultMomentumTau(name) == null) {
            throw new InvalidField("method.momentumTau", "applies to methods with a momentum encoder only; method "
                    + name + " has none");
        }
        if (momentumTau != null && !(momentumTau >= 0 && momentumTau <= 1)) {
            throw new InvalidField("method.momentumTau", "must be in [0, 1], got " + momentumTau);
        }
        if (queueSize != null && Methods.defaultQueueSize(name) == null) {
            throw new InvalidField("method.queueSize", "applies to moco only; method " + name + " has no queue");
        }
        if (queueSize != null && queueSize < 1) {
            throw new InvalidField("method.queueSize", "must be >= 1, got " + queueSize);
        }
        if (!Methods.usesLossFamily(name) && !loss.isDefault()) {
            throw new InvalidField("method.loss", "(preset, tau, alpha, lambda, nu, similarity, scaleByInvAlpha) is "
                    + "simclr's and moco's; method " + name + " has a loss of its own, so leave it at its defaults");
        }
        momentumTau = momentumTau == null ? Methods.defaultMomentumTau(name) : momentumTau;
        queueSize = queueSize == null ? Methods.defaultQueueSize(name) : queueSize;
    }

    /** The defaults: simclr with {@link LossSettings#defaults()}. */
    public static MethodConfig defaults() {
        return new MethodConfig(Methods.SIMCLR, null, null, LossSettings.defaults());
    }

    /** Method {@code newName} with its own momentum and queue defaults and this loss. */
    public MethodConfig withName(String newName) {
        return new MethodConfig(newName, null, null, loss);
    }

    public MethodConfig withLoss(LossSettings newLoss) {
        return new MethodConfig(name, momentumTau, queueSize, newLoss);
    }
}
