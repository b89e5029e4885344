package dev.balcon.train;

import dev.balcon.BalconException;
import dev.balcon.augment.Normalization;
import dev.balcon.model.ContrastiveModel;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The state of a run after a whole number of epochs: the input normalisation the model was trained with,
 * model parameters (batch-norm statistics included) and the optimizer's momentum buffers. Written
 * atomically (see {@link RunDirectory#writeAtomically}).
 */
public final class Checkpoint {
    private static final byte[] MAGIC = "BALCONCK".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final int VERSION = 2;
    /** Version 1 had no normalisation; its readers fall back to the training split's statistics. */
    private static final int VERSION_WITHOUT_NORMALIZATION = 1;

    /** Where a run stands: epochs completed and optimizer steps taken. */
    public record Progress(int epochsDone, long globalStep) {}

    /** What a checkpoint restores besides the parameters: where the run stood and its input normalisation. */
    public record Restored(Progress progress, Normalization normalization) {
        /** The stored normalisation, or {@code fallback} for a checkpoint written before it was stored. */
        public Normalization normalizationOr(Normalization fallback) {
            return normalization == null ? fallback : normalization;
        }
    }

    private Checkpoint() {}

    public static void save(Path file, Progress progress, Normalization normalization, ContrastiveModel model,
                            SgdMomentum optimizer) {
        RunDirectory.writeAtomically(file, stream -> {
            DataOutputStream out = new DataOutputStream(stream);
            out.write(MAGIC);
            out.writeInt(VERSION);
            out.writeInt(progress.epochsDone());
            out.writeLong(progress.globalStep());
            out.writeInt(normalization.channels());
            for (int c = 0; c < normalization.channels(); c++) {
                out.writeFloat(normalization.mean()[c]);
                out.writeFloat(normalization.std()[c]);
            }
            model.saveParameters(out);
            optimizer.save(out);
            out.flush();
        });
    }

    /** Restores model and optimizer; returns where the run stood and its normalisation. */
    public static Restored load(Path file, ContrastiveModel model, SgdMomentum optimizer) {
        return read(file, model, optimizer);
    }

    /** Restores the model alone (for evaluation). */
    public static Restored loadModel(Path file, ContrastiveModel model) {
        return read(file, model, null);
    }

    private static Restored read(Path file, ContrastiveModel model, SgdMomentum optimizer) {
        if (!Files.isRegularFile(file)) {
            throw new BalconException("checkpoint " + file + " not found (has the run finished one epoch?)");
        }
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
            byte[] magic = new byte[MAGIC.length];
            in.readFully(magic);
            if (!Arrays.equals(magic, MAGIC)) {
                throw new BalconException(file + " is not a balcon checkpoint (wrong magic bytes)");
            }
            int version = in.readInt();
            if (version != VERSION && version != VERSION_WITHOUT_NORMALIZATION) {
                throw new BalconException(file + " has checkpoint format version " + version + ", this balcon reads "
                        + VERSION_WITHOUT_NORMALIZATION + " and " + VERSION);
            }
            Progress progress = new Progress(in.readInt(), in.readLong());
            Normalization normalization = null;
            if (version >= VERSION) {
                float[] mean = new float[in.readInt()];
                float[] std = new float[mean.length];
                for (int c = 0; c < mean.length; c++) {
                    mean[c] = in.readFloat();
                    std[c] = in.readFloat();
                }
                normalization = new Normalization(mean, std);
            }
            model.loadParameters(in);
            if (optimizer != null) {
                optimizer.load(in);
            }
            return new Restored(progress, normalization);
        } catch (java.io.EOFException e) {
            throw new BalconException("checkpoint " + file + " is truncated", e);
        } catch (IOException e) {
            throw new BalconException("cannot read checkpoint " + file + ": " + e.getMessage(), e);
        }
    }
}
