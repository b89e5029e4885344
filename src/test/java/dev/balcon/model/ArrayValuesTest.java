package dev.balcon.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.engine.Engine;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ArrayValuesTest {
    @Test
    void overwriteKeepsShapeNameAndGradientAndGradientsStillFlow() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray weight = manager.zeros(new Shape(2, 3));
            weight.setName("weight");
            weight.setRequiresGradient(true);
            ArrayValues.overwrite(weight, new float[] {1, 2, 3, 4, 5, Float.NaN});
            assertThat(weight.getShape()).isEqualTo(new Shape(2, 3));
            assertThat(weight.getName()).isEqualTo("weight");
            assertThat(weight.toFloatArray()).containsExactly(1, 2, 3, 4, 5, Float.NaN);
            assertThat(weight.hasGradient()).isTrue();

            ArrayValues.overwrite(weight, new float[] {1, 2, 3, 4, 5, 6});
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                collector.backward(weight.mul(weight).sum());
            }
            // d/dw sum(w^2) = 2w: the overwritten array is still the leaf the gradient reaches
            assertThat(weight.getGradient().toFloatArray()).containsExactly(2, 4, 6, 8, 10, 12);
        }
    }

    @Test
    void overwriteOfAPlainArrayLeavesItWithoutGradientAndRejectsAWrongCount() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray velocity = manager.zeros(new Shape(3));
            ArrayValues.overwrite(velocity, new float[] {-1, 0.5f, 7});
            assertThat(velocity.toFloatArray()).containsExactly(-1, 0.5f, 7);
            assertThat(velocity.hasGradient()).isFalse();
            assertThatThrownBy(() -> ArrayValues.overwrite(velocity, new float[] {1, 2}))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2 values");
        }
    }
}
