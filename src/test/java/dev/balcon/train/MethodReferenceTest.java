package dev.balcon.train;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.balcon.augment.TwoViewBatch;
import dev.balcon.model.ArrayValues;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Each method against an independent PyTorch implementation (bench/peer_methods.py, torch 1.13): from the same
 * weights (batch-norm statistics included) on the same two batches, two steps give the same losses and the same
 * updated model, predictor and EMA target, within float32 tolerance. golden/methods.json holds the peer's numbers.
 */
class MethodReferenceTest {
    /**
     * Two SGD steps through a ResNet in float32, against another library's kernels. Rounding differences of the
     * convolutions (about 2e-7 relative: the stem on channels-last against plain input gives outputs 1.9e-6 apart on
     * values up to 10) grow over the two steps: the worst parameter of simclr was 9.1e-6 from the peer with the stem
     * converting its output to channels-last and 2.3e-5 with it converting its input (the same model, one kernel's
     * summation order apart). A layout or gradient mistake moves parameters by orders of magnitude more.
     */
    private static final double TOLERANCE = 5e-5;
    private static JsonNode fixture;

    @BeforeAll
    static void readFixture() throws IOException {
        try (InputStream in = MethodReferenceTest.class.getResourceAsStream("/golden/methods.json")) {
            fixture = new ObjectMapper().readTree(in);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"simclr", "simsiam", "byol"})
    void twoStepsMatchThePytorchPeer(String name) {
        PretrainConfig config = PretrainConfig.builder().method(name).arch(fixture.get("arch").asText())
                .width(fixture.get("width").asInt()).projectorHidden(fixture.get("projector_hidden").asInt())
                .projectorOut(fixture.get("projector_out").asInt()).batchSize(fixture.get("batch").asInt())
                .tau(name.equals("simclr") ? fixture.get("nt_xent_tau").asDouble() : null)
                .momentumTau(name.equals("byol") ? fixture.get("tau_base").asDouble() : null)
                .momentum(fixture.get("momentum").asDouble()).weightDecay(fixture.get("weight_decay").asDouble())
                .build();
        int size = fixture.get("size").asInt();
        JsonNode expected = fixture.get("methods").get(name);
        try (NDManager manager = NDManager.newBaseManager();
             Method method = Methods.create(config, 1, size, size, manager)) {
            overwrite(method.model().namedParameters(), fixture.get("initial").get("model"));
            if (method instanceof SimSiam simSiam) {
                overwrite(simSiam.predictor().namedParameters(), fixture.get("initial").get("predictor"));
            }
            if (method instanceof Byol byol) {
                overwrite(byol.predictor().namedParameters(), fixture.get("initial").get("predictor"));
                overwrite(byol.target().namedParameters(), fixture.get("initial").get("model"));
            }
            TrainStep step = new TrainStep(method);
            for (int i = 0; i < 2; i++) {
                double loss = step.run(batch(i, size), fixture.get("learning_rate").asDouble(),
                        fixture.get("steps").get(i).asLong(), fixture.get("total_steps").asLong());
                assertThat(loss).as("loss of step %d", i + 1)
                        .isCloseTo(expected.get("losses").get(i).asDouble(), within(TOLERANCE));
            }
            JsonNode finalState = expected.get("final");
            assertClose(method.model().namedParameters(), finalState.get("model"));
            if (method instanceof SimSiam simSiam) {
                assertClose(simSiam.predictor().namedParameters(), finalState.get("predictor"));
            }
            if (method instanceof Byol byol) {
                assertClose(byol.predictor().namedParameters(), finalState.get("predictor"));
                assertClose(byol.target().namedParameters(), finalState.get("target"));
            }
            assertThat(finalState.size()).isEqualTo(Map.of("simclr", 1, "simsiam", 2, "byol", 3).get(name));
        }
    }

