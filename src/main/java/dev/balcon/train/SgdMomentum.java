package dev.balcon.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import dev.balcon.BalconException;
import dev.balcon.InvalidField;
import dev.balcon.model.ArrayValues;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * SGD with heavy-ball momentum and decoupled-from-nothing L2 weight decay, with PyTorch's semantics
 * ({@code v = m v + (g + wd w); w -= lr v}). Written here rather than taken from DJL so that the momentum
 * buffers are ours to checkpoint: DJL's optimizers keep them private, which would make resume lossy.
 * Weight decay skips one-dimensional parameters (biases, batch-norm scales and shifts), as is usual
 * for SimCLR (solo-learn's exclude_bias_n_norm).
 */
public final class SgdMomentum {
    private final List<Parameter> parameters;
    private final List<NDArray> velocities;
    private final double momentum;
    private final double weightDecay;

    /**
     * @param parameters  the parameters to update, each with a zero velocity
     * @param momentum    the momentum m, in [0, 1) (config.json's optimizer.momentum)
     * @param weightDecay the L2 weight decay, finite and &gt;= 0 (config.json's optimizer.weightDecay)
     * @throws InvalidField naming the config.json field ({@code optimizer.momentum}, {@code optimizer.weightDecay})
     *     of a value out of range
     */
    public SgdMomentum(List<Parameter> parameters, double momentum, double weightDecay) {
        if (!(momentum >= 0 && momentum < 1)) {
            throw new InvalidField("optimizer.momentum", "must be in [0, 1), got " + momentum);
        }
        if (!(weightDecay >= 0) || !Double.isFinite(weightDecay)) {
            throw new InvalidField("optimizer.weightDecay", "must be a finite number >= 0, got " + weightDecay);
        }
        this.parameters = List.copyOf(parameters);
        this.momentum = momentum;
        this.weightDecay = weightDecay;
        this.velocities = new ArrayList<>(parameters.size());
        for (Parameter parameter : parameters) {
            NDArray weight = parameter.getArray();
            NDArray velocity = weight.getManager().zeros(weight.getShape(), weight.getDataType(), weight.getDevice());
            velocity.setName(parameter.getName() + ".velocity");
            velocities.add(velocity);
        }
    }

    /** Applies one update from the gradients the last backward pass left on the parameters. */
    public void step(double learningRate) {
        for (int i = 0; i < parameters.size(); i++) {
            NDArray weight = parameters.get(i).getArray();
            NDArray velocity = velocities.get(i);
            // Every temporary, the gradient handle included, is attached to `scratch` and freed with it: results of
            // NDArray operations land in their first operand's manager (here the model's, which lives for the whole
            // run), and a gradient handle kept alive makes PyTorch allocate a fresh .grad on the next backward.
            try (NDManager scratch = weight.getManager().newSubManager()) {
                NDArray gradient = weight.getGradient();
                gradient.attach(scratch);
                if (weightDecay > 0 && weight.getShape().dimension() > 1) {
                    NDArray decay = weight.mul(weightDecay);
                    decay.attach(scratch);
                    velocity.muli(momentum).addi(gradient).addi(decay);
                } else {
                    velocity.muli(momentum).addi(gradient);
                }
                NDArray update = velocity.mul(learningRate);
                update.attach(scratch);
                weight.subi(update);
                // Backward passes accumulate into .grad; clear it for the next step (as DJL's optimizers do).
                gradient.subi(gradient);
            }
        }
    }

    public void save(DataOutputStream out) throws IOException {
        out.writeInt(velocities.size());
        for (NDArray velocity : velocities) {
            long[] shape = velocity.getShape().getShape();
            out.writeInt(shape.length);
            for (long dimension : shape) {
                out.writeLong(dimension);
            }
            float[] values = velocity.toType(DataType.FLOAT32, false).toFloatArray();
            for (float value : values) {
                out.writeFloat(value);
            }
        }
    }

    public void load(DataInputStream in) throws IOException {
        int count = in.readInt();
        if (count != velocities.size()) {
            throw new BalconException("checkpoint's optimizer state has " + count + " buffers, the model has "
                    + velocities.size() + " parameters: the checkpoint belongs to another architecture");
        }
        for (NDArray velocity : velocities) {
            int rank = in.readInt();
            if (rank != velocity.getShape().dimension()) {
                throw new BalconException("checkpoint's optimizer buffer " + velocity.getName() + " has " + rank
                        + " dimensions, expected " + velocity.getShape());
            }
            long[] shape = new long[rank];
            for (int d = 0; d < shape.length; d++) {
                shape[d] = in.readLong();
            }
            if (!new Shape(shape).equals(velocity.getShape())) {
                throw new BalconException("checkpoint's optimizer buffer " + velocity.getName() + " has shape "
                        + new Shape(shape) + ", expected " + velocity.getShape());
            }
            float[] values = new float[(int) velocity.size()];
            for (int j = 0; j < values.length; j++) {
                values[j] = in.readFloat();
            }
            ArrayValues.overwrite(velocity, values);
        }
    }
}
