package dev.balcon.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.balcon.BalconException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ClassProfilesTest {
    private static void assertNonIncreasing(int[] counts) {
        for (int i = 1; i < counts.length; i++) {
            assertThat(counts[i]).isLessThanOrEqualTo(counts[i - 1]);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {10, 100})
    void exponentialProfileFollowsCifarLtFormula(int rho) {
        int[] counts = ClassProfiles.exponentialCounts(10, 5000, rho);
        assertThat(counts).hasSize(10);
        assertThat(counts[0]).isEqualTo(5000);
        assertThat(counts[9]).isEqualTo(5000 / rho);
        assertNonIncreasing(counts);
        for (int i = 0; i < 10; i++) {
            double exact = 5000 * Math.exp(-Math.log(rho) * i / 9.0);
            // floor of the exact value, up to rounding of the power
            assertThat((double) counts[i]).isBetween(exact - 1, exact + 1e-9);
        }
    }

    @Test
    void exponentialProfileMatchesPublishedCifar10LtSizes() {
        // CIFAR-10-LT with rho = 100 holds 12,406 training images (Cao et al. 2019, LDAM-DRW)
        assertThat(ClassProfiles.exponentialCounts(10, 5000, 100))
                .containsExactly(5000, 2997, 1796, 1077, 645, 387, 232, 139, 83, 50);
        assertThat(Arrays.stream(ClassProfiles.exponentialCounts(10, 5000, 100)).sum()).isEqualTo(12406);
        assertThat(ClassProfiles.exponentialCounts(10, 5000, 1)).containsOnly(5000);
        assertThat(ClassProfiles.exponentialCounts(1, 7, 50)).containsExactly(7);
    }

    @Test
    void exponentialProfileRejectsBadArguments() {
        assertThatThrownBy(() -> ClassProfiles.exponentialCounts(10, 5000, 0.5))
                .isInstanceOf(BalconException.class).hasMessageContaining(">= 1, got 0.5");
        assertThatThrownBy(() -> ClassProfiles.exponentialCounts(10, 5000, Double.NaN))
                .isInstanceOf(BalconException.class);
        assertThatThrownBy(() -> ClassProfiles.exponentialCounts(10, 50, 100))
                .isInstanceOf(BalconException.class).hasMessageContaining("maxPerClass (50)");
        assertThatThrownBy(() -> ClassProfiles.exponentialCounts(0, 50, 2)).isInstanceOf(BalconException.class);
    }

    @Test
    void paretoProfileHitsEndpointsAndFollowsQuantiles() {
        int[] counts = ClassProfiles.paretoCounts(10, 5000, 6, 20);
        assertThat(counts[0]).isEqualTo(5000);
        assertThat(counts[9]).isEqualTo(20);
        assertNonIncreasing(counts);
        // independent evaluation of the documented formula
        double head = Math.pow(0.05, -1 / 6.0);
        double tail = Math.pow(0.95, -1 / 6.0);
        for (int i = 0; i < 10; i++) {
            double q = Math.pow((i + 0.5) / 10, -1 / 6.0);
            assertThat((double) counts[i]).isCloseTo(20 + 4980 * (q - tail) / (head - tail),
                    org.assertj.core.data.Offset.offset(0.5));
        }
    }

    @Test
    void paretoProfileResemblesImageNetLt() {
        int[] counts = ClassProfiles.paretoCounts(1000, 1280, 6, 5);
        int total = Arrays.stream(counts).sum();
        long many = Arrays.stream(counts).filter(n -> n > 100).count();
        long few = Arrays.stream(counts).filter(n -> n < 20).count();
        assertThat(total).isBetween(104_000, 106_000);
        assertThat(many).isEqualTo(350);
        assertThat(few).isBetween(155L, 160L);
        assertThatThrownBy(() -> ClassProfiles.paretoCounts(10, 100, 0, 5))
                .isInstanceOf(BalconException.class).hasMessageContaining("shape");
        assertThatThrownBy(() -> ClassProfiles.paretoCounts(10, 100, 6, 101))
                .isInstanceOf(BalconException.class).hasMessageContaining("minPerClass");
    }

    @Test
    void balancedProfileKeepsTotalAndDiffersByAtMostOne() {
        int[] longTailed = ClassProfiles.exponentialCounts(10, 5000, 10);
        int total = Arrays.stream(longTailed).sum();
        int[] balanced = ClassProfiles.balancedCounts(10, total);
        assertThat(Arrays.stream(balanced).sum()).isEqualTo(total);
        assertThat(Arrays.stream(balanced).max().getAsInt() - Arrays.stream(balanced).min().getAsInt())
                .isLessThanOrEqualTo(1);
        assertThat(ClassProfiles.balancedCounts(3, 8)).containsExactly(3, 3, 2);
        assertThatThrownBy(() -> ClassProfiles.balancedCounts(3, -1)).isInstanceOf(BalconException.class);
    }
}
