package dev.balcon.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;

/**
 * The parameter store of a bfloat16 forward pass (autocast's rule for the CPU): the weights and biases of convolutions
 * and linear layers are handed out as bfloat16 copies, cast from the float32 parameters at each fetch so that their
 * gradients flow back to the float32 master weights; batch norm's scale, shift and running statistics are handed out
 * as they are (float32: libtorch's batch norm takes a bfloat16 input with float32 parameters). The copies belong to
 * {@code scope}, the manager of the pass's input, and are freed with it.
 */
final class Bfloat16ParameterStore extends ParameterStore {
    private final ParameterStore parameters;
    private final NDManager scope;

    Bfloat16ParameterStore(ParameterStore parameters, NDManager scope) {
        super(scope, false);
        this.parameters = parameters;
        this.scope = scope;
    }

    @Override
    public NDArray getValue(Parameter parameter, Device device, boolean training) {
        NDArray value = parameters.getValue(parameter, device, training);
        if (value == null) {
            return null;
        }
        Parameter.Type type = parameter.getType();
        if (type != Parameter.Type.WEIGHT && type != Parameter.Type.BIAS) {
            return value;
        }
        NDArray copy = Bfloat16.toBfloat16(value);
        copy.attach(scope);
        return copy;
    }

    @Override
    public NDManager getManager() {
        return scope;
    }
}
