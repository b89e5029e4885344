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
 * model parameters (batch-norm statistics included), the optimizer's momentum buffers, the {@link Method}'s name and
 * its own state (a predictor, an EMA target), followed by a CRC32C of all of it ({@link ChecksummedFile}). Written
 * atomically, and never with a NaN or infinite parameter.
 *
 * <p>Versions: 4 (current) ends in the method; 3 (checksum, no method) was always SimCLR; 2 (no checksum) and 1 (no
 * checksum, no normalisation) are still read, without the corruption check, so that older runs can be evaluated and
 * resumed.
 */
public final class Checkpoint {
    private static final byte[] MAGIC = "BALCONCK".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final int VERSION = 4;
    /** Version 3 had no method: its runs were all SimCLR. */
    private static final int VERSION_WITHOUT_METHOD = 3;
    /** Version 2 had no checksum. */
    private static final int VERSION_WITHOUT_CHECKSUM = 2;
    /** Version 1 had no normalisation either; its readers fall back to the training split's statistics. */
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

    /** Thrown instead of writing a checkpoint whose model has NaN or infinite parameters: the run diverged. */
    public static final class NonFiniteParametersException extends BalconException {
        private static final long serialVersionUID = 1L;
        private final long count;

        NonFiniteParametersException(Path file, long count) {
            super("not writing checkpoint " + file + ": " + count + " model parameter values are NaN or infinite"
                    + " (the run diverged)");
            this.count = count;
        }

        /** Number of NaN or infinite parameter values. */
        public long count() {
            return count;
        }
    }

    private Checkpoint() {}

    /**
     * Writes the checkpoint atomically; an existing one is replaced only by a complete new one.
     *
     * @throws NonFiniteParametersException if a parameter value of the method's model, or of its own state, is NaN
     *     or infinite; the file is left as it was
     */
    public static void save(Path file, Progress progress, Normalization normalization, Method method) {
        ContrastiveModel model = method.model();
        long nonFinite = model.nonFiniteParameterValues() + method.nonFiniteStateValues();
        if (nonFinite > 0) {
            throw new NonFiniteParametersException(file, nonFinite);
        }
        ChecksummedFile.write(file, stream -> {
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
            method.optimizer().save(out);
            out.writeUTF(method.name());
            method.saveState(out);
            out.flush();
        });
    }

    /**
     * Restores a method: its model, its optimizer and its own state; returns where the run stood and its
     * normalisation.
     *
     * @throws BalconException if the file is missing, damaged (checksum), truncated, of another architecture or
     *     another method, or holds NaN or infinite parameters
     */
    public static Restored load(Path file, Method method) {
        return read(file, method.model(), method);
    }

    /** Restores the model alone (for evaluation), whatever the method that trained it; throws as {@link #load}. */
    public static Restored loadModel(Path file, ContrastiveModel model) {
        return read(file, model, null);
    }

    private static Restored read(Path file, ContrastiveModel model, Method method) {
        if (!Files.isRegularFile(file)) {
            throw new BalconException("checkpoint " + file + " not found (has the run finished one epoch?)");
        }
        try {
            return parse(file, model, method);
        } catch (BalconException e) {
            // The model's, the optimizer's and the normalisation's checks do not know the file: name it.
            throw e.getMessage().contains(file.toString()) ? e
                    : new BalconException("checkpoint " + file + ": " + e.getMessage(), e);
        }
    }

    private static Restored parse(Path file, ContrastiveModel model, Method method) {
        try (ChecksummedFile.LimitedInput limited = new ChecksummedFile.LimitedInput(
                new BufferedInputStream(Files.newInputStream(file), 1 << 16), Files.size(file))) {
            DataInputStream in = new DataInputStream(limited);
            byte[] magic = new byte[MAGIC.length];
            in.readFully(magic);
            if (!Arrays.equals(magic, MAGIC)) {
                throw new BalconException(file + " is not a balcon checkpoint (wrong magic bytes)");
            }
            int version = in.readInt();
            if (version < VERSION_WITHOUT_NORMALIZATION || version > VERSION) {
                throw new BalconException(file + " has checkpoint format version " + version + ", this balcon reads "
                        + VERSION_WITHOUT_NORMALIZATION + " to " + VERSION);
            }
            if (version > VERSION_WITHOUT_CHECKSUM) {
                if (!ChecksummedFile.intact(file)) {
                    throw new BalconException("checkpoint " + file + " is damaged: its checksum does not match its"
                            + " contents (restore it from a copy, or train the run again)");
                }
                limited.limitRemaining(limited.remaining() - ChecksummedFile.CHECKSUM_BYTES);
            }
            Progress progress = new Progress(in.readInt(), in.readLong());
            if (progress.epochsDone() < 0 || progress.globalStep() < 0) {
                throw new BalconException("checkpoint " + file + " has a negative epoch count or step: " + progress);
            }
            Normalization normalization = null;
            if (version > VERSION_WITHOUT_NORMALIZATION) {
                int channels = in.readInt();
                if (channels != model.config().inChannels()) {
                    throw new BalconException("checkpoint " + file + " stores a normalisation of " + channels
                            + " channels; the model takes " + model.config().inChannels());
                }
                float[] mean = new float[channels];
                float[] std = new float[channels];
                for (int c = 0; c < channels; c++) {
                    mean[c] = in.readFloat();
                    std[c] = in.readFloat();
                }
                normalization = new Normalization(mean, std);
            }
            model.loadParameters(in);
            long nonFinite = model.nonFiniteParameterValues();
            if (nonFinite > 0) {
                throw new BalconException("checkpoint " + file + " holds " + nonFinite + " NaN or infinite parameter"
                        + " values: the run diverged before it was written, so it cannot be evaluated or resumed");
            }
            if (method != null) {
                method.optimizer().load(in);
                String stored = version > VERSION_WITHOUT_METHOD ? in.readUTF() : Methods.SIMCLR;
                if (!stored.equals(method.name())) {
                    throw new BalconException("checkpoint " + file + " holds a " + stored + " run, not " + method.name());
                }
                method.loadState(in);
                if (method.nonFiniteStateValues() > 0) {
                    throw new BalconException("checkpoint " + file + " holds " + method.nonFiniteStateValues()
                            + " NaN or infinite values in the state of " + method.name() + ": it cannot be resumed");
                }
                if (version > VERSION_WITHOUT_CHECKSUM && limited.remaining() != 0) {
                    throw new BalconException("checkpoint " + file + " is damaged: " + limited.remaining()
                            + " bytes follow the state of " + method.name());
                }
            } else if (version <= VERSION_WITHOUT_CHECKSUM) {
                // No checksum in the old formats: read to the end, so that a file with bytes past its end (a newer
                // file whose version field was damaged) is caught. The throwaway buffers go with the model's manager.
                new SgdMomentum(model.trainableParameters(), 0, 0).load(in);
            }
            if (version <= VERSION_WITHOUT_CHECKSUM && limited.remaining() != 0) {
                throw new BalconException("checkpoint " + file + " is damaged: " + limited.remaining() + " bytes follow "
                        + "the end of a format-" + version + " checkpoint (restore it from a copy, or train the run again)");
            }
            return new Restored(progress, normalization);
        } catch (java.io.EOFException e) {
            throw new BalconException("checkpoint " + file + " is truncated", e);
        } catch (IOException e) {
            throw new BalconException("cannot read checkpoint " + file + ": " + e.getMessage(), e);
        }
    }
}
