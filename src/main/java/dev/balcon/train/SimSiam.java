package dev.balcon.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.training.ParameterStore;
import dev.balcon.loss.Scalars;
import dev.balcon.model.ContrastiveModel;
import dev.balcon.model.PredictorHead;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * SimSiam (Chen and He, 2021, Algorithm 1): projections {@code z = g(f(x))} and predictions {@code p = h(z)} of both
 * views, the loss {@code D(p1, sg(z2)) / 2 + D(p2, sg(z1)) / 2} with {@code D(p, z) = -cos(p, z)} averaged over the
 * batch, so in [-1, 1]; the stop-gradient {@code sg} is what keeps it from collapsing. No negatives, no momentum
 * encoder. Both views go through the networks in one forward pass (batch-norm statistics over all 2N views, as
 * balcon's SimCLR; the paper forwards each view on its own). The projector is the model's (3 layers, output with a
 * bias and no batch norm, where the paper ends in a batch norm); the predictor is a {@link PredictorHead} with the
 * projector's hidden width.
 */
public final class SimSiam extends Method {
    private final PredictorHead predictor;

    /** SimSiam training {@code model} and {@code predictor} with SGD; this method closes both. */
    public SimSiam(ContrastiveModel model, PredictorHead predictor, double momentum, double weightDecay) {
        super(Methods.SIMSIAM, model, predictor.trainableParameters(), momentum, weightDecay);
        this.predictor = predictor;
    }

    /** The predictor h. */
    public PredictorHead predictor() {
        return predictor;
    }

    @Override
    public NDArray loss(ParameterStore parameters, NDArray view1, NDArray view2) {
        long n = view1.getShape().get(0);
        NDArray z = model().forward(parameters, NDArrays.concat(new NDList(view1, view2)), true).get(1);
        NDArray p = predictor.forward(parameters, z, true);
        NDArray target = z.stopGradient();
        NDIndex first = new NDIndex("0:{}", n);
        NDIndex second = new NDIndex("{}:", n);
        NDArray d12 = Methods.rowCosine(p.get(first), target.get(second)).mean().neg();
        NDArray d21 = Methods.rowCosine(p.get(second), target.get(first)).mean().neg();
        return Scalars.div(d12.add(d21), 2);
    }

    /** The predictor's parameters (batch-norm statistics included). */
    @Override
    public void saveState(DataOutputStream out) throws IOException {
        predictor.saveParameters(out);
    }

    @Override
    public void loadState(DataInputStream in) throws IOException {
        predictor.loadParameters(in);
    }

    @Override
    public long nonFiniteStateValues() {
        return predictor.nonFiniteParameterValues();
    }

    @Override
    public void close() {
        predictor.close();
        super.close();
    }
}
