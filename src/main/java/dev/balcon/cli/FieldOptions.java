package dev.balcon.cli;

import dev.balcon.BalconException;
import dev.balcon.InvalidField;

import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Library errors told in options: the library names the field of a value out of range ({@link InvalidField}), the
 * command line the option that set it.
 */
final class FieldOptions {
    private FieldOptions() {}

    /**
     * What {@code make} makes. An {@link InvalidField} it throws is told by the option {@code optionOf} gives for its
     * field ("k must be >= 1, got 0" as "--knn-k must be >= 1, got 0"), or thrown as it is where that is null.
     */
    static <T> T inOptions(Function<String, String> optionOf, Supplier<T> make) {
        try {
            return make.get();
        } catch (InvalidField invalid) {
            String option = optionOf.apply(invalid.field());
            if (option == null) {
                throw invalid;
            }
            throw new BalconException(option + " " + invalid.detail(), invalid);
        }
    }

    /** {@link #inOptions(Function, Supplier)} with the options in a map from field to option. */
    static <T> T inOptions(Map<String, String> optionsByField, Supplier<T> make) {
        return inOptions(optionsByField::get, make);
    }
}
