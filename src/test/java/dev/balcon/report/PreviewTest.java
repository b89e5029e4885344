package dev.balcon.report;

import dev.balcon.InvalidField;
import dev.balcon.augment.AugmentationRecipe;
import dev.balcon.data.ClassOrderedImages;
import dev.balcon.data.ImageDataset;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PreviewTest {

    @Test
    void theRowsAreASeededDrawOneClassAfterTheOtherWhateverTheImageOrder() {
        ImageDataset images = ClassOrderedImages.of(10, 10, 2);
        int[] rows = Preview.roundRobin(images, 7, 4);
        // one of each class, then a second of each, then the third row skips the exhausted class... here 3, 3, 1
        assertThat(Arrays.stream(rows).map(images::label).toArray()).containsExactly(0, 1, 2, 0, 1, 2, 0);
        assertThat(Arrays.stream(rows).map(i -> i % 10).distinct().count()).as("not the first of each class").isGreaterThan(2);

        ImageDataset reordered = ClassOrderedImages.shuffled(images, 2);
        assertThat(ClassOrderedImages.identities(reordered, Preview.roundRobin(reordered, 7, 4)))
                .isEqualTo(ClassOrderedImages.identities(images, rows));
        assertThat(ClassOrderedImages.identities(images, Preview.roundRobin(images, 7, 5)))
                .isNotEqualTo(ClassOrderedImages.identities(images, rows));
        assertThat(Preview.roundRobin(images, 30, 4)).hasSize(22);
    }

    @Test
    void countsOutOfRangeNameTheirParameter() {
        ImageDataset images = ClassOrderedImages.of(10, 10, 2);
        AugmentationRecipe recipe = AugmentationRecipe.named("none");
        assertThatThrownBy(() -> Preview.render(images, recipe, 2, 0, 1, 0)).isInstanceOf(InvalidField.class)
                .hasMessage("pairs must be >= 1, got 0");
        assertThatThrownBy(() -> Preview.render(images, recipe, 50, 1, 1, 0)).isInstanceOf(InvalidField.class)
                .hasMessageStartingWith("images 50 is more than");
    }
}
