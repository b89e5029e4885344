package dev.balcon.data;

import dev.balcon.BalconException;
import dev.balcon.InvalidField;
import dev.balcon.train.PretrainConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DatasetsTest {

    /** A run configuration that differs from the defaults only in its data options. */
    static PretrainConfig config(String kind, Path data, String evalData, String profile, double rho, int profileMax,
                                 boolean twin) {
        return PretrainConfig.builder().width(4).projectorHidden(16).projectorOut(8).batchSize(16).dataset(kind).dataDir(data == null ? null : data.toString())
                .epochs(1).learningRate(0.1).warmupEpochs(0).seed(3).boundMonitor(false).imageSize(16).channels(3)
                .testFraction(0.25).evalData(evalData).classProfile(profile).rho(rho).profileMax(profileMax)
                .balancedTwin(twin).build();
    }

    /** Labels of {@code ds} with the class counts of {@code counts}, in order, one image per pixel value. */
    private static ImageDataset labelled(int... counts) {
        int total = Arrays.stream(counts).sum();
        int[] labels = new int[total];
        byte[] pixels = new byte[total];
        int next = 0;
        for (int c = 0; c < counts.length; c++) {
            for (int k = 0; k < counts[c]; k++, next++) {
                labels[next] = c;
                pixels[next] = (byte) next;
            }
        }
        List<String> names = IntStream.range(0, counts.length).mapToObj(c -> "c" + c).toList();
        return new ImageDataset("counts", pixels, labels, 1, 1, 1, names);
    }

    private static Set<Integer> pixelValues(ImageDataset ds) {
        Set<Integer> values = new HashSet<>();
        for (byte b : ds.pixels()) {
            values.add(b & 0xFF);
        }
        return values;
    }

    @Test
    void stratifiedSplitHoldsOutTheFractionOfEachClassDisjointlyAndSeeded() {
        ImageDataset all = labelled(40, 21, 2, 1);
        DatasetSplits split = Datasets.stratifiedSplit(all, 0.25, 5);

        // round(n * 0.25), at least one when n >= 2, never the whole class
        assertThat(split.test().classCounts()).containsExactly(10, 5, 1, 0);
        assertThat(split.train().classCounts()).containsExactly(30, 16, 1, 1);
        Set<Integer> train = pixelValues(split.train());
        Set<Integer> test = pixelValues(split.test());
        assertThat(train).doesNotContainAnyElementsOf(test);
        assertThat(train.size() + test.size()).isEqualTo(all.size());
        assertThat(pixelValues(Datasets.stratifiedSplit(all, 0.25, 5).test())).isEqualTo(test);
        assertThat(pixelValues(Datasets.stratifiedSplit(all, 0.25, 6).test())).isNotEqualTo(test);
        assertThatThrownBy(() -> Datasets.stratifiedSplit(all, 0, 5))
                .isInstanceOfSatisfying(InvalidField.class,
                        e -> assertThat(e.field()).isEqualTo("data.selection.testFraction"));
    }

    @Test
    void imageFolderWithTrainAndTestLoadsBothAtTheRequestedShape(@TempDir Path dir) throws IOException {
        ImageTrees.writeSplitTree(dir, 5, 2);
        Datasets.Loaded loaded = Datasets.load(config("imagefolder", dir, null, "none", 100, 0, false).dataSelection());

        assertThat(loaded.train().classNames()).isEqualTo(ImageTrees.CLASSES);
        assertThat(loaded.train().classCounts()).containsExactly(5, 5, 5);
        assertThat(loaded.test().classCounts()).containsExactly(2, 2, 2);
        assertThat(new int[] {loaded.train().channels(), loaded.train().height(), loaded.train().width()})
                .containsExactly(3, 16, 16);
        assertThat(loaded.notes()).hasSize(2).allSatisfy(note -> assertThat(note).contains("images in 3 classes"));
    }

    @Test
    void imageFolderWithoutTestFolderGetsAHeldOutSplitAndSaysSo(@TempDir Path dir) throws IOException {
        ImageTrees.writeClasses(dir, new int[] {8, 8, 4}, 3);
        Datasets.Loaded loaded = Datasets.load(config("imagefolder", dir, null, "none", 100, 0, false).dataSelection());

        assertThat(loaded.test().classCounts()).containsExactly(2, 2, 1);
        assertThat(loaded.train().classCounts()).containsExactly(6, 6, 3);
        assertThat(loaded.notes()).anySatisfy(note -> assertThat(note).contains("has no test/ sub-folder",
                "held out 25% of each class", "15 train, 5 test"));
    }

    @Test
    void unlabelledFolderIsOneClassOfAllImagesAndNeedsEvalDataForKnn(@TempDir Path dir) throws IOException {
        Path tree = ImageTrees.writeSplitTree(dir.resolve("tree"), 4, 2);
        PretrainConfig unlabelled = config("unlabelled-folder", tree, null, "none", 100, 0, false);
        Datasets.Loaded loaded = Datasets.load(unlabelled.dataSelection());

        assertThat(loaded.labelled()).isFalse();
        assertThat(loaded.train().size()).isEqualTo(3 * 4 + 3 * 2);
        assertThat(loaded.train().classNames()).containsExactly("unlabelled");
        assertThatThrownBy(() -> Datasets.evaluationSplits(unlabelled.data()))
                .isInstanceOf(InvalidField.class).hasMessageStartingWith("data.evalData is needed: k-NN needs labelled");

        DatasetSplits evaluation = Datasets.evaluationSplits(
                config("unlabelled-folder", tree, tree.toString(), "none", 100, 0, false).data());
        assertThat(evaluation.train().classCounts()).containsExactly(4, 4, 4);
        assertThat(evaluation.test().height()).isEqualTo(16);
    }

    @Test
    void listFilesGiveLabelsAndAHeldOutSplitWithoutTestList(@TempDir Path dir) throws IOException {
        ImageTrees.writeClasses(dir.resolve("images"), new int[] {4, 4, 4}, 4);
        StringBuilder lines = new StringBuilder();
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < 4; i++) {
                lines.append(String.format("%s/img-%03d.png %d%n", ImageTrees.CLASSES.get(c), i, c));
            }
        }
        Path list = Files.writeString(dir.resolve("train.txt"), lines);
        Datasets.Loaded loaded = Datasets.load(new DataSelection("list", dir.resolve("images").toString(),
                list.toString(), null, 8, 1, false, 0.25, null, 0, 0, 0));

        assertThat(loaded.train().classCounts()).containsExactly(3, 3, 3);
        assertThat(loaded.test().classCounts()).containsExactly(1, 1, 1);
        assertThat(loaded.train().channels()).isEqualTo(1);
        assertThat(loaded.train().height()).isEqualTo(8);
    }

    @Test
    void aValidationFractionHoldsOutPartOfTheTrainSplitInPlaceOfTheTestSplit(@TempDir Path dir) throws IOException {
        ImageTrees.writeClasses(dir.resolve("train"), new int[] {8, 8, 8}, 4);
        ImageTrees.writeClasses(dir.resolve("test"), new int[] {2, 2, 2}, 4);
        DataSelection plain = new DataSelection("imagefolder", dir.toString(), null, null, 8, 1, false, 0.2, null, 5, 0, 0);
        DataSelection validation = new DataSelection("imagefolder", dir.toString(), null, null, 8, 1, false, 0.2, null, 5,
                0, 0.25);
        Datasets.Loaded all = Datasets.load(plain);
        Datasets.Loaded held = Datasets.load(validation);

        assertThat(held.train().classCounts()).containsExactly(6, 6, 6);
        assertThat(held.test().classCounts()).containsExactly(2, 2, 2);
        Set<String> fit = new HashSet<>(held.train().sourceIds());
        Set<String> validationIds = new HashSet<>(held.test().sourceIds());
        assertThat(fit).doesNotContainAnyElementsOf(validationIds);
        // the two together are the train split, and none of the test split's images is among them
        Set<String> union = new HashSet<>(fit);
        union.addAll(validationIds);
        assertThat(union).isEqualTo(new HashSet<>(all.train().sourceIds()));
        assertThat(union).doesNotContainAnyElementsOf(all.test().sourceIds());
        assertThat(held.notes()).anyMatch(note -> note.contains("the test split is not used"));
        // seeded: the same draw again, another with another data seed
        assertThat(Datasets.load(validation).test().sourceIds()).isEqualTo(held.test().sourceIds());
        DataSelection otherSeed = new DataSelection("imagefolder", dir.toString(), null, null, 8, 1, false, 0.2, null, 6,
                0, 0.25);
        assertThat(Datasets.load(otherSeed).test().sourceIds()).isNotEqualTo(held.test().sourceIds());
    }

    @Test
    void aValidationFractionNeedsLabelsAndCannotBeCombinedWithEvalData(@TempDir Path dir) throws IOException {
        ImageTrees.writeClasses(dir, new int[] {4, 4, 4}, 4);
        assertThatThrownBy(() -> Datasets.load(new DataSelection("unlabelled-folder", dir.toString(), null, null, 8, 1,
                false, 0.2, null, 0, 0, 0.25))).isInstanceOf(BalconException.class)
                .hasMessageContaining("validationFraction needs class labels");
        PretrainConfig withEvalData = config("imagefolder", dir, dir.toString(), "none", 100, 0, false).toBuilder()
                .validationFraction(0.25).build();
        assertThatThrownBy(() -> Datasets.evaluationSplits(withEvalData.data())).isInstanceOf(BalconException.class)
                .hasMessageContaining("validationFraction and evalData cannot be combined");
    }

    @Test
    void exponentialProfileFollowsTheFormulaAndIsStoredWithTheTrainingSet(@TempDir Path dir) throws IOException {
        ImageTrees.writeClasses(dir, new int[] {12, 11, 10}, 5);
        Datasets.TrainingSet set = Datasets.trainingSet(config("imagefolder", dir, null, "exp", 4, 8, false).data());

        // n_i = floor(n_max * rho^(-i / (K - 1))): 8, 8 / 2, 8 / 4
        assertThat(set.images().classCounts()).containsExactly(8, 4, 2);
        assertThat((int[]) set.summary().get("class_counts")).containsExactly(8, 4, 2);
        assertThat(set.notes()).anySatisfy(note -> assertThat(note).contains("class profile exp (rho 4, n_max 8)",
                "[8, 4, 2] (total 14)"));
    }

    @Test
    void balancedTwinHasExactlyTheLongTailedTotalSpreadEvenly(@TempDir Path dir) throws IOException {
        ImageTrees.writeClasses(dir, new int[] {12, 11, 12}, 6);
        PretrainConfig twin = config("imagefolder", dir, null, "exp", 4, 0, true);
        Datasets.TrainingSet set = Datasets.trainingSet(twin.data());

        // held out 25%: 9, 8, 9 train images; n_max 0 takes the smallest, 8: long tail 8, 4, 2 (total 14)
        int[] counts = set.images().classCounts();
        assertThat(Arrays.stream(counts).sum()).isEqualTo(8 + 4 + 2);
        assertThat(counts).containsExactly(5, 5, 4);
        @SuppressWarnings("unchecked")
        var profile = (java.util.Map<String, Object>) set.summary().get("profile");
        assertThat((int[]) profile.get("long_tailed_counts")).containsExactly(8, 4, 2);
        assertThat(profile.get("total")).isEqualTo(14);
        // the images drawn are distinct images of the training split
        assertThat(set.images().size()).isEqualTo(14);
    }

    @Test
    void profileErrorsNameTheField(@TempDir Path dir) throws IOException {
        ImageTrees.writeClasses(dir, new int[] {12, 12, 12}, 7);
        assertThatThrownBy(() -> Datasets.trainingSet(config("imagefolder", dir, null, "exp", 20, 8, false).data()))
                .isInstanceOf(InvalidField.class).hasMessageStartingWith("data.rho 20.0 leaves the tail class")
                .hasMessageContaining("rho <= 8");
        assertThatThrownBy(() -> Datasets.trainingSet(config("imagefolder", dir, null, "pareto", 2, 50, false).data()))
                .isInstanceOf(InvalidField.class).hasMessageStartingWith("data.profileMax 50 is too many")
                .hasMessageContaining("lower it");
        assertThatThrownBy(() -> config("imagefolder", dir, null, "exp", 0.5, 0, false))
                .isInstanceOf(BalconException.class).hasMessageStartingWith("data.rho");
        assertThatThrownBy(() -> config("imagefolder", dir, null, "none", 100, 0, true))
                .isInstanceOf(BalconException.class).hasMessageStartingWith("data.balancedTwin");
    }

    /** The decoded images of {@code ds}, each as its pixel bytes, so that two loads can be compared by image. */
    private static Set<String> images(ImageDataset ds) {
        Set<String> images = new HashSet<>();
        for (int i = 0; i < ds.size(); i++) {
            byte[] one = Arrays.copyOfRange(ds.pixels(), ds.pixelOffset(i), ds.pixelOffset(i) + ds.imageSize());
            assertThat(images.add(Arrays.toString(one))).as("image %d of %s is unique", i, ds.name()).isTrue();
        }
        return images;
    }

    /** A list file of {@code images/<class>/img-NNN.png} lines, {@code perClass} per class, in class order. */
    private static List<String> listLines(int perClass) {
        List<String> lines = new java.util.ArrayList<>();
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < perClass; i++) {
                lines.add(String.format("%s/img-%03d.png %d", ImageTrees.CLASSES.get(c), i, c));
            }
        }
        return lines;
    }

    @Test
    void aTrainLimitOnAClassOrderedFolderKeepsTheClassProportions(@TempDir Path dir) throws IOException {
        ImageTrees.writeSplitTree(dir, 6, 2);
        PretrainConfig limited = PretrainConfig.builder().dataset("imagefolder").dataDir(dir.toString()).imageSize(16)
                .trainLimit(9).build();
        Datasets.TrainingSet set = Datasets.trainingSet(limited.data());

        // 6 + 6 + 6 images stored class after class: 9 of them are 3 of each class, not the first 9 files
        assertThat(set.images().classCounts()).containsExactly(3, 3, 3);
        assertThat((int[]) set.summary().get("class_counts")).containsExactly(3, 3, 3);
        assertThat(Datasets.trainingImages(limited.data(), Datasets.load(limited.dataSelection()).train())).isEqualTo(9);
        // fewer images than classes: the note says which share is missing
        assertThat(Datasets.trainingSet(limited.toBuilder().trainLimit(2).build().data()).notes()).anySatisfy(note ->
                assertThat(note).contains("per-class counts [1, 1, 0] (total 2); 1 class(es) get no image at this limit"));
        // more than there are: all of them, and the note says so
        Datasets.TrainingSet all = Datasets.trainingSet(limited.toBuilder().trainLimit(1000).build().data());
        assertThat(all.images().size()).isEqualTo(18);
        assertThat(all.notes()).contains("train limit 1000: the train split has only 18 images, all are used");
    }

    @Test
    void theTrainLimitAndTheHeldOutSplitSelectTheSameFilesWhateverTheListOrder(@TempDir Path dir) throws IOException {
        ImageTrees.writeClasses(dir.resolve("images"), new int[] {8, 8, 8}, 4);
        List<String> lines = listLines(8);
        Path inOrder = Files.write(dir.resolve("ordered.txt"), lines);
        List<String> mixed = new java.util.ArrayList<>(lines);
        java.util.Collections.shuffle(mixed, new java.util.Random(3));
        Path shuffledList = Files.write(dir.resolve("shuffled.txt"), mixed);
        PretrainConfig.Builder base = PretrainConfig.builder().dataset("list").dataDir(dir.resolve("images").toString())
                .imageSize(8).testFraction(0.25).trainLimit(9);
        Datasets.TrainingSet ordered = Datasets.trainingSet(base.trainList(inOrder.toString()).build().data());
        Datasets.TrainingSet reordered = Datasets.trainingSet(base.trainList(shuffledList.toString()).build().data());

        assertThat(ordered.test().classCounts()).containsExactly(2, 2, 2);
        assertThat(images(reordered.test())).isEqualTo(images(ordered.test()));
        assertThat(ordered.images().classCounts()).containsExactly(3, 3, 3);
        assertThat(images(reordered.images())).isEqualTo(images(ordered.images()));
    }

    @Test
    void theHeldOutSplitDoesNotDependOnTheImageOrder() {
        ImageDataset all = ClassOrderedImages.of(40, 21, 2, 1);
        DatasetSplits split = Datasets.stratifiedSplit(all, 0.25, 5);
        for (long order = 0; order < 3; order++) {
            DatasetSplits reordered = Datasets.stratifiedSplit(ClassOrderedImages.shuffled(all, order), 0.25, 5);
            assertThat(ClassOrderedImages.identities(reordered.test())).isEqualTo(ClassOrderedImages.identities(split.test()));
        }
    }

    @Test
    void theClassProfileDrawDoesNotDependOnTheImageOrder() {
        ImageDataset train = ClassOrderedImages.of(30, 30, 30);
        PretrainConfig profiled = PretrainConfig.builder().classProfile("exp").rho(4).profileMax(20).build();
        ClassProfileSubset profile = ClassProfileSubset.plan(profiled.data(), train);
        ImageDataset drawn = profile.draw(train, 9);
        assertThat(drawn.classCounts()).containsExactly(20, 10, 5);
        assertThat(ClassOrderedImages.identities(profile.draw(ClassOrderedImages.shuffled(train, 1), 9)))
                .isEqualTo(ClassOrderedImages.identities(drawn));
    }

    @Test
    void theSubsetFollowsTheDataSeedNotTheTrainingSeed(@TempDir Path dir) throws IOException {
        ImageTrees.writeSplitTree(dir, 10, 2);
        PretrainConfig.Builder limited = PretrainConfig.builder().dataset("imagefolder").dataDir(dir.toString())
                .imageSize(16).trainLimit(12);
        Set<String> seed0 = images(Datasets.trainingSet(limited.seed(0).build().data()).images());
        Set<String> seed1 = images(Datasets.trainingSet(limited.seed(1).build().data()).images());
        Datasets.TrainingSet otherData = Datasets.trainingSet(limited.seed(0).dataSeed(1).build().data());

        assertThat(seed1).isEqualTo(seed0);
        assertThat(images(otherData.images())).isNotEqualTo(seed0);
        assertThat(otherData.images().classCounts()).containsExactly(4, 4, 4);
        assertThat(otherData.notes()).anySatisfy(note -> assertThat(note).contains(
                "train limit 12: a stratified draw (data seed 1), per-class counts [4, 4, 4] (total 12)"));
    }

    @Test
    void theEvaluationFoldersHeldOutSplitFollowsTheDataSeedToo(@TempDir Path dir) throws IOException {
        Path eval = dir.resolve("eval");
        ImageTrees.writeClasses(eval, new int[] {8, 8, 8}, 8);
        PretrainConfig.Builder run = PretrainConfig.builder().dataset("imagefolder").dataDir(eval.toString())
                .imageSize(16).evalData(eval.toString()).testFraction(0.25);
        Set<String> seed0 = images(Datasets.evaluationSplits(run.seed(0).build().data()).test());
        assertThat(images(Datasets.evaluationSplits(run.seed(1).build().data()).test())).isEqualTo(seed0);
        assertThat(images(Datasets.evaluationSplits(run.seed(0).dataSeed(1).build().data()).test())).isNotEqualTo(seed0);
    }
}
