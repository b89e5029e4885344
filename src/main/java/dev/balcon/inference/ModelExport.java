package dev.balcon.inference;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.balcon.BalconException;
import dev.balcon.ComputeDevice;
import dev.balcon.Version;
import dev.balcon.augment.Normalization;
import dev.balcon.run.TrainedEncoder;
import dev.balcon.loss.LossConfig;
import dev.balcon.model.ModelConfig;
import dev.balcon.model.ResNetConfig;
import dev.balcon.train.Checkpoint;
import dev.balcon.train.Methods;
import dev.balcon.train.PretrainConfig;
import dev.balcon.train.PretrainResult;
import dev.balcon.train.RunDirectory;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Writes a run's encoder as a portable model directory: {@value #WEIGHTS_FILE} (every parameter of backbone and
 * projector in float32, named as PyTorch names the same network, see {@link TorchStateDict}) and
 * {@value ModelManifest#FILE} (architecture, input shape and normalisation, training, SHA-256 of the weights; see
 * {@link ModelManifest}). Both files are written into a temporary sibling directory that is then renamed, so the
 * output directory holds a whole export or none.
 */
public final class ModelExport {
    public static final String WEIGHTS_FILE = "model.safetensors";
    static final String LAYOUT = "PyTorch state_dict of ContrastiveModel in bench/peer_simclr.py: backbone.* is the "
            + "encoder (its output, after global average pooling, are the features), projector.* the projection head";
    static final String RESIZE = "convert to the channel count (RGB; ITU-R 601 luma for 1 channel), scale to cover "
            + "height x width with antialiased bilinear resampling, centre-crop, then (pixel / 255 - mean) / std";

    private ModelExport() {}

    /**
     * Exports the run in {@code runDir} to {@code out}, replacing an earlier export there.
     *
     * @param allowUnfinished export a run whose checkpoint holds fewer epochs than configured, or that diverged
     *     (its checkpoint is the last finished epoch before the loss stopped being finite)
     * @return what was written to {@code out/model.json}
     * @throws UnfinishedRunException if the run diverged or is unfinished, unless allowed
     * @throws BalconException if {@code runDir} is not a run directory (or is an exported model), or {@code out}
     *     exists and is neither empty nor an export
     */
    public static ModelManifest export(Path runDir, Path out, boolean allowUnfinished) {
        RunDirectory run = requireRunDirectory(runDir);
        requireReplaceable(out);
        PretrainConfig config = run.readConfig();
        JsonNode pretrain = run.readResults().path("pretrain");
        boolean diverged = PretrainResult.DIVERGED.equals(pretrain.path("status").asText());
        if (diverged && !allowUnfinished) {
            throw new UnfinishedRunException("run " + runDir + " diverged (" + run.results().getFileName()
                    + ": the loss was not finite at step " + pretrain.path("globalStep").asText("?")
                    + "); its checkpoint is the last epoch before that");
        }
        try (NDManager manager = NDManager.newBaseManager(ComputeDevice.current());
             TrainedEncoder encoder = TrainedEncoder.open(run, manager)) {
            Checkpoint.Progress progress = encoder.progress();
            if (progress.epochsDone() < config.epochs() && !allowUnfinished) {
                throw new UnfinishedRunException("run " + runDir + " is unfinished: " + run.checkpoint().getFileName()
                        + " holds " + progress.epochsDone() + " of " + config.epochs() + " epochs");
            }
            Path temporary = Files.createDirectories(sibling(out, "tmp"));
            try {
                String sha256 = writeWeights(temporary.resolve(WEIGHTS_FILE),
                        TorchStateDict.of(encoder.model(), progress.globalStep(), manager));
                int[] shape = dev.balcon.data.Datasets.imageShape(config.dataSelection());
                ModelManifest manifest = manifest(encoder.model().config(), shape, encoder.normalization(), sha256,
                        training(run, config, progress, diverged));
                Files.write(temporary.resolve(ModelManifest.FILE), manifest.toJson());
                replace(temporary, out);
                return manifest;
            } finally {
                deleteRecursively(temporary);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + out, e);
        }
    }

    /** The run directory {@code dir}, refusing an exported model directory and a folder that is neither. */
    static RunDirectory requireRunDirectory(Path dir) {
        RunDirectory run = new RunDirectory(dir);
        if (!Files.isRegularFile(run.config()) && Files.isRegularFile(dir.resolve(ModelManifest.FILE))) {
            throw new BalconException(dir + " is an exported model (" + ModelManifest.FILE + "), not a run directory: "
                    + "expected config.json and checkpoint.bin");
        }
        return run;
    }

    private static void requireReplaceable(Path out) {
        if (Files.isRegularFile(out)) {
            throw new BalconException(out + " is a file: expected a directory to export into");
        }
        if (Files.isDirectory(out) && !Files.isRegularFile(out.resolve(ModelManifest.FILE)) && !isEmpty(out)) {
            throw new BalconException(out + " exists and is not an exported model directory (no "
                    + ModelManifest.FILE + "): expected a new or empty directory");
        }
    }

