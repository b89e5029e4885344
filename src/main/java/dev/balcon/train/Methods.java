package dev.balcon.train;

import ai.djl.ndarray.NDManager;
import dev.balcon.BalconException;
import dev.balcon.model.ContrastiveModel;

import java.util.List;

/**
 * The registry of {@link Method}s and the one place a run's method (networks, optimiser, loss) is built from its
 * configuration, for {@link Pretrainer} and the benchmark alike. Adding a method adds a name here and a case to
 * {@link #create} (docs/methods.md).
 */
public final class Methods {
    public static final String SIMCLR = "simclr";
    /** The methods {@code PretrainConfig.method} may name. */
    public static final List<String> NAMES = List.of(SIMCLR);

    private Methods() {}

    /**
     * Checks a method name and its momentum setting.
     *
     * @param momentumTau the base EMA rate given, or null for the method's default
     * @throws BalconException naming the field: an unknown method, or a momentumTau for a method without a momentum
     *     encoder or outside [0, 1]
     */
    static void validate(String method, Double momentumTau) {
        if (!NAMES.contains(method)) {
            throw new BalconException("method must be one of " + NAMES + ", got '" + method + "'");
        }
        if (momentumTau != null && defaultMomentumTau(method) == null) {
            throw new BalconException("momentumTau applies to methods with a momentum encoder only; method " + method
                    + " has none");
        }
    }

    /** The base EMA rate of {@code method}'s momentum encoder, or null if it has none. */
    static Double defaultMomentumTau(String method) {
        return null;
    }

    /**
     * Builds the method {@code config} names, its model initialised from {@code config.seed()} for images of
     * {@code channels x height x width}, every array under {@code manager}. The caller closes the method.
     */
    public static Method create(PretrainConfig config, int channels, int height, int width, NDManager manager) {
        ContrastiveModel model = ContrastiveModel.create(config.modelConfig(channels), height, width, manager,
                config.seed());
        try {
            return switch (config.method()) {
                case SIMCLR -> new SimClr(model, config.lossConfig(), config.momentum(), config.weightDecay());
                default -> throw new IllegalStateException("method " + config.method() + " passed validation");
            };
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }
}
