package dev.balcon.loss;

import dev.balcon.BalconException;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** Which views form the log-sum-exp (the repelling term) of an anchor's loss. */
public enum Candidates {
    /** All 2N views except the anchor itself (SimCLR's NT-Xent): 2N - 1 terms, the positive among them. */
    ALL_VIEWS("all_views"),
    /** The N views of the other augmentation (the paper's derived loss), the positive among them. */
    CROSS_VIEW("cross_view");

    private final String cliName;

    Candidates(String cliName) {
        this.cliName = cliName;
    }

    /** The name used on the command line and in configuration files. */
    public String cliName() {
        return cliName;
    }

    /**
     * Parses a candidate-set name ("all_views", "cross_view"; case-insensitive).
     *
     * @throws BalconException if the name is none of them
     */
    public static Candidates fromName(String name) {
        if (name != null) {
            String wanted = name.trim().toLowerCase(Locale.ROOT);
            for (Candidates candidates : values()) {
                if (candidates.cliName.equals(wanted)) {
                    return candidates;
                }
            }
        }
        throw new BalconException("unknown candidates '" + name + "'; expected one of "
                + Arrays.stream(values()).map(Candidates::cliName).collect(Collectors.joining(", ")));
    }
}