    private static String writeWeights(Path file, NDList tensors) throws IOException {
        MessageDigest digest = sha256();
        try (tensors; OutputStream out = new DigestOutputStream(
                new java.io.BufferedOutputStream(Files.newOutputStream(file), 1 << 16), digest)) {
            tensors.encode(out, NDList.Encoding.SAFETENSORS);
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static ModelManifest manifest(ModelConfig config, int[] shape, Normalization normalization, String sha256,
                                          Map<String, Object> training) {
        ResNetConfig backbone = config.backbone();
        ModelManifest.Architecture architecture = new ModelManifest.Architecture(backbone.name(), backbone.stemWidth(),
                Arrays.stream(backbone.widths()).boxed().toList(), Arrays.stream(backbone.depths()).boxed().toList(),
                config.projectorHiddenDim(), config.projectorOutDim());
        ModelManifest.Input input = new ModelManifest.Input(shape[0], shape[1], shape[2], floats(normalization.mean()),
                floats(normalization.std()), RESIZE);
        ModelManifest.Weights weights = new ModelManifest.Weights(WEIGHTS_FILE, sha256, "float32", LAYOUT);
        return new ModelManifest(ModelManifest.FORMAT, ModelManifest.FORMAT_VERSION, Version.NUMBER, architecture,
                input, config.featureDim(), weights, training);
    }

    private static Map<String, Object> training(RunDirectory run, PretrainConfig config, Checkpoint.Progress progress,
                                                boolean diverged) {
        Map<String, Object> training = new LinkedHashMap<>();
        training.put("method", config.method());
        if (config.momentumTau() != null) {
            training.put("momentum_tau", config.momentumTau());
        }
        if (config.queueSize() != null) {
            training.put("queue_size", config.queueSize());
        }
        training.put("loss", Methods.usesLossFamily(config.method()) ? lossFields(config.lossConfig())
                : Map.of("description", "the " + config.method() + " loss (docs/methods.md)"));
        training.put("status", diverged ? PretrainResult.DIVERGED
                : progress.epochsDone() < config.epochs() ? "unfinished" : PretrainResult.FINISHED);
        training.put("epochs", config.epochs());
        training.put("epochs_done", progress.epochsDone());
        training.put("steps", progress.globalStep());
        training.put("batch_size", config.batchSize());
        training.put("learning_rate", config.learningRate());
        training.put("augmentation", config.recipe());
        training.put("dataset", config.dataset());
        training.put("data", config.dataDir());
        training.put("train_limit", config.trainLimit());
        training.put("class_profile", config.classProfile());
        training.put("seed", config.seed());
        training.put("run_directory", run.root().toAbsolutePath().normalize().toString());
        return training;
    }

    /** The loss of a simclr run, every setting of its {@link LossConfig}. */
    private static Map<String, Object> lossFields(LossConfig loss) {
        Map<String, Object> lossFields = new LinkedHashMap<>();
        lossFields.put("preset", loss.presetName());
        lossFields.put("description", loss.describe());
        lossFields.put("alpha", loss.alpha());
        lossFields.put("tau", 1 / loss.alpha());
        lossFields.put("lambda", loss.lambda());
        lossFields.put("nu", loss.nu());
        lossFields.put("similarity", loss.similarity().cliName());
        lossFields.put("candidates", loss.candidates().cliName());
        lossFields.put("include_positive", loss.includePositive());
        lossFields.put("scale_by_inv_alpha", loss.scaleByInvAlpha());
        return lossFields;
    }

    /** Moves {@code temporary} to {@code out}; an earlier export there is moved aside first and deleted after. */
    private static void replace(Path temporary, Path out) throws IOException {
        Path previous = null;
        if (Files.exists(out)) {
            previous = Files.createDirectories(sibling(out, "old"));
            Files.move(out, previous.resolve("export"), StandardCopyOption.ATOMIC_MOVE);
        }
        Files.move(temporary, out, StandardCopyOption.ATOMIC_MOVE);
        if (previous != null) {
            deleteRecursively(previous);
        }
    }

    /**
     * A new hidden sibling of {@code out} for the export being written or the one being replaced; unlike
     * {@link Files#createTempDirectory} it gets the usual permissions, which the export keeps after the rename.
     */
    private static Path sibling(Path out, String purpose) {
        Path parent = out.toAbsolutePath().getParent();
        for (int attempt = 0; ; attempt++) {
            Path candidate = parent.resolve("." + out.getFileName() + "." + purpose + "-" + ProcessHandle.current().pid()
                    + "-" + attempt);
            if (!Files.exists(candidate)) {
                return candidate;
            }
        }
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    private static List<Float> floats(float[] values) {
        Float[] boxed = new Float[values.length];
        for (int i = 0; i < values.length; i++) {
            boxed[i] = values[i];
        }
        return List.of(boxed);
    }

    private static boolean isEmpty(Path dir) {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.findAny().isEmpty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
    }

    private static void deleteRecursively(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }
}
