package dev.balcon.bench;

import dev.balcon.BalconException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class OpProfileTest {

    @Test
    void selfTimeIsDurationLessNestedCallsPerThread(@TempDir Path dir) throws IOException {
        // thread 1: conv [0, 100) calling copy_ [10, 30) and empty [40, 45); a second conv [200, 250) alone.
        // thread 2: copy_ [0, 50) overlapping thread 1's conv in time but not nested in it.
        // A metadata event ("M") and an instant event ("i") are ignored.
        Path trace = dir.resolve("trace.json");
        Files.writeString(trace, """
                {"traceEvents": [
                  {"name": "aten::copy_", "ph": "X", "ts": 10, "dur": 20, "tid": 1, "pid": "p"},
                  {"name": "aten::conv", "ph": "X", "ts": 0, "dur": 100, "tid": 1, "pid": "p"},
                  {"name": "aten::empty", "ph": "X", "ts": 40, "dur": 5, "tid": 1, "pid": "p"},
                  {"name": "aten::conv", "ph": "X", "ts": 200, "dur": 50, "tid": 1, "pid": "p"},
                  {"name": "aten::copy_", "ph": "X", "ts": 0, "dur": 50, "tid": 2, "pid": "p"},
                  {"name": "thread_name", "ph": "M", "tid": 1, "pid": "p"},
                  {"name": "mark", "ph": "i", "ts": 5, "tid": 1, "pid": "p"}
                ]}""");

        List<OpProfile.Op> ops = OpProfile.read(trace);

        assertThat(ops).extracting(OpProfile.Op::name).containsExactly("aten::conv", "aten::copy_", "aten::empty");
        assertThat(ops.get(0).selfMillis()).isCloseTo((100 - 20 - 5 + 50) / 1000.0, within(1e-12));
        assertThat(ops.get(0).calls()).isEqualTo(2);
        assertThat(ops.get(1).selfMillis()).isCloseTo((20 + 50) / 1000.0, within(1e-12));
        assertThat(ops.get(2).selfMillis()).isCloseTo(0.005, within(1e-12));
    }

    @Test
    void readsABareEventArrayAndNestsEventsThatStartTogether(@TempDir Path dir) throws IOException {
        // libtorch's legacy trace writes a caller and its first callee with the same start: the longer one is outer
        Path trace = dir.resolve("trace.json");
        Files.writeString(trace, """
                [{"name": "aten::relu", "ph": "X", "ts": 7, "dur": 3, "tid": 1},
                 {"name": "aten::add", "ph": "X", "ts": 7, "dur": 10, "tid": 1}]""");

        List<OpProfile.Op> ops = OpProfile.read(trace);

        assertThat(ops).extracting(OpProfile.Op::name).containsExactly("aten::add", "aten::relu");
        assertThat(ops.get(0).selfMillis()).isCloseTo(0.007, within(1e-12));
    }

    @Test
    void rejectsAFileThatIsNotATraceNamingIt(@TempDir Path dir) throws IOException {
        Path notTrace = dir.resolve("metrics.json");
        Files.writeString(notTrace, "{\"loss\": 1.5}");
        assertThatThrownBy(() -> OpProfile.read(notTrace)).isInstanceOf(BalconException.class)
                .hasMessageContaining("metrics.json").hasMessageContaining("traceEvents");
        assertThatThrownBy(() -> OpProfile.read(dir.resolve("missing.json"))).isInstanceOf(BalconException.class)
                .hasMessageContaining("missing.json");
    }
}
