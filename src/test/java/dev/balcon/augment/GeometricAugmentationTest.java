package dev.balcon.augment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.balcon.BalconException;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class GeometricAugmentationTest {

    @Test
    void cropBoxesHaveAreaAndAspectWithinTheirRangesAndLieInsideTheImage() {
        RandomResizedCrop crop = new RandomResizedCrop(32, 32, 0.08, 1.0, 3.0 / 4.0, 4.0 / 3.0);
        SplittableRandom random = new SplittableRandom(1);
        int side = 224;
        double minFraction = 1;
        double maxFraction = 0;
        double fractionSum = 0;
        int draws = 20_000;
        for (int n = 0; n < draws; n++) {
            Box box = crop.sampleBox(side, side, random);
            assertThat(box.top()).isBetween(0, side - box.height());
            assertThat(box.left()).isBetween(0, side - box.width());
            double fraction = box.area() / (double) (side * side);
            // rounding w and h to integers moves the area by at most about (w + h) / 2 pixels
            double slack = (box.width() + box.height()) / 2.0 / (side * side) + 1e-9;
            assertThat(fraction).isBetween(0.08 - slack, 1.0 + slack);
            double ratio = box.width() / (double) box.height();
            double ratioSlack = 2.0 / Math.min(box.width(), box.height());
            assertThat(ratio).isBetween(0.75 * (1 - ratioSlack), 4.0 / 3.0 * (1 + ratioSlack));
            minFraction = Math.min(minFraction, fraction);
            maxFraction = Math.max(maxFraction, fraction);
            fractionSum += fraction;
        }
        assertThat(minFraction).isLessThan(0.09);
        assertThat(maxFraction).isGreaterThan(0.95);
        // draws are uniform in scale but large ones fail (w or h > side) and are redrawn, so the mean is
        // below the uniform mean 0.54 yet well above the small end
        assertThat(fractionSum / draws).isBetween(0.35, 0.54);
    }

    @Test
    void cropScaleRangeIsRespected() {
        RandomResizedCrop crop = new RandomResizedCrop(28, 28, 0.5, 0.6, 1.0, 1.0);
        SplittableRandom random = new SplittableRandom(2);
        for (int n = 0; n < 2000; n++) {
            Box box = crop.sampleBox(200, 200, random);
            assertThat(box.height()).isEqualTo(box.width());
            assertThat(box.area() / 40_000.0).isBetween(0.49, 0.61);
        }
    }

    @Test
    void cropFallsBackToTheCentralCropOfTheNearestRatioAsTorchvision() {
        SplittableRandom random = new SplittableRandom(3);
        // ratios > 1.9 with an area of at least 0.9 never fit a square: every attempt fails
        RandomResizedCrop wide = new RandomResizedCrop(8, 8, 0.9, 1.0, 4.0, 5.0);
        assertThat(wide.sampleBox(100, 100, random)).isEqualTo(new Box(37, 0, 25, 100));
        RandomResizedCrop tall = new RandomResizedCrop(8, 8, 0.9, 1.0, 0.2, 0.25);
        assertThat(tall.sampleBox(100, 100, random)).isEqualTo(new Box(0, 37, 100, 25));
        // a 2:1 image with ratios in [3, 3.5]: full width, height 120 / 3
        RandomResizedCrop wider = new RandomResizedCrop(8, 8, 0.9, 1.0, 3.0, 3.5);
        assertThat(wider.sampleBox(60, 120, random)).isEqualTo(new Box(10, 0, 40, 120));
        // boxes of 0.02 pixels round to nothing; a 2:1 image within [1.5, 2.5] falls back to the whole image
        RandomResizedCrop vanishing = new RandomResizedCrop(8, 8, 0.01, 0.01, 1.5, 2.5);
        assertThat(vanishing.sampleBox(1, 2, random)).isEqualTo(new Box(0, 0, 1, 2));
    }

    @Test
    void resizeOfALinearRampMatchesBilinearAndTheAntialiasedTriangleFilter() {
        ImageBuffer ramp = new ImageBuffer(1, 1, 4, new float[] {0, 1, 2, 3});
        Resampler.resample(ramp, new Box(0, 0, 1, 4), 1, 8);
        // enlarging: bilinear at half-pixel centres, clamped at the border
        assertThat(TestImages.copy(ramp)).containsExactly(
                new float[] {0f, 0.25f, 0.75f, 1.25f, 1.75f, 2.25f, 2.75f, 3f}, within(1e-6f));

        ImageBuffer shrink = new ImageBuffer(1, 1, 4, new float[] {0, 1, 2, 3});
        Resampler.resample(shrink, new Box(0, 0, 1, 4), 1, 2);
        // shrinking by 2: triangle of half-width 2 centred at 1 and 3, weights (.75, .75, .25) / 1.75
        assertThat(TestImages.copy(shrink)).containsExactly(new float[] {1.25f / 1.75f, 4f / 1.75f}, within(1e-6f));
    }

    @Test
    void resizeOfACropReadsOnlyTheBoxAndKeepsConstantsConstant() {
        ImageBuffer image = new ImageBuffer(2, 6, 6);
        for (int c = 0; c < 2; c++) {
            for (int y = 0; y < 6; y++) {
                for (int x = 0; x < 6; x++) {
                    boolean inBox = y >= 1 && y < 4 && x >= 2 && x < 5;
                    image.set(c, y, x, inBox ? 0.25f + c : 9f);
                }
            }
        }
        Resampler.resample(image, new Box(1, 2, 3, 3), 7, 5);
        assertThat(image.height).isEqualTo(7);
        assertThat(image.width).isEqualTo(5);
        for (int i = 0; i < 35; i++) {
            assertThat(image.data[i]).isCloseTo(0.25f, within(1e-6f));
            assertThat(image.data[35 + i]).isCloseTo(1.25f, within(1e-6f));
        }
    }

    @Test
    void flipMirrorsRowsWithProbabilityP() {
        RandomHorizontalFlip flip = new RandomHorizontalFlip(0.3);
        SplittableRandom random = new SplittableRandom(4);
        ImageBuffer original = TestImages.noise(2, 3, 5, 5);
        float[] before = TestImages.copy(original);
        int flips = 0;
        int draws = 10_000;
        for (int n = 0; n < draws; n++) {
            ImageBuffer image = new ImageBuffer(2, 3, 5, before.clone());
            flip.apply(image, random);
            if (image.get(0, 0, 0) != before[0]) {
                flips++;
                for (int c = 0; c < 2; c++) {
                    for (int y = 0; y < 3; y++) {
                        for (int x = 0; x < 5; x++) {
                            assertThat(image.get(c, y, x)).isEqualTo(original.get(c, y, 4 - x));
                        }
                    }
                }
            } else {
                assertThat(TestImages.copy(image)).containsExactly(before);
            }
        }
        // binomial standard deviation is 0.0046; 5 of them
        assertThat(flips / (double) draws).isCloseTo(0.3, within(0.023));
    }

    @Test
    void rotationByZeroIsTheIdentity() {
        ImageBuffer image = TestImages.noise(3, 9, 7, 6);
        float[] before = TestImages.copy(image);
        new RandomRotation(0).apply(image, new SplittableRandom(7));
        assertThat(TestImages.copy(image)).containsExactly(before);
    }

    @Test
    void rotationBy90DegreesTurnsCounterClockwiseAndFillsOutsideWithZero() {
        ImageBuffer image = TestImages.noise(1, 5, 5, 8);
        ImageBuffer original = new ImageBuffer(1, 5, 5, TestImages.copy(image));
        RandomRotation.rotate(image, Math.PI / 2);
        for (int y = 0; y < 5; y++) {
            for (int x = 0; x < 5; x++) {
                // the top-right corner goes to the top-left
                assertThat(image.get(0, y, x)).isEqualTo(original.get(0, x, 4 - y));
            }
        }
        ImageBuffer ones = TestImages.constant(2, 9, 9, 1f);
        RandomRotation.rotate(ones, Math.PI / 4);
        assertThat(ones.get(0, 0, 0)).isZero();
        assertThat(ones.get(1, 8, 8)).isZero();
        assertThat(ones.get(1, 4, 4)).isEqualTo(1f);
    }

    @Test
    void cutoutZeroesOneRectangleOfAnAreaWithinItsScale() {
        RandomErasing cutout = new RandomErasing(1.0, 0.02, 0.33, 0.3, 3.3);
        SplittableRandom random = new SplittableRandom(9);
        int side = 64;
        for (int n = 0; n < 500; n++) {
            ImageBuffer image = TestImages.constant(3, side, side, 1f);
            cutout.apply(image, random);
            int top = side;
            int left = side;
            int bottom = -1;
            int right = -1;
            int zeros = 0;
            for (int y = 0; y < side; y++) {
                for (int x = 0; x < side; x++) {
                    if (image.get(0, y, x) == 0f) {
                        zeros++;
                        top = Math.min(top, y);
                        bottom = Math.max(bottom, y);
                        left = Math.min(left, x);
                        right = Math.max(right, x);
                    }
                    assertThat(image.get(1, y, x)).isEqualTo(image.get(0, y, x));
                    assertThat(image.get(2, y, x)).isEqualTo(image.get(0, y, x));
                }
            }
            assertThat(zeros).as("a full rectangle").isEqualTo((bottom - top + 1) * (right - left + 1));
            double slack = (bottom - top + right - left + 2) / 2.0 / (side * side);
            assertThat(zeros / (double) (side * side)).isBetween(0.02 - slack, 0.33 + slack);
        }
    }

    @Test
    void cutoutHappensWithProbabilityP() {
        RandomErasing cutout = new RandomErasing(0.5, 0.1, 0.2, 1.0, 1.0);
        SplittableRandom random = new SplittableRandom(10);
        int erased = 0;
        for (int n = 0; n < 4000; n++) {
            ImageBuffer image = TestImages.constant(1, 16, 16, 1f);
            cutout.apply(image, random);
            if (TestImages.mean(image.data, 0, 256) < 1) {
                erased++;
            }
        }
        assertThat(erased / 4000.0).isCloseTo(0.5, within(0.04));
    }

    @Test
    void badGeometricParametersAreRejected() {
        assertThatThrownBy(() -> new RandomResizedCrop(28, 28, 0.9, 0.2, 0.75, 1.33))
                .isInstanceOf(BalconException.class).hasMessageContaining("crop scale");
        assertThatThrownBy(() -> new RandomResizedCrop(28, 28, 0.1, 1.0, 2.0, 1.0))
                .isInstanceOf(BalconException.class).hasMessageContaining("crop ratio");
        assertThatThrownBy(() -> new RandomHorizontalFlip(1.5)).isInstanceOf(BalconException.class)
                .hasMessageContaining("flip probability");
        assertThatThrownBy(() -> new RandomRotation(-10)).isInstanceOf(BalconException.class)
                .hasMessageContaining("rotation degrees");
        assertThatThrownBy(() -> new RandomErasing(-0.1, 0.02, 0.33, 0.3, 3.3)).isInstanceOf(BalconException.class)
                .hasMessageContaining("cutout probability");
    }
}
