package dev.balcon.cli;

import dev.balcon.BalconException;
import dev.balcon.model.Precision;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/**
 * The option of the verbs that compute a trained encoder's features ({@code knn}, {@code linear}, {@code embed}):
 * the {@link Precision} they compute in. ({@code pretrain} and {@code bench} take their {@code --precision} as a
 * training setting instead.)
 */
final class PrecisionOptions {
    static final String PRECISION = "--precision";

    @Option(names = PRECISION, defaultValue = "fp32", converter = PrecisionConverter.class,
            description = "Number format of the encoder's forward passes: fp32, or bf16 (mixed precision as "
                    + "torch.autocast: convolutions and linear layers in bfloat16, features returned as float32; "
                    + "faster only on CPUs with avx512_bf16 or amx_bf16 or on a GPU, see docs/performance.md; "
                    + "default: ${DEFAULT-VALUE}).")
    Precision precision;

    /** What a result line adds about {@code precision}: nothing for fp32, {@code ", features in bf16"} else. */
    static String note(Precision precision) {
        return precision == Precision.FP32 ? "" : ", features in " + precision.id();
    }

    /** Turns the library's error into picocli's, so that a bad name is a usage error naming --precision. */
    static final class PrecisionConverter implements ITypeConverter<Precision> {
        @Override
        public Precision convert(String value) {
            try {
                return Precision.of(value);
            } catch (BalconException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }
}
