package dev.balcon.train;

import dev.balcon.BalconException;
import dev.balcon.InvalidField;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class LearningRateScheduleTest {

    @Test
    void warmsUpLinearlyThenDecaysAlongACosineToZero() {
        LearningRateSchedule schedule = new LearningRateSchedule(0.4, 4, 14);
        assertThat(schedule.at(0)).isCloseTo(0.1, within(1e-12));
        assertThat(schedule.at(3)).isCloseTo(0.4, within(1e-12));
        assertThat(schedule.at(4)).isCloseTo(0.4, within(1e-12));
        // decay over 10 steps: step 4 + j has progress j / 10
        assertThat(schedule.at(9)).isCloseTo(0.2, within(1e-12));
        assertThat(schedule.at(13)).isCloseTo(0.4 * 0.5 * (1 + Math.cos(Math.PI * 0.9)), within(1e-12)).isPositive();
        for (int step = 4; step < 13; step++) {
            assertThat(schedule.at(step + 1)).isLessThan(schedule.at(step));
        }
    }

    @Test
    void withoutWarmUpStartsAtTheBaseRate() {
        assertThat(new LearningRateSchedule(0.3, 0, 10).at(0)).isCloseTo(0.3, within(1e-12));
    }

    @Test
    void rejectsANonPositiveRateAndImpossibleLengths() {
        assertThatThrownBy(() -> new LearningRateSchedule(0, 0, 10)).isInstanceOf(InvalidField.class)
                .hasMessage("optimizer.lr must be a finite number > 0, got 0.0");
        assertThatThrownBy(() -> new LearningRateSchedule(0.1, 0, 0)).isInstanceOf(BalconException.class).hasMessageContaining("step");
        assertThatThrownBy(() -> new LearningRateSchedule(0.1, 11, 10)).isInstanceOf(BalconException.class).hasMessageContaining("warm-up");
    }
}
