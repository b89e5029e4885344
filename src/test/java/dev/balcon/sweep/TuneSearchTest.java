package dev.balcon.sweep;

import dev.balcon.BalconException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TuneSearchTest {
    @Test
    void rungsGrowByEtaUpToTheCellsEpochs() {
        assertThat(new ExperimentFile.Search(3, 1, 0.2).rungEpochs(3)).containsExactly(1, 3);
        assertThat(new ExperimentFile.Search(2, 1, 0.2).rungEpochs(8)).containsExactly(1, 2, 4, 8);
        assertThat(new ExperimentFile.Search(3, 1, 0.2).rungEpochs(10)).containsExactly(1, 3, 9, 10);
        assertThat(new ExperimentFile.Search(3, 4, 0.2).rungEpochs(4)).containsExactly(4);
        assertThatThrownBy(() -> new ExperimentFile.Search(3, 5, 0.2).rungEpochs(4))
                .isInstanceOf(BalconException.class).hasMessageContaining("min_epochs (5)");
    }

    @Test
    void keepsTheCeilingOfOneEtaThAndAtLeastOne() {
        assertThat(Tune.keep(13, 3)).isEqualTo(5);
        assertThat(Tune.keep(9, 3)).isEqualTo(3);
        assertThat(Tune.keep(2, 3)).isEqualTo(1);
        assertThat(Tune.keep(1, 2)).isEqualTo(1);
    }

    @Test
    void theConstructorNamesTheFieldOfABadValue() {
        assertThatThrownBy(() -> new ExperimentFile.Search(1, 1, 0.2)).hasMessageContaining("eta must be >= 2");
        assertThatThrownBy(() -> new ExperimentFile.Search(2, 0, 0.2)).hasMessageContaining("min_epochs must be >= 1");
        assertThatThrownBy(() -> new ExperimentFile.Search(2, 1, 1.0)).hasMessageContaining("validation_fraction");
        assertThatThrownBy(() -> new ExperimentFile.Search(2, 1, 0)).hasMessageContaining("validation_fraction");
    }
}
