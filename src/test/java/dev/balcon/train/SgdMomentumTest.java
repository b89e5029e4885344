package dev.balcon.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.initializer.ConstantInitializer;
import dev.balcon.BalconException;
import dev.balcon.InvalidField;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class SgdMomentumTest {

    private static Parameter parameter(NDManager manager, String name, Shape shape, float value) {
        Parameter parameter = Parameter.builder().setName(name).setType(Parameter.Type.WEIGHT)
                .optShape(shape).optInitializer(new ConstantInitializer(value)).build();
        parameter.initialize(manager, DataType.FLOAT32);
        parameter.getArray().setRequiresGradient(true);
        return parameter;
    }

    /** loss = sum(c * w) so that the gradient is exactly c. */
    private static void backward(List<Parameter> parameters, float c) {
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDArray loss = null;
            for (Parameter parameter : parameters) {
                NDArray term = parameter.getArray().mul(c).sum();
                loss = loss == null ? term : loss.add(term);
            }
            collector.backward(loss);
        }
    }

    @Test
    void followsPyTorchMomentumAndDecaysOnlyMatrices() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Parameter matrix = parameter(manager, "w", new Shape(2, 2), 1f);
            Parameter bias = parameter(manager, "b", new Shape(2), 1f);
            List<Parameter> parameters = List.of(matrix, bias);
            SgdMomentum optimizer = new SgdMomentum(parameters, 0.9, 0.1);
            double lr = 0.5;
            double g = 2;
            // step 1: v = g + wd w ; w -= lr v
            backward(parameters, (float) g);
            optimizer.step(lr);
            double vMatrix = g + 0.1 * 1;
            double wMatrix = 1 - lr * vMatrix;
            double vBias = g;
            double wBias = 1 - lr * vBias;
            assertThat((double) matrix.getArray().getFloat(0, 0)).isCloseTo(wMatrix, within(1e-6));
            assertThat((double) bias.getArray().getFloat(0)).isCloseTo(wBias, within(1e-6));
            // step 2: v = m v + g + wd w
            backward(parameters, (float) g);
            optimizer.step(lr);
            vMatrix = 0.9 * vMatrix + g + 0.1 * wMatrix;
            wMatrix -= lr * vMatrix;
            vBias = 0.9 * vBias + g;
            wBias -= lr * vBias;
            assertThat((double) matrix.getArray().getFloat(1, 1)).isCloseTo(wMatrix, within(1e-5));
            assertThat((double) bias.getArray().getFloat(1)).isCloseTo(wBias, within(1e-5));
        }
    }

    @Test
    void zeroesTheGradientsKeepsTheArraysNamesAndSavesBuffersInTheCallersOrder() throws Exception {
        // the update visits undecayed parameters first; none of that may show outside
        try (NDManager manager = NDManager.newBaseManager()) {
            Parameter matrix = parameter(manager, "w", new Shape(2, 3), 1f);
            Parameter bias = parameter(manager, "b", new Shape(4), 1f);
            String matrixName = matrix.getArray().getName();
            SgdMomentum optimizer = new SgdMomentum(List.of(matrix, bias), 0.9, 0.1);
            backward(List.of(matrix, bias), 3f);
            optimizer.step(0.5);

            assertThat(matrix.getArray().getGradient().toFloatArray()).containsOnly(0f);
            assertThat(bias.getArray().getGradient().toFloatArray()).containsOnly(0f);
            assertThat(matrix.getArray().getName()).isEqualTo(matrixName);
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            optimizer.save(new DataOutputStream(bytes));
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes.toByteArray()));
            assertThat(in.readInt()).isEqualTo(2);
            assertThat(in.readInt()).as("rank of the first buffer, the matrix's").isEqualTo(2);
            assertThat(new long[] {in.readLong(), in.readLong()}).containsExactly(2, 3);
            // v = g + wd w = 3 + 0.1
            assertThat((double) in.readFloat()).isCloseTo(3.1, within(1e-6));
        }
    }

    @Test
    void momentumBuffersSurviveASaveLoadRoundTrip() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Parameter first = parameter(manager, "w", new Shape(3, 2), 1f);
            SgdMomentum optimizer = new SgdMomentum(List.of(first), 0.9, 0);
            backward(List.of(first), 1f);
            optimizer.step(0.1);
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            optimizer.save(new DataOutputStream(bytes));

            Parameter second = parameter(manager, "w", new Shape(3, 2), (float) first.getArray().getFloat(0, 0));
            SgdMomentum restored = new SgdMomentum(List.of(second), 0.9, 0);
            restored.load(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
            backward(List.of(first), 1f);
            optimizer.step(0.1);
            backward(List.of(second), 1f);
            restored.step(0.1);
            assertThat(second.getArray().toFloatArray()).containsExactly(first.getArray().toFloatArray());

            Parameter other = parameter(manager, "w", new Shape(2, 2), 1f);
            SgdMomentum mismatched = new SgdMomentum(List.of(other), 0.9, 0);
            assertThatThrownBy(() -> mismatched.load(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray()))))
                    .isInstanceOf(BalconException.class).hasMessageContaining("shape");
        }
    }

    @Test
    void rejectsInvalidHyperParameters() {
        assertThatThrownBy(() -> new SgdMomentum(List.of(), 1.0, 0)).isInstanceOf(InvalidField.class)
                .hasMessage("optimizer.momentum must be in [0, 1), got 1.0");
        assertThatThrownBy(() -> new SgdMomentum(List.of(), 0.9, -1)).isInstanceOf(InvalidField.class)
                .hasMessage("optimizer.weightDecay must be a finite number >= 0, got -1.0");
    }
}
