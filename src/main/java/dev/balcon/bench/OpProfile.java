package dev.balcon.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.balcon.BalconException;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Self time per operator from a profiler's Chrome trace: the format libtorch's profiler writes (through DJL's
 * {@code JniUtils.stopProfile}) and {@code torch.profiler}'s {@code export_chrome_trace} writes, so balcon's step and
 * the PyTorch peer's can be compared operator by operator. An operator's self time is its duration less the durations
 * of the operators it calls (events on the same thread nested inside it), as {@code torch.profiler}'s "Self CPU" column.
 */
public final class OpProfile {
    /** One operator's total over the trace: self time in milliseconds, and how often it ran. */
    public record Op(String name, double selfMillis, int calls) {}

    private OpProfile() {}

    /**
     * The operators of {@code trace}, most self time first.
     *
     * @param trace a Chrome trace JSON file: an object with a {@code traceEvents} array, or the array itself, whose
     *     complete events ({@code "ph": "X"}) carry {@code name}, {@code ts} and {@code dur} in microseconds and a
     *     {@code tid}; other events are ignored
     * @throws BalconException if the file cannot be read or is not such a trace
     */
    public static List<Op> read(Path trace) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(trace.toFile());
        } catch (IOException e) {
            throw new BalconException("cannot read the profiler trace " + trace + ": " + e.getMessage());
        }
        JsonNode events = root.isArray() ? root : root.path("traceEvents");
        if (!events.isArray()) {
            throw new BalconException(trace + " is not a Chrome trace: expected a traceEvents array");
        }
        Map<String, List<double[]>> byThread = new HashMap<>();
        List<String> names = new ArrayList<>();
        for (JsonNode event : events) {
            if (!"X".equals(event.path("ph").asText()) || !event.has("dur")) {
                continue;
            }
            names.add(event.path("name").asText());
            byThread.computeIfAbsent(event.path("tid").asText() + "/" + event.path("pid").asText(), t -> new ArrayList<>())
                    .add(new double[] {event.path("ts").asDouble(), event.path("dur").asDouble(), names.size() - 1});
        }
        return selfTimes(byThread.values(), names);
    }

    /** Self times from events {start, duration, name index} grouped by thread. */
    static List<Op> selfTimes(Iterable<List<double[]>> threads, List<String> names) {
        Map<String, double[]> totals = new LinkedHashMap<>(); // name -> {self microseconds, calls}
        for (List<double[]> events : threads) {
            // Outer events first: by start, then the longer of two that start together.
            events.sort(Comparator.<double[]>comparingDouble(e -> e[0]).thenComparing(e -> -e[1]));
            Deque<double[]> open = new ArrayDeque<>(); // {end, self so far, name index}
            for (double[] event : events) {
                closeEnded(open, event[0], names, totals);
                if (!open.isEmpty()) {
                    open.peek()[1] -= event[1];
                }
                open.push(new double[] {event[0] + event[1], event[1], event[2]});
            }
            closeEnded(open, Double.POSITIVE_INFINITY, names, totals);
        }
        List<Op> ops = new ArrayList<>();
        totals.forEach((name, t) -> ops.add(new Op(name, t[0] / 1000, (int) t[1])));
        ops.sort(Comparator.comparingDouble(Op::selfMillis).reversed());
        return ops;
    }

    private static void closeEnded(Deque<double[]> open, double time, List<String> names, Map<String, double[]> totals) {
        while (!open.isEmpty() && open.peek()[0] <= time) {
            double[] done = open.pop();
            double[] total = totals.computeIfAbsent(names.get((int) done[2]), n -> new double[2]);
            total[0] += Math.max(0, done[1]);
            total[1]++;
        }
    }
}
