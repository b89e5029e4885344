package dev.balcon.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.balcon.data.ImageDataset;
import dev.balcon.data.ImageFolder;
import dev.balcon.data.TestImageFiles;
import dev.balcon.data.ImageTrees;
import dev.balcon.train.PretrainConfig;
import dev.balcon.train.RunDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static dev.balcon.cli.CommandLineErrorsTest.balcon;
import static org.assertj.core.api.Assertions.assertThat;

/** The data options, preview and profile verbs through the command line, on small generated image trees. */
class DataCommandsTest {
    private static final String[] TINY_MODEL = {"--arch", "resnet-small", "--width", "4", "--proj-hidden", "16",
        "--proj-out", "8", "--batch-size", "16", "--epochs", "1", "--warmup-epochs", "0", "--lr", "0.1", "--no-progress"};

    private static String[] args(List<String> first, String... rest) {
        List<String> all = new ArrayList<>(first);
        all.addAll(List.of(rest));
        return all.toArray(String[]::new);
    }

    private static void assertOneLineError(CommandLineErrorsTest.Outcome outcome, String... fragments) {
        assertThat(outcome.status()).as(outcome.err()).isEqualTo(Main.EXIT_USER_ERROR);
        assertThat(outcome.err().strip().lines()).hasSize(1);
        assertThat(outcome.err()).startsWith("balcon: ").doesNotContain("\tat ").doesNotContain("Exception");
        for (String fragment : fragments) {
            assertThat(outcome.err()).contains(fragment);
        }
    }

    @Test
    void pretrainOnABalancedTwinOfAColourImageFolderThenKnnOnTheFullSplits(@TempDir Path dir) throws IOException {
        Path tree = ImageTrees.writeSplitTree(dir.resolve("tree"), 12, 4);
        Path cache = dir.resolve("cache");
        Path runDir = dir.resolve("run");
        CommandLineErrorsTest.Outcome pretrain = balcon(args(List.of("pretrain", "--run-dir", runDir.toString(),
                "--dataset", "imagefolder", "--data", tree.toString(), "--image-size", "16", "--cache-dir", cache.toString(),
                "--class-profile", "exp", "--rho", "4", "--profile-max", "12", "--balanced-twin"), TINY_MODEL));
        assertThat(pretrain.status()).as(pretrain.err()).isZero();
        // exp profile: floor(12 * 4^(-i/2)) = 12, 6, 3 (total 21); its balanced twin: 7 of each class
        assertThat(pretrain.out()).contains("per-class counts [12, 6, 3] (total 21)", "balanced twin [7, 7, 7] (total 21)",
                "finished 1 epochs");

        JsonNode data = new RunDirectory(runDir).readResults().get("data");
        assertThat(data.get("class_counts").toString()).isEqualTo("[7,7,7]");
        assertThat(data.get("profile").get("long_tailed_counts").toString()).isEqualTo("[12,6,3]");
        assertThat(data.get("profile").get("total").asInt()).isEqualTo(21);
        assertThat(data.get("image_shape").toString()).isEqualTo("[3,16,16]");
        PretrainConfig stored = new RunDirectory(runDir).readConfig();
        assertThat(stored.data().dataset()).isEqualTo("imagefolder");
        assertThat(stored.data().selection().imageSize()).isEqualTo(16);
        assertThat(stored.data().balancedTwin()).isTrue();
        try (var cached = Files.list(cache)) {
            assertThat(cached.filter(file -> file.getFileName().toString().endsWith(".bin"))).hasSize(2);
        }

        CommandLineErrorsTest.Outcome knn = balcon("knn", "--run-dir", runDir.toString(), "--knn-k", "5");
        assertThat(knn.status()).as(knn.err()).isZero();
        JsonNode result = new RunDirectory(runDir).readResults().get("knn");
        // evaluation uses the whole train split as memory bank, not the profiled subset
        assertThat(result.get("memory").asInt()).isEqualTo(36);
        assertThat(result.get("queries").asInt()).isEqualTo(12);
        assertThat(result.get("top1").asDouble()).isBetween(0.0, 1.0);
    }

