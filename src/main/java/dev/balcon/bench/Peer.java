package dev.balcon.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The PyTorch peer balcon is measured against: a script of {@code bench/} run by a Python with torch.
 *
 * @param script       the peer script, e.g. {@code bench/peer_simclr.py}
 * @param python       the interpreter (Debian's python3-torch by default)
 * @param channelsLast whether the peer keeps its model and input in {@code torch.channels_last} memory format, PyTorch's
 *                     own advice for convolutions on the CPU (its {@code --channels-last}); false: the plain NCHW
 *                     format a model gets unless its author asks
 */
public record Peer(Path script, String python, boolean channelsLast) {
    public Peer {
        Objects.requireNonNull(script, "script");
        Objects.requireNonNull(python, "python");
    }

    /** {@code python script --mode mode} and the peer's own options, as a list the caller may extend. */
    public List<String> command(String mode) {
        List<String> command = new ArrayList<>(List.of(python, script.toString(), "--mode", mode));
        if (channelsLast) {
            command.add("--channels-last");
        }
        return command;
    }
}
