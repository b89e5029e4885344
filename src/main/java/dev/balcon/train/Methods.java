package dev.balcon.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.balcon.BalconException;
import dev.balcon.loss.Scalars;
import dev.balcon.model.ContrastiveModel;
import dev.balcon.model.PredictorHead;

import java.util.List;

/**
 * The registry of {@link Method}s and the one place a run's method (networks, optimiser, loss) is built from its
 * configuration, for {@link Pretrainer} and the benchmark alike. Adding a method adds a name here and a case to
 * {@link #create} (docs/methods.md).
 */
public final class Methods {
    public static final String SIMCLR = "simclr";
    public static final String MOCO = "moco";
    public static final String BYOL = "byol";
    public static final String SIMSIAM = "simsiam";
    /** The methods {@code PretrainConfig.method} may name. */
    public static final List<String> NAMES = List.of(SIMCLR, MOCO, BYOL, SIMSIAM);
    /** BYOL's tau_base (Grill et al., 2020, section 3.2; solo-learn's default too). */
    private static final double BYOL_TAU = 0.99;
    /**
     * MoCo's momentum: 0.999 in He et al. (2020) and Chen et al. (2020) at 256 images a step over 200 epochs of
     * ImageNet; CPU runs take far fewer steps, so the key encoder follows faster (solo-learn's mocov2plus: 0.99).
     */
    private static final double MOCO_TAU = 0.99;
    /** MoCo's queue: 65536 keys in the papers, sized down for CPU runs. */
    private static final int MOCO_QUEUE_SIZE = 4096;
    /** As torch's F.normalize: rows are divided by max(|z|, 1e-12), so a zero row stays finite. */
    private static final double NORM_EPSILON = 1e-12;

    private Methods() {}

    /** Whether {@code method} trains with the contrastive loss family (loss, tau, alpha, ... apply to it). */
    public static boolean usesLossFamily(String method) {
        return method.equals(SIMCLR) || method.equals(MOCO);
    }

    /** The number of keys in {@code method}'s queue of negatives by default, or null if it keeps no queue. */
    static Integer defaultQueueSize(String method) {
        return method.equals(MOCO) ? MOCO_QUEUE_SIZE : null;
    }

    /** The base EMA rate of {@code method}'s momentum encoder, or null if it has none. */
    static Double defaultMomentumTau(String method) {
        return switch (method) {
            case BYOL -> BYOL_TAU;
            case MOCO -> MOCO_TAU;
            default -> null;
        };
    }

    /**
     * Builds the method {@code config} names, its model initialised from {@code config.seed()} for images of
     * {@code channels x height x width}, every array under {@code manager}. The caller closes the method.
     */
    public static Method create(PretrainConfig config, int channels, int height, int width, NDManager manager) {
        ContrastiveModel model = ContrastiveModel.create(config.modelConfig(channels), height, width, manager,
                config.seed());
        try {
            // the online network computes in the run's precision; heads and a momentum copy stay float32
            model.setPrecision(config.computePrecision());
            return switch (config.method().name()) {
                case SIMCLR -> new SimClr(model, config.lossConfig(), config.optimizer().momentum(), config.optimizer().weightDecay());
                case MOCO -> new MoCo(model, ContrastiveModel.create(model.config(), height, width, manager,
                        config.seed()), config.lossConfig(), config.method().momentumTau(), config.method().queueSize(),
                        config.seed() + 2, config.optimizer().momentum(), config.optimizer().weightDecay());
                case SIMSIAM -> new SimSiam(model, predictor(config, manager), config.optimizer().momentum(), config.optimizer().weightDecay());
                case BYOL -> new Byol(model, predictor(config, manager),
                        ContrastiveModel.create(model.config(), height, width, manager, config.seed()),
                        config.method().momentumTau(), config.optimizer().momentum(), config.optimizer().weightDecay());
                default -> throw new IllegalStateException("method " + config.method().name() + " passed validation");
            };
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /** A predictor on the projector's output, as wide inside as the projector, seeded apart from the model. */
    private static PredictorHead predictor(PretrainConfig config, NDManager manager) {
        return PredictorHead.create(config.model().projectorOut(), config.model().projectorHidden(), manager, config.seed() + 1);
    }

    /**
     * The cosine similarity of matching rows, {@code a_i . b_i / (|a_i| |b_i|)}, each row divided by max(its norm,
     * 1e-12) as torch's {@code F.normalize}.
     *
     * @param a float32 {@code [N, d]}
     * @param b float32 {@code [N, d]}
     * @return {@code [N]}, attached to {@code a}'s manager
     */
    static NDArray rowCosine(NDArray a, NDArray b) {
        NDArray unitA = a.div(Scalars.maximum(a.norm(new int[] {1}, true), NORM_EPSILON));
        NDArray unitB = b.div(Scalars.maximum(b.norm(new int[] {1}, true), NORM_EPSILON));
        return unitA.mul(unitB).sum(new int[] {1});
    }
}
