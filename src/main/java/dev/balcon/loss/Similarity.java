package dev.balcon.loss;

import dev.balcon.BalconException;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The similarity s(a, b) between two projected views that the contrastive loss compares. */
public enum Similarity {
    /** a.b / (|a| |b|): the paper's choice (cosine similarity with L2 normalisation). */
    COSINE("cosine"),
    /** a.b without normalisation: the paper's ablation, which collapses. */
    DOT("dot"),
    /** -|a - b|_2 without normalisation: the paper's other ablation. */
    NEG_EUCLIDEAN("neg_euclidean");

    private final String cliName;

    Similarity(String cliName) {
        this.cliName = cliName;
    }

    /** The name used on the command line and in configuration files. */
    public String cliName() {
        return cliName;
    }

    /**
     * Parses a similarity name ("cosine", "dot", "neg_euclidean"; case-insensitive).
     *
     * @throws BalconException if the name is none of them
     */
    public static Similarity fromName(String name) {
        if (name != null) {
            String wanted = name.trim().toLowerCase(Locale.ROOT);
            for (Similarity similarity : values()) {
                if (similarity.cliName.equals(wanted)) {
                    return similarity;
                }
            }
        }
        throw new BalconException("unknown similarity '" + name + "'; expected one of "
                + Arrays.stream(values()).map(Similarity::cliName).collect(Collectors.joining(", ")));
    }
}
