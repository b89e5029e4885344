package dev.balcon.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.balcon.model.Bfloat16;
import dev.balcon.model.Precision;
import dev.balcon.model.PrecisionProbe;
import ai.djl.ndarray.types.Shape;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The CPU a benchmark ran on, as Linux describes it in {@code /proc/cpuinfo}, and its measured reference speed (a
 * large matmul). The speed of reduced precision depends on the instruction set: {@code avx512_bf16} has bfloat16 dot
 * products, {@code amx_bf16} bfloat16 matrix tiles, {@code avx512_fp16} float16 arithmetic; without them libtorch
 * emulates the type and it is slower than float32.
 *
 * @param cpuModel the first {@code model name} line, or {@code "unknown"}
 * @param logicalCpus the number of {@code processor} entries
 * @param flags the {@link #RELEVANT_FLAGS}, each mapped to whether the CPU has it
 */
public record Machine(String cpuModel, int logicalCpus, Map<String, Boolean> flags) {
    /** The instruction-set flags that decide float32 and reduced-precision speed, in the order they are reported. */
    public static final List<String> RELEVANT_FLAGS = List.of("avx2", "avx512f", "avx512_bf16", "amx_bf16", "avx512_fp16");

    /** This machine, read from {@code /proc/cpuinfo}; an unknown model and no flags where it cannot be read. */
    public static Machine current() {
        try {
            return parse(Files.readAllLines(Path.of("/proc/cpuinfo")));
        } catch (IOException e) {
            return parse(List.of());
        }
    }

    /** The machine described by the lines of a {@code /proc/cpuinfo} file. */
    public static Machine parse(List<String> cpuinfo) {
        String model = "unknown";
        int cpus = 0;
        Set<String> present = Set.of();
        for (String line : cpuinfo) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String key = line.substring(0, colon).strip();
            String value = line.substring(colon + 1).strip();
            switch (key) {
                case "processor" -> cpus++;
                case "model name" -> model = cpus <= 1 ? value : model;
                case "flags" -> present = cpus <= 1 ? Set.copyOf(Arrays.asList(value.split("\\s+"))) : present;
                default -> { }
            }
        }
        Map<String, Boolean> flags = new LinkedHashMap<>();
        for (String flag : RELEVANT_FLAGS) {
            flags.put(flag, present.contains(flag));
        }
        return new Machine(model, cpus, flags);
    }

    /** One line: model, logical CPUs and each relevant flag with yes or no. */
    public String describe() {
        return cpuModel + ", " + logicalCpus + " logical CPUs; "
                + flags.entrySet().stream().map(e -> e.getKey() + " " + (e.getValue() ? "yes" : "no"))
                .collect(Collectors.joining(", "));
    }

    /**
     * The engine's speed on an {@code n x n} by {@code n x n} product in {@code precision} in GFLOP/s ({@code 2 n^3}
     * floating-point operations per product): the median of {@code repeats} products after two untimed ones. This is
     * the reference the bench divides a model's achieved FLOP/s by, the same measurement as the peer's
     * {@code --mode matmul}.
     *
     * @throws IllegalArgumentException if {@code n < 1} or {@code repeats < 1}
     * @throws dev.balcon.BalconException if {@code precision} does not work with this engine ({@link PrecisionProbe})
     */
    public static double matmulGflops(NDManager manager, int n, Precision precision, int repeats) {
        if (n < 1 || repeats < 1) {
            throw new IllegalArgumentException("n and repeats must be >= 1, got " + n + " and " + repeats);
        }
        try (NDManager scope = manager.newSubManager()) {
            NDArray a = scope.randomNormal(new Shape(n, n));
            NDArray b = scope.randomNormal(new Shape(n, n));
            if (precision == Precision.BF16) {
                PrecisionProbe.requireSupported(precision);
                a = Bfloat16.toBfloat16(a);
                b = Bfloat16.toBfloat16(b);
            }
            for (int i = 0; i < 2; i++) {
                a.matMul(b).close();
            }
            double[] seconds = new double[repeats];
            for (int i = 0; i < repeats; i++) {
                long start = System.nanoTime();
                a.matMul(b).close();
                seconds[i] = (System.nanoTime() - start) / 1e9;
            }
            return 2.0 * n * n * n / Benchmark.median(seconds) / 1e9;
        }
    }
}
