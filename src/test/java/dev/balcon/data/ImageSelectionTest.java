package dev.balcon.data;

import org.junit.jupiter.api.Test;

import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/** The per-class draws of the instruments: the bound monitor's probe and the bias measurement's --per-class. */
class ImageSelectionTest {

    @Test
    void aBalancedDrawOfClassOrderedImagesTakesTheSameNumberFromEveryClass() {
        ImageDataset test = ClassOrderedImages.of(30, 20, 10);
        int[] chosen = ImageSelection.balanced(test, 4, 1, "perClass");
        assertThat(test.subset(chosen, "probe").classCounts()).containsExactly(4, 4, 4);
        assertThat(chosen).isSorted().doesNotHaveDuplicates();
        assertThat(IntStream.of(chosen).filter(i -> i < 4).count()).as("not the first images of each class").isLessThan(4);
    }

    @Test
    void theProbeAndThePerClassSampleDoNotDependOnTheImageOrder() {
        ImageDataset test = ClassOrderedImages.of(30, 20, 10);
        for (long seed : new long[] {0, 20250101L}) {
            var expected = ClassOrderedImages.identities(test, ImageSelection.balanced(test, 5, seed, "perClass"));
            for (long order = 0; order < 3; order++) {
                ImageDataset reordered = ClassOrderedImages.shuffled(test, order);
                assertThat(ClassOrderedImages.identities(reordered,
                        ImageSelection.balanced(reordered, 5, seed, "perClass"))).isEqualTo(expected);
            }
        }
    }
}
