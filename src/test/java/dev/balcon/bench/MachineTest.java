package dev.balcon.bench;

import ai.djl.ndarray.NDManager;
import dev.balcon.model.Precision;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MachineTest {

    @Test
    void readsTheModelTheCpuCountAndTheRelevantFlagsOfTheFirstProcessor() {
        List<String> cpuinfo = List.of(
                "processor\t: 0", "model name\t: AMD EPYC 9R14", "flags\t\t: fpu avx2 avx512f avx512_bf16 sse4_2", "",
                "processor\t: 1", "model name\t: AMD EPYC 9R14", "flags\t\t: fpu avx2 avx512f avx512_bf16 sse4_2", "");

        Machine machine = Machine.parse(cpuinfo);

        assertThat(machine.cpuModel()).isEqualTo("AMD EPYC 9R14");
        assertThat(machine.logicalCpus()).isEqualTo(2);
        assertThat(machine.flags()).containsExactly(
                java.util.Map.entry("avx2", true), java.util.Map.entry("avx512f", true),
                java.util.Map.entry("avx512_bf16", true), java.util.Map.entry("amx_bf16", false),
                java.util.Map.entry("avx512_fp16", false));
        assertThat(machine.describe()).isEqualTo("AMD EPYC 9R14, 2 logical CPUs; avx2 yes, avx512f yes, "
                + "avx512_bf16 yes, amx_bf16 no, avx512_fp16 no");
    }

    @Test
    void anUnreadableCpuinfoGivesAnUnknownModelAndNoFlags() {
        Machine machine = Machine.parse(List.of());

        assertThat(machine.cpuModel()).isEqualTo("unknown");
        assertThat(machine.flags().values()).containsOnly(false);
    }

    @Test
    void measuresAPositiveMatmulSpeedAndRejectsAnEmptyProduct() {
        try (NDManager manager = NDManager.newBaseManager()) {
            assertThat(Machine.matmulGflops(manager, 64, Precision.FP32, 3)).isPositive().isFinite();
            assertThatThrownBy(() -> Machine.matmulGflops(manager, 0, Precision.FP32, 3))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("n and repeats");
        }
    }
}
