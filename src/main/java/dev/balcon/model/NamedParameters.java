package dev.balcon.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import dev.balcon.BalconException;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The checkpoint form of a network's named parameters, shared by the model and the methods' heads: the count, then
 * per parameter its name, rank, shape and float32 values (little-endian).
 */
public final class NamedParameters {
    private NamedParameters() {}

    /** Writes every parameter of {@code named}, in its order. */
    public static void write(DataOutputStream out, List<Pair<String, Parameter>> named) throws IOException {
        out.writeInt(named.size());
        for (Pair<String, Parameter> parameter : named) {
            NDArray array = parameter.getValue().getArray();
            out.writeUTF(parameter.getKey());
            long[] shape = array.getShape().getShape();
            out.writeInt(shape.length);
            for (long dim : shape) {
                out.writeLong(dim);
            }
            float[] values = array.toFloatArray();
            ByteBuffer bytes = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            bytes.asFloatBuffer().put(values);
            out.write(bytes.array());
        }
    }

    /**
     * Replaces every parameter of {@code named} with what {@link #write} wrote; nothing is changed unless all of them
     * match by name and shape.
     *
     * @param what the network's name in messages ("model", "predictor")
     * @throws BalconException "checkpoint does not match the WHAT: ..." if the count, a name or a shape differs
     */
    public static void read(DataInputStream in, List<Pair<String, Parameter>> named, String what) throws IOException {
        int count = in.readInt();
        if (count != named.size()) {
            throw mismatch(what, "checkpoint has " + count + " parameters, " + what + " has " + named.size());
        }
        List<float[]> values = new ArrayList<>(count);
        for (Pair<String, Parameter> parameter : named) {
            String name = in.readUTF();
            long[] expected = parameter.getValue().getArray().getShape().getShape();
            int rank = in.readInt();
            if (rank != expected.length) {
                throw mismatch(what, "checkpoint parameter " + name + " has " + rank + " dimensions where the " + what
                        + " has " + parameter.getKey() + " " + Arrays.toString(expected));
            }
            long[] shape = new long[rank];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = in.readLong();
            }
            if (!name.equals(parameter.getKey()) || !Arrays.equals(shape, expected)) {
                throw mismatch(what, "checkpoint parameter " + name + " " + Arrays.toString(shape) + " where the "
                        + what + " has " + parameter.getKey() + " " + Arrays.toString(expected));
            }
            byte[] bytes = new byte[Math.toIntExact(new Shape(shape).size() * Float.BYTES)];
            in.readFully(bytes);
            float[] parameterValues = new float[bytes.length / Float.BYTES];
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(parameterValues);
            values.add(parameterValues);
        }
        for (int i = 0; i < count; i++) {
            ArrayValues.overwrite(named.get(i).getValue().getArray(), values.get(i));
        }
    }

    /** Number of values of {@code named}, batch-norm running statistics included, that are NaN or infinite. */
    public static long nonFinite(List<Pair<String, Parameter>> named) {
        long count = 0;
        for (Pair<String, Parameter> parameter : named) {
            NDArray array = parameter.getValue().getArray();
            try (NDArray nan = array.isNaN();
                 NDArray infinite = array.isInfinite();
                 NDArray bad = nan.logicalOr(infinite);
                 NDArray badCount = bad.countNonzero()) {
                count += ((Number) badCount.toArray()[0]).longValue();
            }
        }
        return count;
    }

    static BalconException mismatch(String what, String detail) {
        return new BalconException("checkpoint does not match the " + what + ": " + detail);
    }
}
