package dev.balcon.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import dev.balcon.BalconException;
import dev.balcon.loss.Scalars;
import dev.balcon.model.ArrayValues;
import dev.balcon.model.ContrastiveModel;
import dev.balcon.model.PredictorHead;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;

/**
 * BYOL (Grill et al., 2020): an online network (the model: backbone + projector, then a {@link PredictorHead})
 * predicts the projection a target network gives the other view. The target is an exponential moving average of
 * the online backbone and projector, updated after every step with rate
 * {@code tau_k = 1 - (1 - tau_base) (cos(pi k / K) + 1) / 2} for step {@code k} of {@code K} (section 3.2; as
 * solo-learn's {@code MomentumUpdater}), so tau rises from {@code tau_base} to 1. The loss is the normalised MSE
 * {@code |p/|p| - t/|t||^2 = 2 - 2 cos(p, t)} averaged over the batch, summed over both view orders (the paper's
 * symmetrised {@code L + L~}), so in [0, 8]; no gradient reaches the target (stop-gradient).
 *
 * <p>The target runs in training mode, as solo-learn's momentum backbone: its batch norms use the batch's statistics
 * and keep running statistics of their own; the EMA covers the trainable parameters only. Both views go through each
 * network in one forward pass (batch-norm statistics over all 2N views, as balcon's SimCLR).
 */
public final class Byol extends Method {
    private final PredictorHead predictor;
    private final ContrastiveModel target;
    private final double tauBase;

    /**
     * BYOL training {@code model} and {@code predictor} with SGD, its target {@code target} set to a copy of
     * {@code model}; this method closes all three.
     *
     * @param tauBase the EMA rate at the first step, in [0, 1]
     * @throws BalconException if {@code target} has another architecture than {@code model}
     */
    public Byol(ContrastiveModel model, PredictorHead predictor, ContrastiveModel target, double tauBase,
                double momentum, double weightDecay) {
        super(Methods.BYOL, model, predictor.trainableParameters(), momentum, weightDecay);
        if (!target.config().equals(model.config())) {
            throw new BalconException("the target network is " + target.config() + "; the model is " + model.config());
        }
        this.predictor = predictor;
        this.target = target;
        this.tauBase = tauBase;
        List<Pair<String, Parameter>> online = model.namedParameters();
        for (int i = 0; i < online.size(); i++) {
            ArrayValues.overwrite(target.namedParameters().get(i).getValue().getArray(),
                    online.get(i).getValue().getArray().toFloatArray());
        }
    }

    /** The predictor q. */
    public PredictorHead predictor() {
        return predictor;
    }

    /** The target network (an EMA of the model). */
    public ContrastiveModel target() {
        return target;
    }

    /** The EMA rate after step {@code step} (0-based) of {@code totalSteps}: tau_base at 0, rising to 1 by a cosine. */
    public double tau(long step, long totalSteps) {
        return 1 - (1 - tauBase) * (Math.cos(Math.PI * step / totalSteps) + 1) / 2;
    }

    @Override
    public NDArray loss(ParameterStore parameters, NDArray view1, NDArray view2) {
        long n = view1.getShape().get(0);
        NDArray views = NDArrays.concat(new NDList(view1, view2));
        NDArray p = predictor.forward(parameters, model().forward(parameters, views, true).get(1), true);
        NDArray t = target.forward(parameters, views, true).get(1).stopGradient();
        NDIndex first = new NDIndex("0:{}", n);
        NDIndex second = new NDIndex("{}:", n);
        NDArray l12 = Scalars.add(Scalars.mul(Methods.rowCosine(p.get(first), t.get(second)).mean(), -2), 2);
        NDArray l21 = Scalars.add(Scalars.mul(Methods.rowCosine(p.get(second), t.get(first)).mean(), -2), 2);
        return l12.add(l21);
    }

    /** target = tau target + (1 - tau) online, over the trainable parameters. */
    @Override
    public void afterStep(long step, long totalSteps) {
        double tau = tau(step, totalSteps);
        List<Parameter> online = model().trainableParameters();
        List<Parameter> ema = target.trainableParameters();
        for (int i = 0; i < online.size(); i++) {
            NDArray targetArray = ema.get(i).getArray();
            try (NDManager scratch = targetArray.getManager().newSubManager()) {
                NDArray update = online.get(i).getArray().mul(1 - tau);
                update.attach(scratch);
                targetArray.muli(tau).addi(update);
            }
        }
    }

    /** The predictor's parameters, then the target network's (batch-norm statistics included). */
    @Override
    public void saveState(DataOutputStream out) throws IOException {
        predictor.saveParameters(out);
        target.saveParameters(out);
    }

    @Override
    public void loadState(DataInputStream in) throws IOException {
        predictor.loadParameters(in);
        target.loadParameters(in);
    }

    @Override
    public long nonFiniteStateValues() {
        return predictor.nonFiniteParameterValues() + target.nonFiniteParameterValues();
    }

    @Override
    public void close() {
        predictor.close();
        target.close();
        super.close();
    }
}
