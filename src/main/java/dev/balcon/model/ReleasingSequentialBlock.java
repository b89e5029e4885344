package dev.balcon.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * A {@link SequentialBlock} that closes each intermediate output as soon as the next child has consumed
 * it. Without this every activation stays referenced by its NDManager until the caller closes the batch's
 * manager, so the peak memory of a training step holds all of them at once; with it, only what autograd
 * saved for the backward pass survives (closing an array drops its handle, not a tensor autograd still
 * references), as in PyTorch. The block's own inputs belong to the caller and are never closed.
 */
class ReleasingSequentialBlock extends SequentialBlock {

    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore, NDList inputs, boolean training, PairList<String, Object> params) {
        NDList current = inputs;
        for (Block child : getChildren().values()) {
            NDList next = child.forward(parameterStore, current, training, params);
            if (current != inputs) {
                closeAllBut(current, next);
            }
            current = next;
        }
        return current;
    }

    /** Closes the arrays of {@code consumed} that {@code kept} does not pass on (a child may return its input). */
    static void closeAllBut(NDList consumed, NDList kept) {
        for (NDArray array : consumed) {
            if (kept.stream().noneMatch(k -> k == array)) {
                array.close();
            }
        }
    }
}
