package dev.balcon.inference;

import dev.balcon.data.ImageTrees;
import dev.balcon.run.PretrainRun;
import dev.balcon.train.PretrainConfig;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.file.Path;

/** A tiny run (resnet-small of width 4, 16x16 RGB images of three classes) trained on an image folder in seconds. */
public final class InferenceRuns {
    private InferenceRuns() {}

    /** train/ with 8 and test/ with 4 images of each of three classes. */
    public static Path imageTree(Path dir) throws IOException {
        return ImageTrees.writeSplitTree(dir.resolve("images"), 8, 4);
    }

    /** The configuration of the tiny runs over {@code images}. */
    public static PretrainConfig config(Path images, int epochs) {
        return PretrainConfig.builder().dataset("imagefolder").dataDir(images.toString()).imageSize(16).channels(3)
                .width(4).projectorHidden(16).projectorOut(8).batchSize(8).loss("balanced").epochs(epochs)
                .learningRate(0.1).warmupEpochs(0).seed(7).boundMonitor(false).build();
    }

    /** Trains a finished run of {@code epochs} epochs into {@code dir/run}. */
    public static Path train(Path dir, Path images, int epochs) {
        Path runDir = dir.resolve("run");
        PretrainRun.pretrain(runDir, config(images, epochs), false, false, new PrintWriter(Writer.nullWriter()));
        return runDir;
    }
}
