package dev.balcon.analysis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.balcon.BalconException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ViewEmbeddingsTest {

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    @Test
    void reportsItsDimensionsAndProtectsItsLabels() {
        int[] labels = {0, 1, 1};
        ViewEmbeddings e = new ViewEmbeddings(manager.zeros(new Shape(3, 4, 5)), labels, 2);
        labels[0] = 1;
        e.labels()[1] = 0;

        assertThat(e.images()).isEqualTo(3);
        assertThat(e.viewsPerImage()).isEqualTo(4);
        assertThat(e.dimension()).isEqualTo(5);
        assertThat(e.labels()).containsExactly(0, 1, 1);
    }

    @Test
    void aClassWithoutImagesIsNamed() {
        NDArray views = manager.zeros(new Shape(3, 2, 4));

        assertThatThrownBy(() -> new ViewEmbeddings(views, new int[] {0, 2, 0}, 3))
                .isInstanceOf(BalconException.class).hasMessageContaining("class 1 has no images");
    }

    @Test
    void labelsMustMatchTheImagesAndLieInRange() {
        NDArray views = manager.zeros(new Shape(3, 2, 4));

        assertThatThrownBy(() -> new ViewEmbeddings(views, new int[] {0, 1}, 2))
                .isInstanceOf(BalconException.class).hasMessageContaining("labels has 2 entries")
                .hasMessageContaining("N = 3");
        assertThatThrownBy(() -> new ViewEmbeddings(views, new int[] {0, 1, 2}, 2))
                .isInstanceOf(BalconException.class).hasMessageContaining("labels[2] = 2");
        assertThatThrownBy(() -> new ViewEmbeddings(views, new int[] {0, -1, 1}, 2))
                .isInstanceOf(BalconException.class).hasMessageContaining("labels[1] = -1");
        assertThatThrownBy(() -> new ViewEmbeddings(views, null, 2))
                .isInstanceOf(BalconException.class).hasMessageContaining("labels");
        assertThatThrownBy(() -> new ViewEmbeddings(views, new int[] {0, 0, 0}, 0))
                .isInstanceOf(BalconException.class).hasMessageContaining("numClasses must be >= 1");
    }

    @Test
    void viewsMustBeAThreeDimensionalFloat32ArrayWithAtLeastOneView() {
        assertThatThrownBy(() -> new ViewEmbeddings(manager.zeros(new Shape(3, 4)), new int[] {0, 0, 0}, 1))
                .isInstanceOf(BalconException.class).hasMessageContaining("[N, K, D]");
        assertThatThrownBy(() -> new ViewEmbeddings(
                manager.zeros(new Shape(3, 2, 4), DataType.FLOAT64), new int[] {0, 0, 0}, 1))
                .isInstanceOf(BalconException.class).hasMessageContaining("float32").hasMessageContaining("got float64");
        assertThatThrownBy(() -> new ViewEmbeddings(manager.zeros(new Shape(3, 0, 4)), new int[] {0, 0, 0}, 1))
                .isInstanceOf(BalconException.class).hasMessageContaining("K >= 1");
        assertThatThrownBy(() -> new ViewEmbeddings(null, new int[] {0}, 1))
                .isInstanceOf(BalconException.class).hasMessageContaining("views");
    }

    @Test
    void nonFiniteValuesAreLocated() {
        float[] values = new float[3 * 2 * 4];
        values[(2 * 2 + 1) * 4 + 3] = Float.NaN;
        NDArray withNan = manager.create(values, new Shape(3, 2, 4));
        values[(2 * 2 + 1) * 4 + 3] = 0;
        values[(1 * 2) * 4] = Float.NEGATIVE_INFINITY;
        NDArray withInfinity = manager.create(values, new Shape(3, 2, 4));

        assertThatThrownBy(() -> new ViewEmbeddings(withNan, new int[] {0, 0, 0}, 1))
                .isInstanceOf(BalconException.class).hasMessageContaining("in 1 of 3 images")
                .hasMessageContaining("image 2, view 1");
        assertThatThrownBy(() -> new ViewEmbeddings(withInfinity, new int[] {0, 0, 0}, 1))
                .isInstanceOf(BalconException.class).hasMessageContaining("image 1, view 0");
    }
}
