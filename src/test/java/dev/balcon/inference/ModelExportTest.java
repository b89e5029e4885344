package dev.balcon.inference;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.balcon.BalconException;
import dev.balcon.train.PretrainConfig;
import dev.balcon.train.PretrainResult;
import dev.balcon.train.RunDirectory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ModelExportTest {
    /**
     * state_dict().keys() of bench/peer_simclr.py's ContrastiveModel("resnet-small", width=4, in_channels=3,
     * proj_hidden=16, proj_out=8), read off its module tree: backbone = Sequential(conv, bn, relu, 4 BasicBlocks,
     * pool, flatten), BasicBlock = conv1, bn1, conv2, bn2, relu, shortcut (Identity in the first stage, else
     * Sequential(conv, bn)), projector = Sequential(linear, bn, relu, linear, bn, relu, linear).
     */
    static final List<String> PEER_KEYS = List.of(
            "backbone.0.weight",
            "backbone.1.weight", "backbone.1.bias", "backbone.1.running_mean", "backbone.1.running_var",
            "backbone.1.num_batches_tracked",
            "backbone.3.conv1.weight",
            "backbone.3.bn1.weight", "backbone.3.bn1.bias", "backbone.3.bn1.running_mean", "backbone.3.bn1.running_var",
            "backbone.3.bn1.num_batches_tracked",
            "backbone.3.conv2.weight",
            "backbone.3.bn2.weight", "backbone.3.bn2.bias", "backbone.3.bn2.running_mean", "backbone.3.bn2.running_var",
            "backbone.3.bn2.num_batches_tracked",
            "backbone.4.conv1.weight",
            "backbone.4.bn1.weight", "backbone.4.bn1.bias", "backbone.4.bn1.running_mean", "backbone.4.bn1.running_var",
            "backbone.4.bn1.num_batches_tracked",
            "backbone.4.conv2.weight",
            "backbone.4.bn2.weight", "backbone.4.bn2.bias", "backbone.4.bn2.running_mean", "backbone.4.bn2.running_var",
            "backbone.4.bn2.num_batches_tracked",
            "backbone.4.shortcut.0.weight",
            "backbone.4.shortcut.1.weight", "backbone.4.shortcut.1.bias", "backbone.4.shortcut.1.running_mean",
            "backbone.4.shortcut.1.running_var", "backbone.4.shortcut.1.num_batches_tracked",
            "backbone.5.conv1.weight",
            "backbone.5.bn1.weight", "backbone.5.bn1.bias", "backbone.5.bn1.running_mean", "backbone.5.bn1.running_var",
            "backbone.5.bn1.num_batches_tracked",
            "backbone.5.conv2.weight",
            "backbone.5.bn2.weight", "backbone.5.bn2.bias", "backbone.5.bn2.running_mean", "backbone.5.bn2.running_var",
            "backbone.5.bn2.num_batches_tracked",
            "backbone.5.shortcut.0.weight",
            "backbone.5.shortcut.1.weight", "backbone.5.shortcut.1.bias", "backbone.5.shortcut.1.running_mean",
            "backbone.5.shortcut.1.running_var", "backbone.5.shortcut.1.num_batches_tracked",
            "backbone.6.conv1.weight",
            "backbone.6.bn1.weight", "backbone.6.bn1.bias", "backbone.6.bn1.running_mean", "backbone.6.bn1.running_var",
            "backbone.6.bn1.num_batches_tracked",
            "backbone.6.conv2.weight",
            "backbone.6.bn2.weight", "backbone.6.bn2.bias", "backbone.6.bn2.running_mean", "backbone.6.bn2.running_var",
            "backbone.6.bn2.num_batches_tracked",
            "backbone.6.shortcut.0.weight",
            "backbone.6.shortcut.1.weight", "backbone.6.shortcut.1.bias", "backbone.6.shortcut.1.running_mean",
            "backbone.6.shortcut.1.running_var", "backbone.6.shortcut.1.num_batches_tracked",
            "projector.0.weight",
            "projector.1.weight", "projector.1.bias", "projector.1.running_mean", "projector.1.running_var",
            "projector.1.num_batches_tracked",
            "projector.3.weight",
            "projector.4.weight", "projector.4.bias", "projector.4.running_mean", "projector.4.running_var",
            "projector.4.num_batches_tracked",
            "projector.6.weight", "projector.6.bias");

    @TempDir
    static Path shared;
    static Path images;
    static Path runDir;
    static Path exportDir;

    @TempDir
    Path dir;

    @BeforeAll
    static void trainAndExport() throws IOException {
        images = InferenceRuns.imageTree(shared);
        runDir = InferenceRuns.train(shared, images, 1);
        exportDir = shared.resolve("export");
        ModelExport.export(runDir, exportDir, false);
    }

    @Test
    void theWeightsFileHoldsExactlyThePeersStateDictKeysWithPyTorchShapesAndTypes() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Map<String, NDArray> tensors = readSafetensors(exportDir.resolve("model.safetensors"), manager);
            assertThat(tensors.keySet()).containsExactlyInAnyOrderElementsOf(PEER_KEYS);
            assertThat(tensors.get("backbone.0.weight").getShape()).isEqualTo(new Shape(4, 3, 3, 3));
            assertThat(tensors.get("backbone.4.shortcut.0.weight").getShape()).isEqualTo(new Shape(8, 4, 1, 1));
            assertThat(tensors.get("backbone.6.bn2.running_var").getShape()).isEqualTo(new Shape(32));
            assertThat(tensors.get("projector.0.weight").getShape()).isEqualTo(new Shape(16, 32)); // [out, in]
            assertThat(tensors.get("projector.6.bias").getShape()).isEqualTo(new Shape(8));
            long steps = new RunDirectory(runDir).readResults().path("pretrain").path("globalStep").asLong();
            assertThat(steps).isPositive();
            for (Map.Entry<String, NDArray> entry : tensors.entrySet()) {
                if (entry.getKey().endsWith("num_batches_tracked")) {
                    assertThat(entry.getValue().getDataType()).isEqualTo(DataType.INT64);
                    assertThat(entry.getValue().getShape()).isEqualTo(new Shape());
                    assertThat(entry.getValue().getLong()).isEqualTo(steps);
                } else {
                    assertThat(entry.getValue().getDataType()).as(entry.getKey()).isEqualTo(DataType.FLOAT32);
                }
            }
            // trained running statistics, not the initial zeros and ones
            assertThat(tensors.get("backbone.1.running_mean").abs().sum().getFloat()).isPositive();
        }
    }

    @Test
    void modelJsonDescribesArchitectureInputTrainingAndTheWeightsChecksum() throws Exception {
        JsonNode json = ModelManifest.JSON.readTree(exportDir.resolve("model.json").toFile());
        assertThat(json.path("format").asText()).isEqualTo("balcon-encoder");
        assertThat(json.path("format_version").asInt()).isEqualTo(1);
        assertThat(json.path("balcon_version").asText()).isEqualTo(dev.balcon.Version.NUMBER);
        assertThat(json.path("architecture").path("name").asText()).isEqualTo("resnet-small");
        assertThat(json.path("architecture").path("widths").toString()).isEqualTo("[4,8,16,32]");
        assertThat(json.path("architecture").path("depths").toString()).isEqualTo("[1,1,1,1]");
        assertThat(json.path("feature_dim").asInt()).isEqualTo(32);
        assertThat(json.path("input").path("channels").asInt()).isEqualTo(3);
        assertThat(json.path("input").path("height").asInt()).isEqualTo(16);
        assertThat(json.path("input").path("width").asInt()).isEqualTo(16);
        try (NDManager manager = NDManager.newBaseManager();
             var trained = dev.balcon.run.TrainedEncoder.open(new RunDirectory(runDir), manager)) {
            float[] mean = trained.normalization().mean();
            for (int c = 0; c < 3; c++) {
                assertThat((float) json.path("input").path("mean").get(c).asDouble()).isEqualTo(mean[c]);
                assertThat((float) json.path("input").path("std").get(c).asDouble())
                        .isEqualTo(trained.normalization().std()[c]);
            }
        }
        assertThat(json.path("weights").path("sha256").asText()).isEqualTo(sha256(exportDir.resolve("model.safetensors")));
        JsonNode training = json.path("training");
        assertThat(training.path("method").asText()).isEqualTo("simclr");
        assertThat(training.path("loss").path("preset").asText()).isEqualTo("balanced");
        assertThat(training.path("loss").path("alpha").asDouble()).isEqualTo(4.0);
        assertThat(training.path("epochs").asInt()).isEqualTo(1);
        assertThat(training.path("epochs_done").asInt()).isEqualTo(1);
        assertThat(training.path("status").asText()).isEqualTo("finished");
        assertThat(training.path("dataset").asText()).isEqualTo("imagefolder");
    }

    @Test
    void anUnfinishedRunIsRefusedUnlessAllowed() throws IOException {
        Path unfinished = copyRun(runDir, dir.resolve("unfinished"));
        RunDirectory run = new RunDirectory(unfinished);
        PretrainConfig config = run.readConfig();
        run.writeConfig(config.toBuilder().epochs(3).build()); // as if killed after the first of three epochs
        Path out = dir.resolve("export");
        assertThatThrownBy(() -> ModelExport.export(unfinished, out, false))
                .isInstanceOf(UnfinishedRunException.class)
                .hasMessageContaining("unfinished").hasMessageContaining("1 of 3 epochs");
        assertThat(out).doesNotExist();
        assertThat(ModelExport.export(unfinished, out, true).training()).containsEntry("status", "unfinished");
    }

    @Test
    void aDivergedRunIsRefusedUnlessAllowed() throws IOException {
        Path diverged = copyRun(runDir, dir.resolve("diverged"));
        new RunDirectory(diverged).putResult("pretrain",
                new PretrainResult(PretrainResult.DIVERGED, 0, 3, Double.NaN, 1, 1));
        Path out = dir.resolve("export");
        assertThatThrownBy(() -> ModelExport.export(diverged, out, false))
                .isInstanceOf(UnfinishedRunException.class).hasMessageContaining("diverged")
                .hasMessageContaining("step 3");
        assertThat(out).doesNotExist();
        assertThat(ModelExport.export(diverged, out, true).training()).containsEntry("status", "diverged");
    }

    @Test
    void anExportDirectoryIsNotARunDirectoryAndTheReverse() {
        assertThatThrownBy(() -> ModelExport.export(exportDir, dir.resolve("again"), false))
                .isInstanceOf(BalconException.class)
                .hasMessage(exportDir + " is an exported model (model.json), not a run directory: expected config.json "
                        + "and checkpoint.bin");
        assertThatThrownBy(() -> Encoder.loadRun(exportDir, false)).isInstanceOf(BalconException.class)
                .hasMessageContaining("is an exported model");
        assertThatThrownBy(() -> Encoder.loadExport(runDir, false)).isInstanceOf(BalconException.class)
                .hasMessage(runDir + " is a run directory (config.json), not an exported model: expected model.json "
                        + "and model.safetensors");
        assertThatThrownBy(() -> Encoder.load(dir)).isInstanceOf(BalconException.class)
                .hasMessageContaining("is neither an exported model");
    }

    @Test
    void aTamperedWeightsFileIsRefusedByItsChecksum() throws IOException {
        Path copy = copyRun(exportDir, dir.resolve("tampered"));
        Path weights = copy.resolve("model.safetensors");
        byte[] bytes = Files.readAllBytes(weights);
        bytes[bytes.length - 1] ^= 1; // one bit of the last float
        Files.write(weights, bytes);
        assertThatThrownBy(() -> Encoder.load(copy)).isInstanceOf(BalconException.class)
                .hasMessageContaining(weights + " has SHA-256 " + sha256(weights))
                .hasMessageContaining("model.json records " + sha256(exportDir.resolve("model.safetensors")));
    }

    @Test
    void aModelJsonOfAnotherVersionOrArchitectureIsRefused() throws IOException {
        Path copy = copyRun(exportDir, dir.resolve("edited"));
        Path manifest = copy.resolve("model.json");
        ObjectNode json = (ObjectNode) ModelManifest.JSON.readTree(manifest.toFile());
        json.put("format_version", 2);
        Files.write(manifest, ModelManifest.JSON.writeValueAsBytes(json));
        assertThatThrownBy(() -> Encoder.load(copy)).isInstanceOf(BalconException.class)
                .hasMessage(manifest + ": format_version is 2, this balcon reads 1");

        json.put("format_version", 1);
        ((ObjectNode) json.path("architecture")).put("name", "vit-b16");
        Files.write(manifest, ModelManifest.JSON.writeValueAsBytes(json));
        assertThatThrownBy(() -> Encoder.load(copy)).isInstanceOf(BalconException.class)
                .hasMessage(manifest + ": architecture.name 'vit-b16' is unknown; this balcon reads resnet-small, resnet18");

        Files.writeString(manifest, "{ not json");
        assertThatThrownBy(() -> Encoder.load(copy)).isInstanceOf(BalconException.class)
                .hasMessageStartingWith("cannot read " + manifest + ": ");
    }

    @Test
    void anExportReplacesAnEarlierOneButNoOtherDirectoryAndLeavesNoTemporaryFiles() throws IOException {
        Path out = dir.resolve("out");
        ModelExport.export(runDir, out, false);
        ModelExport.export(runDir, out, false);
        assertThat(out.resolve("model.json")).exists();
        try (Stream<Path> entries = Files.list(dir)) {
            assertThat(entries.map(p -> p.getFileName().toString())).containsExactly("out");
        }
        Path occupied = Files.createDirectories(dir.resolve("occupied"));
        Files.writeString(occupied.resolve("notes.txt"), "mine");
        assertThatThrownBy(() -> ModelExport.export(runDir, occupied, false)).isInstanceOf(BalconException.class)
                .hasMessage(occupied + " exists and is not an exported model directory (no model.json): expected a "
                        + "new or empty directory");
        try (Stream<Path> entries = Files.list(occupied)) {
            assertThat(entries.map(p -> p.getFileName().toString())).containsExactly("notes.txt");
        }
    }

    static Map<String, NDArray> readSafetensors(Path file, NDManager manager) {
        try (InputStream in = Files.newInputStream(file)) {
            Map<String, NDArray> byName = new HashMap<>();
            for (NDArray array : NDList.decode(manager, in)) {
                byName.put(array.getName(), array);
            }
            return byName;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static String sha256(Path file) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A copy of a run or export directory (flat: both hold files only). */
    static Path copyRun(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                Files.copy(file, to.resolve(file.getFileName()));
            }
        }
        return to;
    }
}