    @Test
    void previewWritesAnEnlargedSheetWhoseFirstColumnIsTheOriginal(@TempDir Path dir) throws IOException {
        Path tree = ImageTrees.writeSplitTree(dir.resolve("tree"), 3, 1);
        Path png = dir.resolve("out/preview.png");
        CommandLineErrorsTest.Outcome outcome = balcon("preview", "--dataset", "imagefolder", "--data", tree.toString(),
                "--image-size", "16", "--no-cache", "--images", "3", "--pairs", "2", "--scale", "2", "--out", png.toString());
        assertThat(outcome.status()).as(outcome.err()).isZero();

        BufferedImage sheet = ImageIO.read(png.toFile());
        // margins of 8, 1 original + 2 pairs of 32 px cells, 8 before each pair and 2 inside it; rows 32 px, 2 apart
        assertThat(sheet.getWidth()).isEqualTo(8 + 32 + 2 * (8 + 32 + 2 + 32) + 8);
        assertThat(sheet.getHeight()).isEqualTo(8 + 3 * 32 + 2 * 2 + 8);
        assertThat(outcome.out()).contains("wrote " + png, "(" + sheet.getWidth() + "x" + sheet.getHeight() + " px)");
        assertOneLineError(balcon("preview", "--dataset", "imagefolder", "--data", tree.toString(), "--image-size", "16",
                "--no-cache", "--images", "50", "--out", png.toString()), "--images 50 is more than");
        // rows go round-robin over the classes: row c is one of the 3 images of class c, each pixel a 2x2 block
        ImageDataset train = ImageFolder.load(tree.resolve("train"), 3, 16, 16, true);
        for (int row = 0; row < 3; row++) {
            int shown = -1;
            for (int index = 3 * row; index < 3 * row + 3; index++) {
                if (drawnAt(sheet, row, train, index)) {
                    shown = index;
                }
            }
            assertThat(shown).as("row %d shows an image of class %d", row, row).isNotNegative();
        }
    }

    /** Whether row {@code row} of the sheet begins with image {@code index}, each pixel a 2x2 block. */
    private static boolean drawnAt(BufferedImage sheet, int row, ImageDataset train, int index) {
        int offset = train.pixelOffset(index);
        for (int y = 0; y < 16; y++) {
            for (int x = 0; x < 16; x++) {
                int expected = (train.pixels()[offset + y * 16 + x] & 0xFF) << 16
                        | (train.pixels()[offset + 256 + y * 16 + x] & 0xFF) << 8
                        | train.pixels()[offset + 512 + y * 16 + x] & 0xFF;
                int top = 8 + row * (32 + 2) + 2 * y;
                int left = 8 + 2 * x;
                if ((sheet.getRGB(left, top) & 0xFFFFFF) != expected || (sheet.getRGB(left + 1, top + 1) & 0xFFFFFF) != expected) {
                    return false;
                }
            }
        }
        return true;
    }

    @Test
    void profileVerbPrintsTheCountsOfEachRho() {
        CommandLineErrorsTest.Outcome outcome = balcon("profile", "--classes", "3", "--profile-max", "64", "--rho", "4,16");
        assertThat(outcome.status()).as(outcome.err()).isZero();
        // floor(64 * rho^(-i/2)): rho 4 -> 64, 32, 16; rho 16 -> 64, 16, 4
        assertThat(outcome.out().replaceAll(" +", " ")).contains("| exp rho = 4 | exp rho = 16 |", "| 0 | 64 | 64 |",
                "| 1 | 32 | 16 |", "| 2 | 16 | 4 |", "| total | 112 | 84 |", "| balanced twin, per class | 37-38 | 28 |");
    }

    @Test
    void profileVerbTellsAProfileItCannotDrawByItsOption() {
        assertOneLineError(balcon("profile", "--profile-max", "10", "--rho", "20"),
                "--rho 20.0 leaves the tail class without images at n_max 10: need rho <= 10");
        assertOneLineError(balcon("profile", "--class-profile", "none"),
                "--class-profile must be exp or pareto here, got 'none'");
    }

