package dev.balcon.experiment;

import ai.djl.ndarray.NDManager;
import dev.balcon.augment.Normalization;
import dev.balcon.data.ImageDataset;
import dev.balcon.model.ContrastiveModel;
import dev.balcon.train.Checkpoint;
import dev.balcon.train.PretrainConfig;
import dev.balcon.train.PretrainResult;
import dev.balcon.train.RunDirectory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A run's trained encoder together with the input normalisation it was trained with (stored in the
 * checkpoint), so that every evaluation feeds it images exactly as training did, whatever split it reads.
 */
public record TrainedEncoder(ContrastiveModel model, Normalization normalization) implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TrainedEncoder.class);

    /**
     * Builds the run's architecture for images shaped like {@code like} and loads its checkpoint. A checkpoint
     * written before normalisations were stored falls back to the statistics of {@code like}.
     */
    public static TrainedEncoder open(RunDirectory run, PretrainConfig config, ImageDataset like, NDManager manager) {
        ContrastiveModel model = ContrastiveModel.create(config.modelConfig(like.channels()), like.height(),
                like.width(), manager, config.seed());
        try {
            Checkpoint.Restored restored = Checkpoint.loadModel(run.checkpoint(), model);
            warnIfDiverged(run, restored.progress());
            return new TrainedEncoder(model, restored.normalizationOr(Normalization.of(like)));
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /** A diverged run keeps its last finite checkpoint; whoever scores it must know it is not the run's end. */
    private static void warnIfDiverged(RunDirectory run, Checkpoint.Progress progress) {
        var pretrain = run.readResults().get("pretrain");
        if (pretrain != null && PretrainResult.DIVERGED.equals(pretrain.path("status").asText())) {
            LOG.warn("{} diverged at step {}: evaluating its last finite checkpoint (epoch {}, step {}), not the "
                    + "model it ended with", run.root(), pretrain.path("globalStep").asLong(), progress.epochsDone(),
                    progress.globalStep());
        }
    }

    @Override
    public void close() {
        model.close();
    }
}
