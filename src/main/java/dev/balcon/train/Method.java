package dev.balcon.train;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import dev.balcon.model.ContrastiveModel;
import dev.balcon.train.parallel.ShardedLoss;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A self-supervised method that plugs into the one training loop ({@link Pretrainer}, {@link TrainStep}), in the
 * spirit of solo-learn's {@code BaseMethod} ({@code solo/methods/base.py}): it owns its networks, says which
 * parameters its optimiser updates, computes the loss of one two-view batch, does its after-step work and adds its
 * own state to checkpoints. The loop owns everything else: data, augmentation, the learning-rate schedule, the
 * backward pass, checkpoints and metrics.
 *
 * <p>Every method trains a {@link ContrastiveModel} (backbone + projector), {@link #model()}: that network is what
 * checkpoints store first, what evaluation reads backbone features from and what {@code export} writes, whatever
 * the method. Heads only a method has (a predictor) and copies it keeps (an EMA target) are its own, stored by
 * {@link #saveState}. See docs/methods.md for how to add a method.
 */
public abstract class Method implements AutoCloseable {
    private final String name;
    private final ContrastiveModel model;
    private final List<Parameter> trainable;
    private final SgdMomentum optimizer;

    /**
     * @param name        the method's name, as in {@link Methods#NAMES} and config.json
     * @param model       the network trained (backbone + projector); this method closes it
     * @param heads       the method's own trainable parameters besides the model's (a predictor's), in a stable order
     * @param momentum    SGD momentum, in [0, 1)
     * @param weightDecay L2 weight decay, >= 0 (not on one-dimensional parameters)
     */
    protected Method(String name, ContrastiveModel model, List<Parameter> heads, double momentum, double weightDecay) {
        this.name = name;
        this.model = model;
        List<Parameter> parameters = new ArrayList<>(model.trainableParameters());
        parameters.addAll(heads);
        this.trainable = List.copyOf(parameters);
        this.optimizer = new SgdMomentum(trainable, momentum, weightDecay);
    }

    /** The method's name: simclr, moco, byol, simsiam. */
    public final String name() {
        return name;
    }

    /** The network trained: its backbone features are what evaluation, the instruments and export use. */
    public final ContrastiveModel model() {
        return model;
    }

    /** The parameters the optimiser updates: the model's trainable ones, then the method's own heads. */
    public final List<Parameter> trainableParameters() {
        return trainable;
    }

    /** SGD with momentum over {@link #trainableParameters()}. */
    public final SgdMomentum optimizer() {
        return optimizer;
    }

    /**
     * The loss of one batch of view pairs, to be differentiated: called inside the step's {@code GradientCollector},
     * with the networks in training mode (batch-norm batch statistics, running statistics updated).
     *
     * @param parameters the step's parameter store
     * @param view1      float32 images {@code [N, C, H, W]}, attached to the step's manager
     * @param view2      the other view of the same images, same shape, row i the same image as in {@code view1}
     * @return a scalar, attached to {@code view1}'s manager
     */
    public abstract NDArray loss(ParameterStore parameters, NDArray view1, NDArray view2);

    /**
     * This method's loss in data-parallel form over shards ({@link dev.balcon.train.parallel.DataParallelStep}), if
     * the averaged gradient of the shards is the whole batch's gradient: present for the methods with negatives
     * (simclr gathers them across shards, moco takes them from its queue); empty by default (byol and simsiam
     * compare no negatives, so sharding would only change their batch-norm statistics).
     */
    public Optional<ShardedLoss> shardedLoss() {
        return Optional.empty();
    }

    /**
     * Work after the optimiser's update (a momentum encoder's EMA update); nothing by default.
     *
     * @param step       the 0-based index of the optimiser step just taken
     * @param totalSteps the run's planned number of optimiser steps (schedules run over it)
     */
    public void afterStep(long step, long totalSteps) {}

    /** Writes the state this method keeps besides the model and the optimiser; nothing by default. */
    public void saveState(DataOutputStream out) throws IOException {}

    /**
     * Restores what {@link #saveState} wrote.
     *
     * @throws dev.balcon.BalconException if the stored state does not fit this method's networks; the method may then
     *     be partly restored, and is to be discarded
     */
    public void loadState(DataInputStream in) throws IOException {}

    /** Number of NaN or infinite values in the state of {@link #saveState}; 0 by default. */
    public long nonFiniteStateValues() {
        return 0;
    }

    /** Frees the model and the method's own networks. */
    @Override
    public void close() {
        model.close();
    }
}
