package dev.balcon.loss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.balcon.BalconException;
import dev.balcon.InvalidField;
import java.util.function.DoubleFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Presets, option handling and validation of {@link LossConfig}, and the similarity/candidate names. */
class LossConfigTest {

    private static final double[] INVALID_POSITIVE_VALUES = {0, -0.0, -1, Double.NaN, Double.POSITIVE_INFINITY,
        Double.NEGATIVE_INFINITY};

    @Test
    void presetsHaveTheSpecsSettingsAndDefaults() {
        assertThat(LossConfig.presetNames()).containsExactly("nt_xent", "generalized_nt_xent", "dcl", "balanced");
        assertThat(LossConfig.fromPreset("nt_xent", null, null, null, null, null)).isEqualTo(
                new LossConfig("nt_xent", Similarity.COSINE, Candidates.ALL_VIEWS, true, false, 2, 1, 1));
        assertThat(LossConfig.fromPreset("generalized_nt_xent", null, null, null, null, null)).isEqualTo(
                new LossConfig("generalized_nt_xent", Similarity.COSINE, Candidates.ALL_VIEWS, true, false, 2, 2, 1));
        assertThat(LossConfig.fromPreset("dcl", null, null, null, null, null)).isEqualTo(
                new LossConfig("dcl", Similarity.COSINE, Candidates.ALL_VIEWS, false, false, 2, 1, 1));
        assertThat(LossConfig.fromPreset("balanced", null, null, null, null, null)).isEqualTo(
                new LossConfig("balanced", Similarity.COSINE, Candidates.CROSS_VIEW, true, true, 4, 2, 1));
    }

    @Test
    void optionsOverrideThePresetDefaults() {
        assertThat(LossConfig.fromPreset("balanced", null, 1.0, 4.0, 1.5, "neg_euclidean")).isEqualTo(
                new LossConfig("balanced", Similarity.NEG_EUCLIDEAN, Candidates.CROSS_VIEW, true, true, 1, 4, 1.5));
        assertThat(LossConfig.fromPreset("generalized_nt_xent", null, 3.0, null, null, "dot"))
                .isEqualTo(LossConfig.generalizedNtXent(3, 2).withSimilarity(Similarity.DOT));
        assertThat(LossConfig.fromPreset("nt_xent", 0.2, null, null, null, null)).isEqualTo(LossConfig.ntXent(0.2));
        assertThat(LossConfig.fromPreset("dcl", 0.1, null, null, null, null).alpha()).isEqualTo(10);
    }

    @Test
    void withMethodsChangeExactlyOneSetting() {
        LossConfig balanced = LossConfig.balanced(4, 2);
        assertThat(balanced.withSimilarity(Similarity.DOT)).isEqualTo(
                new LossConfig("balanced", Similarity.DOT, Candidates.CROSS_VIEW, true, true, 4, 2, 1));
        assertThat(balanced.withScaleByInvAlpha(false)).isEqualTo(
                new LossConfig("balanced", Similarity.COSINE, Candidates.CROSS_VIEW, true, false, 4, 2, 1));
        assertThat(balanced.withNu(3)).isEqualTo(
                new LossConfig("balanced", Similarity.COSINE, Candidates.CROSS_VIEW, true, true, 4, 2, 3));
        assertThat(balanced.withCandidates(Candidates.ALL_VIEWS)).isEqualTo(
                new LossConfig("balanced", Similarity.COSINE, Candidates.ALL_VIEWS, true, true, 4, 2, 1));
        assertThat(balanced.withIncludePositive(false)).isEqualTo(
                new LossConfig("balanced", Similarity.COSINE, Candidates.CROSS_VIEW, false, true, 4, 2, 1));
        assertThat(balanced.withNu(4).repellingWeight()).isEqualTo(0.5);
    }

    @Test
    void describeNamesThePresetAndEverySetting() {
        assertThat(LossConfig.balanced(4, 2).describe())
                .isEqualTo("balanced(alpha=4, lambda=2, nu=1, cosine, cross_view, 1/alpha scaling)");
        assertThat(LossConfig.ntXent(0.5).describe())
                .isEqualTo("nt_xent(alpha=2, lambda=1, nu=1, cosine, all_views, no 1/alpha scaling)");
        assertThat(LossConfig.dcl(0.3).withSimilarity(Similarity.NEG_EUCLIDEAN).describe()).isEqualTo(
                "dcl(alpha=3.33333, lambda=1, nu=1, neg_euclidean, all_views, positive excluded, no 1/alpha scaling)");
        assertThat(LossConfig.generalizedNtXent(2, 0.25).withNu(1.5).describe())
                .isEqualTo("generalized_nt_xent(alpha=2, lambda=0.25, nu=1.5, cosine, all_views, no 1/alpha scaling)");
    }

