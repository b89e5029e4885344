package dev.balcon.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.balcon.BalconException;
import java.util.List;
import org.junit.jupiter.api.Test;

class ImageDatasetTest {
    private static final List<String> NAMES = List.of("a", "b", "c");

    /** Three 2x1x2 images whose bytes are 10*image + position. */
    private static ImageDataset threeImages() {
        byte[] pixels = new byte[3 * 4];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (byte) (10 * (i / 4) + i % 4);
        }
        return new ImageDataset("toy", pixels, new int[] {2, 0, 2}, 2, 1, 2, NAMES);
    }

    @Test
    void exposesShapeLabelsAndCounts() {
        ImageDataset ds = threeImages();
        assertThat(ds.size()).isEqualTo(3);
        assertThat(ds.imageSize()).isEqualTo(4);
        assertThat(ds.numClasses()).isEqualTo(3);
        assertThat(ds.classCounts()).containsExactly(1, 0, 2);
        assertThat(ds.pixelOffset(2)).isEqualTo(8);
        assertThat(ds.pixels()[ds.pixelOffset(1) + 3]).isEqualTo((byte) 13);
        assertThat(ds.label(1)).isZero();
    }

    @Test
    void labelsAreCopiedInAndOut() {
        int[] labels = {0, 1};
        ImageDataset ds = new ImageDataset("x", new byte[2], labels, 1, 1, 1, NAMES);
        labels[0] = 2;
        ds.labels()[1] = 2;
        assertThat(ds.labels()).containsExactly(0, 1);
    }

    @Test
    void sourceIdsFollowTheImagesThroughSubsetsAndDefaultToTheIndex() {
        ImageDataset plain = threeImages();
        assertThat(plain.sourceIds()).isNull();
        assertThat(plain.id(2)).isEqualTo("2");
        ImageDataset files = plain.withSourceIds(List.of("a/x.png", "b/y.png", "a/z.png"));
        assertThat(files.pixels()).isSameAs(plain.pixels());
        ImageDataset subset = files.subset(new int[] {2, 0}, "sub");
        assertThat(subset.sourceIds()).containsExactly("a/z.png", "a/x.png");
        assertThat(subset.id(1)).isEqualTo("a/x.png");
        assertThat(plain.subset(new int[] {1}, "sub").sourceIds()).isNull();
        assertThatThrownBy(() -> plain.withSourceIds(List.of("one")))
                .isInstanceOf(BalconException.class).hasMessageContaining("one source id per image (3), got 1");
    }

    @Test
    void subsetCopiesChosenImagesInOrderWithRepeats() {
        ImageDataset subset = threeImages().subset(new int[] {2, 0, 2}, "sub");
        assertThat(subset.name()).isEqualTo("sub");
        assertThat(subset.labels()).containsExactly(2, 2, 2);
        assertThat(subset.pixels()).containsExactly(20, 21, 22, 23, 0, 1, 2, 3, 20, 21, 22, 23);
        assertThat(subset.classNames()).isEqualTo(NAMES);
    }

    @Test
    void subsetRejectsIndexOutOfRange() {
        assertThatThrownBy(() -> threeImages().subset(new int[] {0, 3}, "bad"))
                .isInstanceOf(BalconException.class).hasMessageContaining("index 3").hasMessageContaining("[0, 3)");
    }

    @Test
    void rejectsInconsistentSizes() {
        assertThatThrownBy(() -> new ImageDataset("x", new byte[5], new int[] {0, 1}, 1, 1, 2, NAMES))
                .isInstanceOf(BalconException.class).hasMessageContaining("expected 4 pixel bytes")
                .hasMessageContaining("got 5");
        assertThatThrownBy(() -> new ImageDataset("x", new byte[0], new int[0], 0, 1, 1, NAMES))
                .isInstanceOf(BalconException.class).hasMessageContaining("0x1x1");
        assertThatThrownBy(() -> new ImageDataset("x", new byte[0], new int[0], 1, 1, 1, List.of()))
                .isInstanceOf(BalconException.class).hasMessageContaining("class name");
    }

    @Test
    void rejectsLabelOutsideClassRange() {
        assertThatThrownBy(() -> new ImageDataset("x", new byte[2], new int[] {1, 3}, 1, 1, 1, NAMES))
                .isInstanceOf(BalconException.class).hasMessageContaining("image 1").hasMessageContaining("got 3");
        assertThatThrownBy(() -> new ImageDataset("x", new byte[1], new int[] {-1}, 1, 1, 1, NAMES))
                .isInstanceOf(BalconException.class).hasMessageContaining("got -1");
    }

    @Test
    void splitsRequireMatchingClassesAndShape() {
        ImageDataset ds = threeImages();
        ImageDataset otherShape = new ImageDataset("o", new byte[4], new int[] {0}, 1, 2, 2, NAMES);
        ImageDataset otherNames = new ImageDataset("o", new byte[4], new int[] {0}, 2, 1, 2, List.of("z"));
        assertThatThrownBy(() -> new DatasetSplits(ds, otherShape)).isInstanceOf(BalconException.class)
                .hasMessageContaining("2x1x2 vs 1x2x2");
        assertThatThrownBy(() -> new DatasetSplits(ds, otherNames)).isInstanceOf(BalconException.class)
                .hasMessageContaining("class names");
        assertThat(new DatasetSplits(ds, ds.subset(new int[] {1}, "t")).test().size()).isEqualTo(1);
    }
}
