package dev.balcon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import org.junit.jupiter.api.Test;

/** Device names; the GPU cases are checked as they come out where DJL finds no GPU (this project's test machines). */
class ComputeDeviceTest {

    @Test
    void cpuIsTheDefaultAndParsesInAnyCase() {
        assertThat(ComputeDevice.current()).isEqualTo(Device.cpu());
        assertThat(ComputeDevice.parse("cpu")).isEqualTo(Device.cpu());
        assertThat(ComputeDevice.parse(" CPU ")).isEqualTo(Device.cpu());
    }

    @Test
    void autoIsGpuZeroWhereDjlFindsAGpuElseTheCpu() {
        Device expected = Engine.getInstance().getGpuCount() > 0 ? Device.gpu(0) : Device.cpu();
        assertThat(ComputeDevice.parse("auto")).isEqualTo(expected);
    }

    @Test
    void namesThatAreNoDeviceAreRefusedNamingTheField() {
        for (String name : new String[] {"tpu", "gpu:", "gpu:-1", "gpu:x", "gpu0", "", "cuda:0"}) {
            assertThatThrownBy(() -> ComputeDevice.parse(name)).isInstanceOf(BalconException.class)
                    .hasMessage("device must be cpu, gpu, gpu:N or auto, got '" + name + "'");
        }
        assertThatThrownBy(() -> ComputeDevice.parse(null)).isInstanceOf(BalconException.class)
                .hasMessageStartingWith("device must be");
    }

    @Test
    void aGpuWhereDjlFindsNoneIsRefused() {
        assumeTrue(Engine.getInstance().getGpuCount() == 0, "DJL finds a GPU here");
        for (String name : new String[] {"gpu", "gpu:0", "GPU:3"}) {
            assertThatThrownBy(() -> ComputeDevice.parse(name)).isInstanceOf(BalconException.class)
                    .hasMessageStartingWith("device " + name.toLowerCase() + ": DJL's PyTorch engine finds no GPU");
        }
    }

    @Test
    void aGpuIndexBeyondTheGpusFoundIsRefused() {
        int gpus = Engine.getInstance().getGpuCount();
        assumeTrue(gpus > 0, "DJL finds no GPU here");
        assertThat(ComputeDevice.parse("gpu:" + (gpus - 1))).isEqualTo(Device.gpu(gpus - 1));
        assertThatThrownBy(() -> ComputeDevice.parse("gpu:" + gpus)).isInstanceOf(BalconException.class)
                .hasMessageContaining("numbered gpu:0 to gpu:" + (gpus - 1));
    }

    @Test
    void setCurrentReplacesTheDeviceJobsUse() {
        Device previous = ComputeDevice.current();
        try {
            ComputeDevice.setCurrent(Device.gpu(1));
            assertThat(ComputeDevice.current()).isEqualTo(Device.gpu(1));
        } finally {
            ComputeDevice.setCurrent(previous);
        }
        assertThatThrownBy(() -> ComputeDevice.setCurrent(null)).isInstanceOf(NullPointerException.class);
    }
}
