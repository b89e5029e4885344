package dev.balcon.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.balcon.augment.AugmentationRecipe;
import dev.balcon.augment.AugmentationSettings;
import dev.balcon.data.DataSelection;
import dev.balcon.data.ImageDataset;
import dev.balcon.data.RunData;
import dev.balcon.model.ModelSettings;
import dev.balcon.train.MethodConfig;
import dev.balcon.train.MonitorConfig;
import dev.balcon.train.OptimizerConfig;
import dev.balcon.train.PretrainConfig;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The command line balcon bench hands the PyTorch peer; no python runs here. */
class BenchmarkPeerCommandTest {

    private static PretrainConfig config(String kind, String dataDir, int trainLimit) {
        DataSelection selection = new DataSelection(kind, dataDir, null, null, 16, 3, false, 0.2, null, 7, 0, 0);
        RunData data = RunData.defaults().withSelection(selection);
        data = new RunData(data.selection(), trainLimit, data.classProfile(), data.rho(), data.paretoShape(),
                data.profileMax(), data.balancedTwin(), data.evalData());
        return new PretrainConfig(data, new ModelSettings("resnet-small", 4, 32, 16), MethodConfig.defaults(),
                new AugmentationSettings("simclr-no-blur", 0.3, 0.9, null), OptimizerConfig.defaults(),
                MonitorConfig.defaults(), 1, 8, 0, 2, "fp32", 1);
    }

    private static ImageDataset images() {
        return new ImageDataset("tiny", new byte[4 * 3 * 16 * 16], new int[] {0, 1, 0, 1}, 3, 16, 16, List.of("a", "b"));
    }

    private static String after(List<String> command, String option) {
        int at = command.indexOf(option);
        assertThat(at).as(option + " in " + command).isNotNegative();
        return command.get(at + 1);
    }

    @Test
    void endToEndNamesTheImagesAndTheWholeRecipe() throws Exception {
        PretrainConfig config = config("imagefolder", "/somewhere/tiny", 100);
        List<String> command = Benchmark.peerCommand(new Peer(Path.of("peer.py"), "python", false), config, images(), "e2e", 1, 2);

        assertThat(after(command, "--mode")).isEqualTo("e2e");
        assertThat(after(command, "--dataset")).isEqualTo("imagefolder");
        assertThat(after(command, "--data")).isEqualTo("/somewhere/tiny");
        assertThat(after(command, "--size")).isEqualTo("16");
        assertThat(after(command, "--in-channels")).isEqualTo("3");
        assertThat(after(command, "--train-limit")).isEqualTo("100");
        assertThat(after(command, "--data-seed")).isEqualTo(String.valueOf(config.data().dataSeed()));
        AugmentationRecipe recipe = new ObjectMapper().readValue(after(command, "--recipe-json"), AugmentationRecipe.class);
        assertThat(recipe).isEqualTo(config.augmentationRecipe());
        assertThat(recipe.name()).isEqualTo("simclr-no-blur");
        assertThat(recipe.cropScale()).isEqualTo(new AugmentationRecipe.Range(0.3, 0.9));
    }

    @Test
    void theComputeStepNeedsNoImages() {
        List<String> command = Benchmark.peerCommand(new Peer(Path.of("peer.py"), "python", false), config("imagefolder", "/x", 0),
                images(), "step", 1, 2);

        assertThat(command).doesNotContain("--dataset", "--data", "--recipe-json");
        assertThat(after(command, "--size")).isEqualTo("16");
    }

    @Test
    void aChannelsLastPeerIsAskedForItInEveryMode() {
        Peer channelsLast = new Peer(Path.of("peer.py"), "python", true);
        for (String mode : List.of("step", "e2e", "breakdown")) {
            List<String> command = Benchmark.peerCommand(channelsLast, config("imagefolder", "/x", 0), images(), mode, 1, 2);
            assertThat(command.subList(0, 4)).containsExactly("python", "peer.py", "--mode", mode);
            assertThat(command).contains("--channels-last");
        }
        assertThat(new Peer(Path.of("peer.py"), "python", false).command("embed")).doesNotContain("--channels-last");
    }

    @Test
    void aDatasetThePeerCannotReadGetsNoEndToEndPeer() {
        StringWriter log = new StringWriter();
        Benchmark.Measurement measurement = Benchmark.peer(new Peer(Path.of("no-such-peer.py"), "no-such-python", false),
                config("cifar10", "/x", 0), images(), "e2e", 1, 2, new PrintWriter(log, true));

        assertThat(measurement).isNull();
        assertThat(log.toString()).contains("no PyTorch peer end to end on --dataset cifar10")
                .contains("fashion-mnist and imagefolder");
    }
}