    static Stream<Arguments> invalidParameters() {
        Stream.Builder<Arguments> cases = Stream.builder();
        for (double value : INVALID_POSITIVE_VALUES) {
            cases.add(Arguments.of("alpha", value, (DoubleFunction<LossConfig>) v -> LossConfig.balanced(v, 2)));
            cases.add(Arguments.of("alpha", value,
                    (DoubleFunction<LossConfig>) v -> LossConfig.generalizedNtXent(v, 2)));
            cases.add(Arguments.of("lambda", value, (DoubleFunction<LossConfig>) v -> LossConfig.balanced(4, v)));
            cases.add(Arguments.of("lambda", value,
                    (DoubleFunction<LossConfig>) v -> LossConfig.generalizedNtXent(2, v)));
            cases.add(Arguments.of("nu", value, (DoubleFunction<LossConfig>) v -> LossConfig.balanced(4, 2).withNu(v)));
            cases.add(Arguments.of("tau", value, (DoubleFunction<LossConfig>) LossConfig::ntXent));
            cases.add(Arguments.of("tau", value, (DoubleFunction<LossConfig>) LossConfig::dcl));
            cases.add(Arguments.of("tau", value,
                    (DoubleFunction<LossConfig>) v -> LossConfig.fromPreset("nt_xent", v, null, null, null, null)));
            cases.add(Arguments.of("alpha", value,
                    (DoubleFunction<LossConfig>) v -> LossConfig.fromPreset("balanced", null, v, null, null, null)));
            cases.add(Arguments.of("lambda", value, (DoubleFunction<LossConfig>)
                    v -> LossConfig.fromPreset("generalized_nt_xent", null, null, v, null, null)));
            cases.add(Arguments.of("nu", value,
                    (DoubleFunction<LossConfig>) v -> LossConfig.fromPreset("balanced", null, null, null, v, null)));
        }
        return cases.build();
    }

    @ParameterizedTest(name = "{0} = {1}")
    @MethodSource("invalidParameters")
    void rejectsParametersThatAreNotFinitePositiveNumbers(String parameter, double value,
                                                          DoubleFunction<LossConfig> build) {
        assertThatThrownBy(() -> build.apply(value)).isInstanceOf(BalconException.class)
                .hasMessage(parameter + " must be a finite number > 0, got " + value);
    }

    @Test
    void rejectsATauSoSmallThatAlphaOverflows() {
        assertThatThrownBy(() -> LossConfig.ntXent(Double.MIN_VALUE)).isInstanceOf(BalconException.class)
                .hasMessageStartingWith("tau must be a finite number > 0");
    }

    @ParameterizedTest
    @ValueSource(strings = {"simclr", "", "nt-xent"})
    void rejectsAnUnknownPresetListingTheValidOnes(String preset) {
        assertThatThrownBy(() -> LossConfig.fromPreset(preset, null, null, null, null, null))
                .isInstanceOf(BalconException.class)
                .hasMessage("unknown loss preset '" + preset
                        + "'; expected one of nt_xent, generalized_nt_xent, dcl, balanced");
    }

    @Test
    void rejectsOptionsThatDoNotApplyToThePreset() {
        assertThatThrownBy(() -> LossConfig.fromPreset("balanced", 0.5, null, null, null, null))
                .isInstanceOf(InvalidField.class).hasMessageStartingWith("tau does not apply to loss preset balanced");
        assertThatThrownBy(() -> LossConfig.fromPreset("generalized_nt_xent", 0.5, null, null, null, null))
                .isInstanceOf(InvalidField.class)
                .hasMessageStartingWith("tau does not apply to loss preset generalized_nt_xent");
        assertThatThrownBy(() -> LossConfig.fromPreset("nt_xent", null, 2.0, null, null, null))
                .isInstanceOf(InvalidField.class).hasMessageStartingWith("alpha does not apply to loss preset nt_xent");
        assertThatThrownBy(() -> LossConfig.fromPreset("dcl", null, 2.0, null, null, null))
                .isInstanceOf(InvalidField.class).hasMessageStartingWith("alpha does not apply to loss preset dcl");
        assertThatThrownBy(() -> LossConfig.fromPreset("nt_xent", null, null, 2.0, null, null))
                .isInstanceOf(InvalidField.class).hasMessageStartingWith("lambda does not apply to loss preset nt_xent");
        assertThatThrownBy(() -> LossConfig.fromPreset("dcl", null, null, null, 2.0, null))
                .isInstanceOf(InvalidField.class).hasMessageStartingWith("nu does not apply to loss preset dcl");
    }

    @Test
    void rejectsAnUnknownSimilarityOrCandidateSet() {
        assertThatThrownBy(() -> LossConfig.fromPreset("balanced", null, null, null, null, "euclidean"))
                .isInstanceOf(BalconException.class)
                .hasMessage("unknown similarity 'euclidean'; expected one of cosine, dot, neg_euclidean");
        assertThatThrownBy(() -> Candidates.fromName("same_view")).isInstanceOf(BalconException.class)
                .hasMessage("unknown candidates 'same_view'; expected one of all_views, cross_view");
    }

    @ParameterizedTest
    @EnumSource(Similarity.class)
    void similarityNamesRoundTrip(Similarity similarity) {
        assertThat(Similarity.fromName(similarity.cliName())).isSameAs(similarity);
        assertThat(Similarity.fromName(similarity.cliName().toUpperCase())).isSameAs(similarity);
    }

    @ParameterizedTest
    @EnumSource(Candidates.class)
    void candidateNamesRoundTrip(Candidates candidates) {
        assertThat(Candidates.fromName(candidates.cliName())).isSameAs(candidates);
    }

    @Test
    void cliNamesAreTheSpecsNames() {
        assertThat(Stream.of(Similarity.values()).map(Similarity::cliName))
                .containsExactly("cosine", "dot", "neg_euclidean");
        assertThat(Stream.of(Candidates.values()).map(Candidates::cliName)).containsExactly("all_views", "cross_view");
    }
}
