package dev.balcon.model;

import dev.balcon.BalconException;

import java.util.Locale;

/**
 * The number format of a model's compute. {@link #BF16} is mixed precision as {@code torch.autocast("cpu",
 * dtype=torch.bfloat16)} does it: convolutions and linear layers run in bfloat16 (8 bits of mantissa, float32's range)
 * on bfloat16 copies of the weights, batch norm keeps float32 scale, shift and running statistics, and the parameters,
 * their gradients, the optimiser state and the loss stay float32. It pays where the CPU has bfloat16 instructions
 * ({@code avx512_bf16}, {@code amx_bf16}) or on a GPU; elsewhere libtorch emulates the type and it is slower than
 * float32.
 */
public enum Precision {
    FP32, BF16;

    /** The lower-case name used in configuration files and on the command line: {@code fp32} or {@code bf16}. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The precision named {@code id} ({@code fp32} or {@code bf16}, any case).
     *
     * @throws BalconException naming the field {@code precision} for any other name
     */
    public static Precision of(String id) {
        for (Precision precision : values()) {
            if (precision.id().equalsIgnoreCase(id)) {
                return precision;
            }
        }
        throw new BalconException("precision must be fp32 or bf16, got '" + id + "'");
    }
}
