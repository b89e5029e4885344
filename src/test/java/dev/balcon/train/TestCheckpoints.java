package dev.balcon.train;

import ai.djl.ndarray.NDManager;
import dev.balcon.augment.Normalization;
import dev.balcon.model.ContrastiveModel;

import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Small models and checkpoint files for the checkpoint tests, including files in the older formats. */
public final class TestCheckpoints {
    public static final Normalization NORMALIZATION = new Normalization(new float[] {0.4f}, new float[] {0.3f});

    private TestCheckpoints() {}

    /** The architecture of the tiny runs: width 4, projector 16-8, one input channel. */
    public static PretrainConfig config() {
        return PretrainConfig.builder().width(4).projectorHidden(16).projectorOut(8).batchSize(16).seed(7).build();
    }

    /** A tiny model for 16x16 grey images. */
    public static ContrastiveModel model(NDManager manager, long seed) {
        return ContrastiveModel.create(config().modelConfig(1), 16, 16, manager, seed);
    }

    /** SimCLR training {@code model}, SGD momentum 0.9 without weight decay; closing {@code model} frees it. */
    public static Method method(ContrastiveModel model) {
        return new SimClr(model, config().lossConfig(), 0.9, 0);
    }

    /**
     * Writes {@code model} in checkpoint format version 2 (no checksum), as balcon did before version 3; unlike
     * {@link Checkpoint#save} it writes NaN parameters too, as the old writer did.
     */
    public static void writeVersion2(Path file, Checkpoint.Progress progress, Normalization normalization,
                                     ContrastiveModel model, SgdMomentum optimizer) throws IOException {
        try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(file))) {
            out.write("BALCONCK".getBytes(StandardCharsets.US_ASCII));
            out.writeInt(2);
            out.writeInt(progress.epochsDone());
            out.writeLong(progress.globalStep());
            out.writeInt(normalization.channels());
            for (int c = 0; c < normalization.channels(); c++) {
                out.writeFloat(normalization.mean()[c]);
                out.writeFloat(normalization.std()[c]);
            }
            model.saveParameters(out);
            optimizer.save(out);
        }
    }

    /** The model's parameters as {@link ContrastiveModel#saveParameters} writes them: equal bytes, equal models. */
    public static byte[] parameterBytes(ContrastiveModel model) {
        try (var bytes = new java.io.ByteArrayOutputStream(); var out = new DataOutputStream(bytes)) {
            model.saveParameters(out);
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
