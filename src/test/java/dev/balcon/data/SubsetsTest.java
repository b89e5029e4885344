package dev.balcon.data;

import dev.balcon.BalconException;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

import static dev.balcon.data.ClassOrderedImages.identities;
import static dev.balcon.data.ClassOrderedImages.identity;
import static dev.balcon.data.ClassOrderedImages.shuffled;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SubsetsTest {

    @Test
    void proportionalCountsRoundByLargestRemainderAndSumToTheSize() {
        // CIFAR-10's 5000 per class, a limit of 10000: 1000 of each, not 5000 of the first two
        int[] cifar = new int[10];
        Arrays.fill(cifar, 5000);
        assertThat(Subsets.proportionalCounts(cifar, 10000)).containsOnly(1000);
        // shares 4.67, 3.33, 2.0: floors 4, 3, 2 and the one left goes to the largest remainder (class 0)
        assertThat(Subsets.proportionalCounts(new int[] {7, 5, 3}, 10)).containsExactly(5, 3, 2);
        // shares 3.5, 2, 1.5: two remainders of 0.5 tie, the lower class id gets the image
        assertThat(Subsets.proportionalCounts(new int[] {7, 4, 3}, 7)).containsExactly(4, 2, 1);
        assertThat(Subsets.proportionalCounts(new int[] {1, 1, 1}, 2)).containsExactly(1, 1, 0);
        assertThat(Subsets.proportionalCounts(new int[] {3, 0, 2}, 5)).containsExactly(3, 0, 2);
        assertThat(Subsets.proportionalCounts(new int[] {3, 0, 2}, 0)).containsExactly(0, 0, 0);
        assertThatThrownBy(() -> Subsets.proportionalCounts(new int[] {3, 2}, 6))
                .isInstanceOf(BalconException.class).hasMessage("subset size must be in [0, 5], got 6");
    }

    @Test
    void aStratifiedDrawOfClassOrderedImagesKeepsTheClassProportions() {
        ImageDataset images = ClassOrderedImages.of(500, 300, 200);
        int[] drawn = Subsets.stratified(images, 100, 1);
        assertThat(images.subset(drawn, "s").classCounts()).containsExactly(50, 30, 20);
        assertThat(drawn).isSorted().doesNotHaveDuplicates();

        ImageDataset limited = Subsets.limit(images, 7, 1);
        assertThat(limited.classCounts()).containsExactly(4, 2, 1);
        assertThat(limited.name()).isEqualTo("class-ordered[7 stratified, seed 1]");
        assertThat(Subsets.limit(images, 0, 1)).isSameAs(images);
        assertThat(Subsets.limit(images, 1000, 1)).isSameAs(images);
        assertThatThrownBy(() -> Subsets.limit(images, -1, 1)).isInstanceOf(BalconException.class);
    }

    @Test
    void theSameSeedDrawsTheSameImagesAndAnotherSeedOthers() {
        ImageDataset images = ClassOrderedImages.of(50, 50, 50);
        int[] first = Subsets.stratified(images, 30, 7);
        assertThat(Subsets.stratified(images, 30, 7)).isEqualTo(first);
        assertThat(Subsets.stratified(images, 30, 8)).isNotEqualTo(first);
        assertThat(images.subset(Subsets.stratified(images, 30, 8), "o").classCounts()).containsExactly(10, 10, 10);
    }

    @Test
    void anotherFileOrderSelectsTheSameImages() {
        ImageDataset images = ClassOrderedImages.of(40, 25, 10, 5);
        for (long order = 0; order < 5; order++) {
            ImageDataset reordered = shuffled(images, order);
            assertThat(identities(reordered, Subsets.stratified(reordered, 33, 3)))
                    .isEqualTo(identities(images, Subsets.stratified(images, 33, 3)));
            assertThat(identities(reordered, Subsets.perClass(reordered, new int[] {1, 2, 3, 4}, 3)))
                    .isEqualTo(identities(images, Subsets.perClass(images, new int[] {1, 2, 3, 4}, 3)));
        }
    }

    @Test
    void unlabelledImagesGetAUniformDraw() {
        ImageDataset images = ClassOrderedImages.of(60);
        int draws = 3000;
        int[] picked = new int[images.size()];
        for (int seed = 0; seed < draws; seed++) {
            for (int index : Subsets.stratified(images, 6, seed)) {
                picked[identity(images, index)]++;
            }
        }
        // each image is drawn with probability 6/60: 300 expected, sd about 16
        assertThat(IntStream.of(picked).min().getAsInt()).isGreaterThanOrEqualTo(230);
        assertThat(IntStream.of(picked).max().getAsInt()).isLessThanOrEqualTo(370);
    }

    @Test
    void perClassDrawsExactCountsOfDistinctImagesUniformlyWithinAClass() {
        ImageDataset images = ClassOrderedImages.of(10, 20, 30);
        int[] chosen = Subsets.perClass(images, new int[] {4, 0, 7}, 42);
        assertThat(images.subset(chosen, "s").classCounts()).containsExactly(4, 0, 7);
        assertThat(chosen).isSorted().doesNotHaveDuplicates();

        int[] picked = new int[images.size()];
        for (int seed = 0; seed < 3000; seed++) {
            for (int index : Subsets.perClass(images, new int[] {3, 0, 0}, seed)) {
                picked[index]++;
            }
        }
        // each of the 10 class-0 images is picked with probability 3/10: 900 expected, sd about 25
        assertThat(Arrays.stream(picked, 0, 10).min().getAsInt()).isGreaterThanOrEqualTo(800);
        assertThat(Arrays.stream(picked, 0, 10).max().getAsInt()).isLessThanOrEqualTo(1000);
        assertThat(Arrays.copyOfRange(picked, 10, 60)).containsOnly(0);
    }

    @Test
    void perClassRejectsTooManyAndWrongLength() {
        ImageDataset images = ClassOrderedImages.of(10, 20, 30);
        assertThatThrownBy(() -> Subsets.perClass(images, new int[] {11, 0, 0}, 1))
                .isInstanceOf(BalconException.class)
                .hasMessageContaining("class 'c0' (id 0)").hasMessageContaining("has 10 images, asked for 11");
        assertThatThrownBy(() -> Subsets.perClass(images, new int[] {1, 1}, 1))
                .isInstanceOf(BalconException.class).hasMessageContaining("3 entries");
    }

    @Test
    void identicalImagesAreInterchangeable() {
        // two copies of every image: a draw takes the same pixels whichever copy it picks
        ImageDataset once = ClassOrderedImages.of(20, 20);
        int[] twice = IntStream.range(0, 2 * once.size()).map(i -> i % once.size()).toArray();
        ImageDataset doubled = once.subset(twice, "doubled");
        List<Integer> drawn = IntStream.of(Subsets.stratified(doubled, 10, 5)).map(i -> identity(doubled, i))
                .boxed().sorted().toList();
        List<Integer> drawnShuffled = IntStream.of(Subsets.stratified(shuffled(doubled, 1), 10, 5))
                .map(i -> identity(shuffled(doubled, 1), i)).boxed().sorted().toList();
        assertThat(drawnShuffled).isEqualTo(drawn);
    }
}
