package dev.balcon.train.parallel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.nn.Parameter;
import java.util.List;

/** Test support for comparing training steps: parameters as one flat vector, and the largest deviation of two. */
final class FlatParameters {
    private FlatParameters() {}

    /** The values of {@code parameters}, concatenated in their order. */
    static float[] values(List<Parameter> parameters) {
        float[][] arrays = new float[parameters.size()][];
        int total = 0;
        for (int i = 0; i < arrays.length; i++) {
            arrays[i] = parameters.get(i).getArray().toFloatArray();
            total += arrays[i].length;
        }
        float[] flat = new float[total];
        int offset = 0;
        for (float[] values : arrays) {
            System.arraycopy(values, 0, flat, offset, values.length);
            offset += values.length;
        }
        return flat;
    }

    /** max_i |actual_i - expected_i|; the lengths must agree. */
    static double maxAbsDeviation(float[] actual, float[] expected) {
        assertEquals(expected.length, actual.length);
        double deviation = 0;
        for (int i = 0; i < expected.length; i++) {
            deviation = Math.max(deviation, Math.abs(actual[i] - expected[i]));
        }
        return deviation;
    }
}
