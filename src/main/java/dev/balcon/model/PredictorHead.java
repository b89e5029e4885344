package dev.balcon.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.UniformInitializer;
import ai.djl.training.initializer.XavierInitializer;
import ai.djl.training.initializer.XavierInitializer.FactorType;
import ai.djl.training.initializer.XavierInitializer.RandomType;
import ai.djl.util.Pair;
import dev.balcon.BalconException;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;

/**
 * The predictor of BYOL and SimSiam, on top of the projector: {@code Linear(dim, hidden) -> BN -> ReLU ->
 * Linear(hidden, dim)}, as BYOL's (Grill et al., 2020, section 3.3) and solo-learn's {@code solo/methods/byol.py}.
 * The hidden linear layer has no bias (the batch norm after it would cancel it); the output layer has one.
 * Initialised as PyTorch's {@code nn.Linear}: weights and output bias {@code U(-1/sqrt(fan_in), 1/sqrt(fan_in))}.
 *
 * <p>Parameters live in a sub-manager of the manager given to {@link #create}; their names start with
 * {@code "predictor."}.
 */
public final class PredictorHead implements AutoCloseable {
    private final NDManager parameterManager;
    private final Block mlp;
    private final List<Pair<String, Parameter>> namedParameters;

    private PredictorHead(Block mlp, NDManager parameterManager) {
        this.mlp = mlp;
        this.parameterManager = parameterManager;
        this.namedParameters = mlp.getParameters().stream()
                .map(p -> new Pair<>("predictor." + p.getKey(), p.getValue())).toList();
    }

    /**
     * Builds the predictor and initialises it from {@code seed} (reseeding the engine's global generator, as
     * {@link ContrastiveModel#create} does).
     *
     * @param dim    input and output width (the projector's output dimension), >= 1
     * @param hidden hidden width, >= 1
     * @throws BalconException if a width is below 1
     */
    public static PredictorHead create(int dim, int hidden, NDManager manager, long seed) {
        if (dim < 1 || hidden < 1) {
            throw new BalconException("predictor widths must be >= 1, got " + dim + " and " + hidden);
        }
        Linear output = Linear.builder().setUnits(dim).optBias(true).build();
        output.setInitializer(new UniformInitializer((float) (1 / Math.sqrt(hidden))), Parameter.Type.BIAS);
        SequentialBlock mlp = new ReleasingSequentialBlock()
                .add(Linear.builder().setUnits(hidden).optBias(false).build())
                .add(new BatchNorm())
                .add(Activation.reluBlock())
                .add(output);
        mlp.setInitializer(new XavierInitializer(RandomType.UNIFORM, FactorType.IN, 1f), Parameter.Type.WEIGHT);
        NDManager parameterManager = manager.newSubManager();
        try {
            Engine.getInstance().setRandomSeed(Long.hashCode(seed));
            mlp.initialize(parameterManager, DataType.FLOAT32, new Shape(2, dim));
            return new PredictorHead(mlp, parameterManager);
        } catch (RuntimeException e) {
            parameterManager.close();
            throw e;
        }
    }

    /**
     * The predictions {@code [B, dim]} of projections {@code [B, dim]}, attached to the input's manager.
     *
     * @param training true to normalise with batch statistics and update the running statistics
     */
    public NDArray forward(ParameterStore ps, NDArray projections, boolean training) {
        return mlp.forward(ps, new NDList(projections), training).singletonOrThrow();
    }

    /** The parameters updated by gradient descent, in a stable order. */
    public List<Parameter> trainableParameters() {
        return namedParameters.stream().map(Pair::getValue).filter(Parameter::requiresGradient).toList();
    }

    /** Every parameter, batch-norm running statistics included, named {@code "predictor."} + DJL's name. */
    public List<Pair<String, Parameter>> namedParameters() {
        return namedParameters;
    }

    /** Writes every parameter ({@link NamedParameters#write}). */
    public void saveParameters(DataOutputStream out) throws IOException {
        NamedParameters.write(out, namedParameters);
    }

    /** Restores what {@link #saveParameters} wrote; throws as {@link NamedParameters#read}, changing nothing. */
    public void loadParameters(DataInputStream in) throws IOException {
        NamedParameters.read(in, namedParameters, "predictor");
    }

    /** Number of parameter values, running statistics included, that are NaN or infinite. */
    public long nonFiniteParameterValues() {
        return NamedParameters.nonFinite(namedParameters);
    }

    /** Frees the parameters. */
    @Override
    public void close() {
        parameterManager.close();
    }
}
