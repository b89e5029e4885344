package dev.balcon.train;

import dev.balcon.BalconException;
import dev.balcon.model.ContrastiveModel;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The state of a run after a whole number of epochs: model parameters (batch-norm statistics included)
 * and the optimizer's momentum buffers. Written atomically (see {@link RunDirectory#writeAtomically}).
 */
public final class Checkpoint {
    private static final byte[] MAGIC = "BALCONCK".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final int VERSION = 1;

    /** Where a run stands: epochs completed and optimizer steps taken. */
    public record Progress(int epochsDone, long globalStep) {}

    private Checkpoint() {}

    public static void save(Path file, Progress progress, ContrastiveModel model, SgdMomentum optimizer) {
        RunDirectory.writeAtomically(file, stream -> {
            DataOutputStream out = new DataOutputStream(stream);
            out.write(MAGIC);
            out.writeInt(VERSION);
            out.writeInt(progress.epochsDone());
            out.writeLong(progress.globalStep());
            model.saveParameters(out);
            optimizer.save(out);
            out.flush();
        });
    }

    /** Restores model and optimizer; returns where the run stood. */
    public static Progress load(Path file, ContrastiveModel model, SgdMomentum optimizer) {
        return read(file, model, optimizer);
    }

    /** Restores the model alone (for evaluation). */
    public static Progress loadModel(Path file, ContrastiveModel model) {
        return read(file, model, null);
    }

    private static Progress read(Path file, ContrastiveModel model, SgdMomentum optimizer) {
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
            if (version != VERSION) {
                throw new BalconException(file + " has checkpoint format version " + version + ", this balcon reads " + VERSION);
            }
            Progress progress = new Progress(in.readInt(), in.readLong());
            model.loadParameters(in);
            if (optimizer != null) {
                optimizer.load(in);
            }
            return progress;
        } catch (java.io.EOFException e) {
            throw new BalconException("checkpoint " + file + " is truncated", e);
        } catch (IOException e) {
            throw new BalconException("cannot read checkpoint " + file + ": " + e.getMessage(), e);
        }
    }
}
