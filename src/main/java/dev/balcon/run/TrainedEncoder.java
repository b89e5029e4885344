package dev.balcon.run;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.balcon.BalconException;
import dev.balcon.augment.Normalization;
import dev.balcon.data.DataSelection;
import dev.balcon.data.Datasets;
import dev.balcon.data.ImageDataset;
import dev.balcon.model.ContrastiveModel;
import dev.balcon.train.Checkpoint;
import dev.balcon.train.PretrainConfig;
import dev.balcon.train.PretrainResult;
import dev.balcon.train.RunDirectory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.util.function.Supplier;

/**
 * A run's trained encoder together with the input normalisation it was trained with (stored in the
 * checkpoint), so that every evaluation feeds it images exactly as training did, whatever split it reads.
 *
 * @param progress where the run stood when the checkpoint was written (epochs done, optimizer steps)
 */
public record TrainedEncoder(ContrastiveModel model, Normalization normalization, Checkpoint.Progress progress)
        implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TrainedEncoder.class);

    /**
     * Builds the run's architecture for images shaped like {@code like} and loads its checkpoint. A checkpoint
     * written before normalisations were stored falls back to the statistics of {@code like}.
     */
    public static TrainedEncoder open(RunDirectory run, PretrainConfig config, ImageDataset like, NDManager manager) {
        return open(run, config, like.channels(), like.height(), like.width(), () -> Normalization.of(like), manager);
    }

    /**
     * Builds the run's architecture for its training images' shape (channels x height x width, known from the
     * configuration without loading them) and loads its checkpoint.
     *
     * @throws BalconException if config.json or checkpoint.bin is missing or unreadable, or the checkpoint was
     *     written before normalisations were stored (format version 1), so the input statistics are unknown
     */
    public static TrainedEncoder open(RunDirectory run, NDManager manager) {
        PretrainConfig config = run.readConfig();
        int[] shape = Datasets.imageShape(config.dataSelection());
        return open(run, config, shape[0], shape[1], shape[2], () -> {
            throw new BalconException(run.checkpoint() + " was written before checkpoints stored the input "
                    + "normalisation: its mean and std are unknown");
        }, manager);
    }

    private static TrainedEncoder open(RunDirectory run, PretrainConfig config, int channels, int height, int width,
                                       Supplier<Normalization> fallback, NDManager manager) {
        JsonNode diverged = divergence(run);
        if (diverged != null && !Files.isRegularFile(run.checkpoint())) {
            throw new BalconException(run.root() + " diverged at step " + diverged.path("globalStep").asLong()
                    + " before it finished an epoch: it has no checkpoint to evaluate");
        }
        ContrastiveModel model = ContrastiveModel.create(config.modelConfig(channels), height, width, manager,
                config.seed());
        try {
            Checkpoint.Restored restored = Checkpoint.loadModel(run.checkpoint(), model);
            if (diverged != null) {
                // A diverged run keeps its last finite checkpoint; whoever scores it must know it is not the run's end.
                LOG.warn("{} diverged at step {}: evaluating its last finite checkpoint (epoch {}, step {}), not the "
                        + "model it ended with", run.root(), diverged.path("globalStep").asLong(),
                        restored.progress().epochsDone(), restored.progress().globalStep());
            }
            Normalization normalization = restored.normalization() != null ? restored.normalization() : fallback.get();
            return new TrainedEncoder(model, normalization, restored.progress());
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /** The run's pretrain record if it says the run diverged, else null. */
    private static JsonNode divergence(RunDirectory run) {
        JsonNode pretrain = run.readResults().get("pretrain");
        return pretrain != null && PretrainResult.DIVERGED.equals(pretrain.path("status").asText()) ? pretrain : null;
    }

    @Override
    public void close() {
        model.close();
    }
}