    @Test
    void badImageFoldersGiveOneLineErrors(@TempDir Path dir) throws IOException {
        Path run = dir.resolve("run");
        Path noClasses = Files.createDirectories(dir.resolve("no-classes"));
        assertOneLineError(balcon("pretrain", "--run-dir", run.toString(), "--dataset", "imagefolder", "--data",
                noClasses.toString(), "--no-cache"), "no class sub-folders", noClasses.toString());

        Path withEmpty = dir.resolve("with-empty");
        ImageTrees.writeClasses(withEmpty, new int[] {2, 2}, 1);
        Files.createDirectories(withEmpty.resolve("zebra"));
        assertOneLineError(balcon("pretrain", "--run-dir", run.toString(), "--dataset", "imagefolder", "--data",
                withEmpty.toString(), "--no-cache"), "class folder", "zebra", "contains no image file");

        Path missing = dir.resolve("nowhere");
        assertOneLineError(balcon("pretrain", "--run-dir", run.toString(), "--dataset", "imagefolder", "--data",
                missing.toString(), "--no-cache"), missing.toString(), "not a readable directory");
        assertOneLineError(balcon("pretrain", "--run-dir", run.toString(), "--dataset", "imagefolder"),
                "--data is needed for dataset kind imagefolder");

        Path corrupt = dir.resolve("corrupt");
        ImageTrees.writeClasses(corrupt, new int[] {2, 2}, 2);
        Files.write(corrupt.resolve("blue/broken.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
        assertOneLineError(balcon("preview", "--dataset", "imagefolder", "--data", corrupt.toString(), "--strict",
                "--no-cache", "--out", dir.resolve("p.png").toString()), "broken.png", "could not be decoded");
        CommandLineErrorsTest.Outcome lenient = balcon("preview", "--dataset", "imagefolder", "--data", corrupt.toString(),
                "--no-cache", "--images", "2", "--out", dir.resolve("p.png").toString());
        assertThat(lenient.status()).as(lenient.err()).isZero();
        assertThat(lenient.out()).contains("skipped 1 undecodable file(s)", "broken.png", "strict loading");
    }

    @Test
    void anImageAboveThePixelLimitIsSkippedAndNamed(@TempDir Path dir) throws IOException {
        Path tree = dir.resolve("tree");
        ImageTrees.writeClasses(tree, new int[] {2, 2}, 2);
        Path huge = Files.write(tree.resolve("blue/huge.png"), TestImageFiles.pngHeaderOnly(30000, 30000));
        String preview = dir.resolve("p.png").toString();

        CommandLineErrorsTest.Outcome lenient = balcon("preview", "--dataset", "imagefolder", "--data", tree.toString(),
                "--no-cache", "--images", "2", "--out", preview);
        assertThat(lenient.status()).as(lenient.err()).isZero();
        assertThat(lenient.out()).contains("skipped 1 undecodable file(s)", huge.toString(), "30000x30000",
                "above the limit of 89478485 pixels");
        assertThat(lenient.err()).doesNotContain("failed:");
        assertOneLineError(balcon("preview", "--dataset", "imagefolder", "--data", tree.toString(), "--strict",
                "--no-cache", "--out", preview), huge.toString(), "89478485");
        // a lower limit skips the small images too: nothing is left
        assertOneLineError(balcon("preview", "--dataset", "imagefolder", "--data", tree.toString(), "--no-cache",
                "--max-image-pixels", "10", "--out", preview), "could be decoded", "above the limit of 10 pixels");
        assertOneLineError(balcon("preview", "--dataset", "imagefolder", "--data", tree.toString(), "--no-cache",
                "--max-image-pixels", "0", "--out", preview), "--max-image-pixels must be >= 1, got 0");
    }

    @Test
    void badDatasetOptionsGiveOneLineErrors(@TempDir Path dir) throws IOException {
        Path run = dir.resolve("run");
        Path cifar = Files.createDirectories(dir.resolve("cifar"));
        for (int batch = 1; batch <= 5; batch++) {
            Files.write(cifar.resolve("data_batch_" + batch + ".bin"), new byte[3073]);
        }
        Files.write(cifar.resolve("test_batch.bin"), new byte[3073 + 7]);
        assertOneLineError(balcon("pretrain", "--run-dir", run.toString(), "--dataset", "cifar10", "--data",
                cifar.toString()), "test_batch.bin", "has length 3080", "multiple of 3073");
        assertOneLineError(balcon("pretrain", "--run-dir", run.toString(), "--dataset", "cifar10"),
                "--data is needed for dataset kind cifar10");
        assertOneLineError(balcon("pretrain", "--run-dir", run.toString(), "--dataset", "fashion-mnist",
                "--image-size", "32"), "--image-size applies to image folders", "28x28");
        assertOneLineError(balcon("pretrain", "--run-dir", run.toString(), "--dataset", "mnist"),
                "--dataset 'mnist' is unknown; expected one of", "imagefolder");
        assertOneLineError(balcon("pretrain", "--run-dir", run.toString(), "--class-profile", "exp", "--rho", "0.5"),
                "--rho", "got 0.5");
        assertOneLineError(balcon("pretrain", "--run-dir", run.toString(), "--class-profile", "zipf"), "--class-profile",
                "zipf");
        assertOneLineError(balcon("pretrain", "--run-dir", run.toString(), "--channels", "2"), "--channels", "got 2");
        assertOneLineError(balcon("pretrain", "--run-dir", run.toString(), "--test-fraction", "1.5"), "--test-fraction");

        Path images = Files.createDirectories(dir.resolve("unlabelled"));
        ImageTrees.writeClasses(images, new int[] {2}, 3);
        assertOneLineError(balcon("demo", "--run-dir", run.toString(), "--dataset", "unlabelled-folder", "--data",
                images.toString(), "--no-cache"), "--eval-data is needed: k-NN needs labelled images");
        assertOneLineError(balcon("pretrain", "--run-dir", run.toString(), "--dataset", "unlabelled-folder", "--data",
                images.toString(), "--no-cache", "--class-profile", "exp"), "--class-profile needs class labels");
        assertThat(Files.exists(run.resolve("checkpoint.bin"))).isFalse();
    }
}
