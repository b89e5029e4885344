package dev.balcon.train;

import dev.balcon.BalconException;
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
        // halfway through the 10 decay steps (progress 4.5/9 = 0.5): 0.4 * (1 + cos(pi/2)) / 2 = 0.2
        assertThat(schedule.at(4) - schedule.at(5)).isPositive();
        assertThat(schedule.at(13)).isCloseTo(0.0, within(1e-12));
        double middle = 0.4 * 0.5 * (1 + Math.cos(Math.PI * 5 / 9.0));
        assertThat(schedule.at(9)).isCloseTo(middle, within(1e-12));
    }

    @Test
    void withoutWarmUpStartsAtTheBaseRate() {
        assertThat(new LearningRateSchedule(0.3, 0, 10).at(0)).isCloseTo(0.3, within(1e-12));
    }

    @Test
    void rejectsANonPositiveRateAndImpossibleLengths() {
        assertThatThrownBy(() -> new LearningRateSchedule(0, 0, 10)).isInstanceOf(BalconException.class).hasMessageContaining("--lr");
        assertThatThrownBy(() -> new LearningRateSchedule(0.1, 0, 0)).isInstanceOf(BalconException.class).hasMessageContaining("step");
        assertThatThrownBy(() -> new LearningRateSchedule(0.1, 11, 10)).isInstanceOf(BalconException.class).hasMessageContaining("warm-up");
    }
}
