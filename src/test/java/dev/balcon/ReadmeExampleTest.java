package dev.balcon;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.balcon.loss.ContrastiveLoss;
import dev.balcon.loss.LossConfig;
import dev.balcon.model.ContrastiveModel;
import dev.balcon.model.ModelConfig;
import dev.balcon.model.ResNetConfig;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The library example of the README, verbatim between the markers, so that it keeps compiling and working. */
class ReadmeExampleTest {

    @Test
    void theReadmeExampleRunsAndProducesGradients() {
        float[] result = new float[2];
        // README-EXAMPLE-START
        try (NDManager manager = NDManager.newBaseManager();
             ContrastiveModel model = ContrastiveModel.create(
                     new ModelConfig(ResNetConfig.named("resnet-small", 8), 1, 64, 32), 28, 28, manager, 42)) {
            ContrastiveLoss loss = new ContrastiveLoss(LossConfig.balanced(4, 2)); // the paper's loss
            ParameterStore parameters = new ParameterStore(manager, false);
            int n = 16;
            // your two augmented views of n images, stacked: rows 0..n-1 are view 1, rows n..2n-1 view 2
            NDArray views = manager.randomNormal(new Shape(2 * n, 1, 28, 28));
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray projections = model.forward(parameters, views, true).get(1);
                NDArray value = loss.compute(projections.get("0:" + n), projections.get(n + ":"));
                collector.backward(value);
                System.out.println(loss.config().describe() + " = " + value.getFloat());
                result[0] = value.getFloat(); // README-EXAMPLE-SKIP
            }
            // gradients are now on model.trainableParameters(); step them with any optimizer
            result[1] = model.trainableParameters().get(0).getArray().getGradient().abs().sum().getFloat(); // README-EXAMPLE-SKIP
        }
        // README-EXAMPLE-END
        assertThat(result[0]).isFinite();
        assertThat(result[1]).isPositive();
    }

    @Test
    void theReadmeShowsExactlyThisExample() throws Exception {
        String source = java.nio.file.Files.readString(java.nio.file.Path.of("src/test/java/dev/balcon/ReadmeExampleTest.java"));
        String body = source.substring(source.indexOf("// README-EXAMPLE-START\n") + "// README-EXAMPLE-START\n".length(),
                source.indexOf("        // README-EXAMPLE-END"));
        String snippet = body.lines().filter(line -> !line.contains("README-EXAMPLE-" + "SKIP"))
                .map(line -> line.startsWith("        ") ? line.substring(8) : line)
                .collect(java.util.stream.Collectors.joining("\n")).strip();
        assertThat(java.nio.file.Files.readString(java.nio.file.Path.of("README.md"))).contains(snippet);
    }
}
