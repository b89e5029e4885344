package dev.balcon.loss;

import dev.balcon.BalconException;
import dev.balcon.InvalidField;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * One member of the contrastive loss family: per anchor a with positive p and candidate set C(a),
 *
 * <pre>
 *   l(a) = -alpha * s(a, p) + (lambda / nu) * log sum_{c in C(a)} exp(alpha * s(a, c))
 *   l(a) = l(a) / alpha   if scaleByInvAlpha
 *   loss = mean of l(a) over all 2N anchors
 * </pre>
 *
 * The named presets (NT-Xent, generalized NT-Xent, DCL, the paper's balanced loss) are configurations of
 * this one formula; the {@code with...} methods switch any single setting of a preset.
 *
 * @param presetName the preset this configuration came from, used as its label in {@link #describe()}
 * @param similarity the similarity s(a, b)
 * @param candidates the views in the log-sum-exp of each anchor
 * @param includePositive whether the positive stays in the log-sum-exp (false: decoupled contrastive loss)
 * @param scaleByInvAlpha whether each anchor's loss is divided by alpha (the paper's 1/alpha factor)
 * @param alpha the inverse temperature, alpha = 1/tau, finite and &gt; 0
 * @param lambda the weight of the repelling term, finite and &gt; 0
 * @param nu the divisor of lambda, finite and &gt; 0 (only lambda/nu enters the loss)
 */
public record LossConfig(String presetName, Similarity similarity, Candidates candidates, boolean includePositive,
                         boolean scaleByInvAlpha, double alpha, double lambda, double nu) {

    private static final String NT_XENT = "nt_xent";
    private static final String GENERALIZED_NT_XENT = "generalized_nt_xent";
    private static final String DCL = "dcl";
    private static final String BALANCED = "balanced";
    private static final List<String> PRESET_NAMES = List.of(NT_XENT, GENERALIZED_NT_XENT, DCL, BALANCED);

    private static final double DEFAULT_TAU = 0.5;
    private static final double GENERALIZED_DEFAULT_ALPHA = 2;
    private static final double GENERALIZED_DEFAULT_LAMBDA = 2;
    private static final double BALANCED_DEFAULT_ALPHA = 4;
    private static final double BALANCED_DEFAULT_LAMBDA = 2;

    /**
     * Validates the parameters; see the record description for the allowed ranges.
     *
     * @throws InvalidField naming the parameter ({@code alpha}, {@code lambda}, {@code nu}) out of range
     */
    public LossConfig {
        Objects.requireNonNull(presetName, "presetName");
        Objects.requireNonNull(similarity, "similarity");
        Objects.requireNonNull(candidates, "candidates");
        requirePositiveFinite("alpha", alpha);
        requirePositiveFinite("lambda", lambda);
        requirePositiveFinite("nu", nu);
    }

    /** SimCLR's NT-Xent at temperature tau: all views, positive included, alpha = 1/tau, lambda = nu = 1. */
    public static LossConfig ntXent(double tau) {
        return new LossConfig(NT_XENT, Similarity.COSINE, Candidates.ALL_VIEWS, true, false,
                alphaFromTau(tau), 1, 1);
    }

    /** NT-Xent with a free repelling weight lambda (equals NT-Xent at lambda = 1). */
    public static LossConfig generalizedNtXent(double alpha, double lambda) {
        return new LossConfig(GENERALIZED_NT_XENT, Similarity.COSINE, Candidates.ALL_VIEWS, true, false,
                alpha, lambda, 1);
    }

    /** The decoupled contrastive loss (Yeh et al. 2022): NT-Xent without the positive in the log-sum-exp. */
    public static LossConfig dcl(double tau) {
        return new LossConfig(DCL, Similarity.COSINE, Candidates.ALL_VIEWS, false, false, alphaFromTau(tau), 1, 1);
    }

    /** The paper's derived loss: cross-view candidates, positive included, nu = 1, scaled by 1/alpha. */
    public static LossConfig balanced(double alpha, double lambda) {
        return new LossConfig(BALANCED, Similarity.COSINE, Candidates.CROSS_VIEW, true, true, alpha, lambda, 1);
    }

    /** This configuration with another similarity. */
    public LossConfig withSimilarity(Similarity newSimilarity) {
        return new LossConfig(presetName, newSimilarity, candidates, includePositive, scaleByInvAlpha, alpha,
                lambda, nu);
    }

    /** This configuration with the 1/alpha factor switched on or off. */
    public LossConfig withScaleByInvAlpha(boolean newScaleByInvAlpha) {
        return new LossConfig(presetName, similarity, candidates, includePositive, newScaleByInvAlpha, alpha,
                lambda, nu);
    }

    /** This configuration with another nu. */
    public LossConfig withNu(double newNu) {
        return new LossConfig(presetName, similarity, candidates, includePositive, scaleByInvAlpha, alpha,
                lambda, newNu);
    }

    /** This configuration with another candidate set. */
    public LossConfig withCandidates(Candidates newCandidates) {
        return new LossConfig(presetName, similarity, newCandidates, includePositive, scaleByInvAlpha, alpha,
                lambda, nu);
    }

    /** This configuration with the positive kept in or dropped from the log-sum-exp. */
    public LossConfig withIncludePositive(boolean newIncludePositive) {
        return new LossConfig(presetName, similarity, candidates, newIncludePositive, scaleByInvAlpha, alpha,
                lambda, nu);
    }

    /** The weight lambda/nu of the log-sum-exp term, the only way lambda and nu enter the loss. */
    public double repellingWeight() {
        return lambda / nu;
    }

    /** The names accepted by {@link #fromPreset}: nt_xent, generalized_nt_xent, dcl, balanced. */
    public static List<String> presetNames() {
        return PRESET_NAMES;
    }

    /**
     * Builds a configuration from a preset name and the parameters given; a null parameter keeps the preset's
     * default (nt_xent and dcl: tau = 0.5; generalized_nt_xent: alpha = 2, lambda = 2;
     * balanced: alpha = 4, lambda = 2; nu = 1; similarity cosine). nt_xent and dcl take only tau (they fix
     * lambda = nu = 1); generalized_nt_xent and balanced take alpha, lambda and nu, not tau.
     *
     * @throws InvalidField   naming the parameter ({@code tau}, {@code alpha}, {@code lambda}, {@code nu}) if it does
     *     not apply to the preset or its value is out of range
     * @throws BalconException if the preset or the similarity is unknown
     */
    public static LossConfig fromPreset(String preset, Double tau, Double alpha, Double lambda, Double nu,
                                        String similarity) {
        String name = preset == null ? "" : preset.trim().toLowerCase(Locale.ROOT);
        LossConfig config;
        switch (name) {
            case NT_XENT, DCL -> {
                rejectParameter(name, "alpha", alpha, "it takes tau (alpha = 1/tau)");
                rejectParameter(name, "lambda", lambda, "it fixes lambda = 1; use generalized_nt_xent to set it");
                rejectParameter(name, "nu", nu, "it fixes nu = 1");
                double chosenTau = tau == null ? DEFAULT_TAU : tau;
                config = name.equals(NT_XENT) ? ntXent(chosenTau) : dcl(chosenTau);
            }
            case GENERALIZED_NT_XENT, BALANCED -> {
                rejectParameter(name, "tau", tau, "it takes alpha (alpha = 1/tau)");
                boolean balanced = name.equals(BALANCED);
                double chosenAlpha = alpha != null ? alpha
                        : balanced ? BALANCED_DEFAULT_ALPHA : GENERALIZED_DEFAULT_ALPHA;
                double chosenLambda = lambda != null ? lambda
                        : balanced ? BALANCED_DEFAULT_LAMBDA : GENERALIZED_DEFAULT_LAMBDA;
                config = balanced ? balanced(chosenAlpha, chosenLambda)
                        : generalizedNtXent(chosenAlpha, chosenLambda);
                if (nu != null) {
                    config = config.withNu(nu);
                }
            }
            default -> throw new BalconException("unknown loss preset '" + preset + "'; expected one of "
                    + String.join(", ", PRESET_NAMES));
        }
        return similarity == null ? config : config.withSimilarity(Similarity.fromName(similarity));
    }

    /**
     * One line naming the preset and every setting, e.g.
     * {@code balanced(alpha=4, lambda=2, nu=1, cosine, cross_view, 1/alpha scaling)}.
     */
    public String describe() {
        List<String> parts = new ArrayList<>();
        parts.add("alpha=" + format(alpha));
        parts.add("lambda=" + format(lambda));
        parts.add("nu=" + format(nu));
        parts.add(similarity.cliName());
        parts.add(candidates.cliName());
        if (!includePositive) {
            parts.add("positive excluded");
        }
        parts.add(scaleByInvAlpha ? "1/alpha scaling" : "no 1/alpha scaling");
        return presetName + "(" + String.join(", ", parts) + ")";
    }

    private static double alphaFromTau(double tau) {
        if (!Double.isFinite(tau) || tau <= 0 || !Double.isFinite(1 / tau)) {
            throw new InvalidField("tau", "must be a finite number > 0, got " + tau);
        }
        return 1 / tau;
    }

    private static void requirePositiveFinite(String parameter, double value) {
        if (!Double.isFinite(value) || value <= 0) {
            throw new InvalidField(parameter, "must be a finite number > 0, got " + value);
        }
    }

    private static void rejectParameter(String preset, String parameter, Double value, String reason) {
        if (value != null) {
            throw new InvalidField(parameter, "does not apply to loss preset " + preset + ": " + reason);
        }
    }

    /** Six significant digits without trailing zeros: 4 for 4.0, 3.33333 for 1/0.3. */
    private static String format(double value) {
        return new BigDecimal(value).round(new MathContext(6)).stripTrailingZeros().toPlainString();
    }
}
