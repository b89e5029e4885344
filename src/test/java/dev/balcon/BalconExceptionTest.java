package dev.balcon;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class BalconExceptionTest {
    @Test
    void aMessageQuotingLineBreaksStaysOneLineAndShowsThem() {
        String quoted = "a\tb\nc\r\nd\re";
        assertThat(new BalconException("x: expected an integer, got '" + quoted + "'").getMessage())
                .isEqualTo("x: expected an integer, got 'a\tb\\nc\\nd\\ne'");
        assertThat(new BalconException("why\nnot", new IllegalStateException()).getMessage()).isEqualTo("why\\nnot");
    }
}
