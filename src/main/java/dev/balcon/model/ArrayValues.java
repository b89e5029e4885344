package dev.balcon.model;

import ai.djl.ndarray.NDArray;

/** Writes values into existing arrays (parameters, optimizer state) when a checkpoint is loaded. */
public final class ArrayValues {
    private ArrayValues() {}

    /**
     * Replaces the values of {@code target} with {@code values} (row-major, {@code target.size()} of them),
     * keeping its shape, name, manager and whether it requires a gradient.
     *
     * <p>Unlike {@link NDArray#set(float[])}, whose PyTorch engine path makes libtorch print "Warning:
     * AutoNonVariableTypeMode is deprecated..." on standard error, this hands {@code target} a copy that owns
     * its memory.
     *
     * @throws IllegalArgumentException if {@code values} does not hold {@code target.size()} floats
     */
    public static void overwrite(NDArray target, float[] values) {
        if (values.length != target.size()) {
            throw new IllegalArgumentException(values.length + " values for an array of shape " + target.getShape());
        }
        boolean requiresGradient = target.hasGradient();
        try (NDArray wrapped = target.getManager().create(values, target.getShape())) {
            // duplicate() clones into storage of its own; the wrapped array shares its Java buffer
            target.intern(wrapped.duplicate());
        }
        if (requiresGradient) {
            target.setRequiresGradient(true);
        }
    }
}