    /**
     * MoCo v2 with NT-Xent (tau 0.5: InfoNCE) and with the balanced loss (alpha 4, lambda 2) against the queue: from
     * the peer's weights and queue (16 keys, so that step 2's 12 keys wrap around its end), two steps give the peer's
     * losses, model, key encoder (EMA at m = 0.9 over parameters and running statistics), queue and pointer.
     */
    @ParameterizedTest
    @ValueSource(strings = {"moco", "moco_balanced"})
    void mocoTwoStepsMatchThePytorchPeer(String variant) {
        boolean balanced = variant.equals("moco_balanced");
        PretrainConfig config = PretrainConfig.builder().method("moco").arch(fixture.get("arch").asText())
                .width(fixture.get("width").asInt()).projectorHidden(fixture.get("projector_hidden").asInt())
                .projectorOut(fixture.get("projector_out").asInt()).batchSize(fixture.get("batch").asInt())
                .loss(balanced ? "balanced" : "nt_xent")
                .tau(balanced ? null : fixture.get("nt_xent_tau").asDouble())
                .alpha(balanced ? fixture.get("balanced_alpha").asDouble() : null)
                .lambda(balanced ? fixture.get("balanced_lambda").asDouble() : null)
                .momentumTau(fixture.get("moco_momentum").asDouble()).queueSize(fixture.get("queue_size").asInt())
                .momentum(fixture.get("momentum").asDouble()).weightDecay(fixture.get("weight_decay").asDouble())
                .build();
        int size = fixture.get("size").asInt();
        JsonNode expected = fixture.get("methods").get(variant);
        try (NDManager manager = NDManager.newBaseManager();
             Method method = Methods.create(config, 1, size, size, manager)) {
            MoCo moco = (MoCo) method;
            overwrite(moco.model().namedParameters(), fixture.get("initial").get("model"));
            overwrite(moco.keyEncoder().namedParameters(), fixture.get("initial").get("model"));
            JsonNode initialQueue = fixture.get("initial").get("queue");
            assertThat(moco.queue().getShape().getShape()).containsExactly(initialQueue.get(0).get(0).asLong(),
                    initialQueue.get(0).get(1).asLong());
            ArrayValues.overwrite(moco.queue(), floats(initialQueue.get(1)));
            TrainStep step = new TrainStep(method);
            for (int i = 0; i < 2; i++) {
                double loss = step.run(batch(i, size), fixture.get("learning_rate").asDouble(),
                        fixture.get("steps").get(i).asLong(), fixture.get("total_steps").asLong());
                assertThat(loss).as("loss of step %d", i + 1)
                        .isCloseTo(expected.get("losses").get(i).asDouble(), within(TOLERANCE));
            }
            JsonNode finalState = expected.get("final");
            assertClose(moco.model().namedParameters(), finalState.get("model"));
            assertClose(moco.keyEncoder().namedParameters(), finalState.get("key_encoder"));
            float[] queue = moco.queue().toFloatArray();
            float[] wanted = floats(finalState.get("queue").get(1));
            assertThat(queue).hasSize(wanted.length);
            for (int j = 0; j < queue.length; j++) {
                assertThat((double) queue[j]).as("queue [%d]", j).isCloseTo(wanted[j], within(TOLERANCE));
            }
            assertThat(moco.queuePointer()).isEqualTo(finalState.get("queue_pointer").asLong());
        }
    }

    private static TwoViewBatch batch(int index, int size) {
        JsonNode pair = fixture.get("batches").get(index);
        int n = fixture.get("batch").asInt();
        return new TwoViewBatch(floats(pair.get(0)), floats(pair.get(1)), new int[n], n, 1, size, size);
    }

    /** Sets each parameter to the peer's tensor at the same position (PyTorch's state_dict order is balcon's). */
    private static void overwrite(List<Pair<String, Parameter>> parameters, JsonNode tensors) {
        assertThat(parameters).hasSize(tensors.size());
        for (int i = 0; i < tensors.size(); i++) {
            JsonNode tensor = tensors.get(i);
            assertShape(parameters.get(i), tensor);
            ArrayValues.overwrite(parameters.get(i).getValue().getArray(), floats(tensor.get(2)));
        }
    }

    private static void assertClose(List<Pair<String, Parameter>> parameters, JsonNode tensors) {
        assertThat(parameters).hasSize(tensors.size());
        for (int i = 0; i < tensors.size(); i++) {
            JsonNode tensor = tensors.get(i);
            assertShape(parameters.get(i), tensor);
            float[] actual = parameters.get(i).getValue().getArray().toFloatArray();
            float[] wanted = floats(tensor.get(2));
            for (int j = 0; j < actual.length; j++) {
                assertThat((double) actual[j]).as("%s (%s) [%d]", parameters.get(i).getKey(), tensor.get(0).asText(), j)
                        .isCloseTo(wanted[j], within(TOLERANCE * Math.max(1, Math.abs(wanted[j]))));
            }
        }
    }

    private static void assertShape(Pair<String, Parameter> parameter, JsonNode tensor) {
        long[] shape = new long[tensor.get(1).size()];
        for (int d = 0; d < shape.length; d++) {
            shape[d] = tensor.get(1).get(d).asLong();
        }
        assertThat(parameter.getValue().getArray().getShape().getShape())
                .as("shape of %s against the peer's %s", parameter.getKey(), tensor.get(0).asText()).containsExactly(shape);
    }

    private static float[] floats(JsonNode values) {
        float[] floats = new float[values.size()];
        for (int i = 0; i < floats.length; i++) {
            floats[i] = (float) values.get(i).asDouble();
        }
        return floats;
    }
}
