package dev.balcon.inference;

import dev.balcon.BalconException;
import dev.balcon.InvalidField;
import dev.balcon.analysis.Pca;
import dev.balcon.analysis.Plots;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * A 2-D picture of embed's output ({@code FILE.npy} + {@code FILE.csv}): every vector projected on the first two
 * principal components of all of them, drawn as a scatter plot coloured by label, with a legend.
 */
public final class EmbeddingMap {
    /** Points drawn at most by default; larger files are drawn as a seeded random sample of this size. */
    public static final int DEFAULT_MAX_POINTS = 20_000;
    /** Projection methods offered. */
    public static final List<String> METHODS = List.of("pca");
    /** Legend name of the rows whose label is empty (an unlabelled folder). */
    static final String NO_LABEL = "(no label)";

    private EmbeddingMap() {}

    /**
     * What was drawn.
     *
     * @param rows      vectors in the file (all of them were used to fit the projection)
     * @param dim       length of each vector
     * @param drawn     points drawn (rows, or the sample's size)
     * @param explained fraction of the variance along the first and the second component (0 to 1)
     * @param labels    distinct labels in the file
     */
    public record Summary(long rows, int dim, int drawn, double[] explained, int labels, Path png) {}

    /**
     * Fits a PCA on every vector of {@code embeddings} (the base path of embed's output, or its {@code .npy}) and draws
     * the vectors' first two coordinates, coloured by label, to {@code png} (written atomically). Files of more than
     * {@code maxPoints} rows are drawn as a sample of {@code maxPoints} rows drawn without replacement with {@code seed};
     * the title says so. More than 20 labels: the 19 most frequent keep a colour, the rest are drawn as "other".
     *
     * @param method    a member of {@link #METHODS}
     * @param maxPoints points to draw at most, >= 1
     * @throws InvalidField   naming the parameter ({@code method}, {@code maxPoints}) out of range
     * @throws BalconException if the files are missing, malformed or do not belong together, hold a non-finite value,
     *                         fewer than 2 rows or fewer than 2 features
     */
    public static Summary write(Path embeddings, Path png, String method, int maxPoints, long seed) {
        if (!METHODS.contains(method)) {
            throw new InvalidField("method", "must be one of " + METHODS + ", got '" + method + "'");
        }
        if (maxPoints < 1) {
            throw new InvalidField("maxPoints", "must be >= 1, got " + maxPoints);
        }
        try (EmbeddingFile files = EmbeddingFile.open(embeddings)) {
            if (files.dim() < 2) {
                throw new BalconException(files.npyFile() + " has " + files.dim() + " feature per row: a 2-D map needs at least 2");
            }
            if (files.rows() < 2) {
                throw new BalconException(files.npyFile() + " holds " + files.rows() + " rows: a map needs at least 2");
            }
            String[] labels = files.labels();
            Pca.Accumulator accumulator = new Pca.Accumulator(files.dim());
            files.forEachRow((row, values) -> {
                try {
                    accumulator.add(values);
                } catch (BalconException e) {
                    throw new BalconException(files.npyFile() + ": " + e.getMessage());
                }
            });
            Pca.Result pca = accumulator.fit();

            int drawn = (int) Math.min(files.rows(), maxPoints);
            long[] sample = sample(files.rows(), drawn, seed);
            double[][] points = new double[drawn][];
            int[] next = {0};
            files.forEachRow((row, values) -> {
                if (next[0] < drawn && sample[next[0]] == row) {
                    points[next[0]++] = pca.project(values, 2);
                }
            });

            Map<String, double[][]> groups = groups(sample, points, labels);
            double[] explained = {pca.explainedRatio(0), pca.explainedRatio(1)};
            String title = String.format("PCA of %s: %d vectors of %d features", files.npyFile().getFileName(), files.rows(), files.dim())
                    + (drawn < files.rows() ? String.format("; drawn: a random sample of %d (seed %d)", drawn, seed) : "");
            Plots.labelledScatter(title, String.format("PC1 (%.1f%% of the variance)", 100 * explained[0]),
                    String.format("PC2 (%.1f%% of the variance)", 100 * explained[1]), groups, png);
            return new Summary(files.rows(), files.dim(), drawn, explained,
                    (int) Arrays.stream(labels).distinct().count(), png);
        }
    }

    /** {@code count} distinct row numbers of {@code [0, rows)}, ascending: all of them, or a seeded random draw. */
    static long[] sample(long rows, int count, long seed) {
        if (count >= rows) {
            long[] all = new long[(int) rows];
            Arrays.setAll(all, i -> i);
            return all;
        }
        // partial Fisher-Yates over the row numbers
        int[] order = new int[Math.toIntExact(rows)];
        Arrays.setAll(order, i -> i);
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < count; i++) {
            int j = i + random.nextInt(order.length - i);
            int swap = order[i];
            order[i] = order[j];
            order[j] = swap;
        }
        return Arrays.stream(order, 0, count).asLongStream().sorted().toArray();
    }

    /**
     * The drawn points grouped by label, legend names with their counts drawn: labels in alphabetical order (the
     * class order of balcon's loaders), at most {@code Plots.GROUP_COLOURS.size()} groups.
     */
    private static Map<String, double[][]> groups(long[] sample, double[][] points, String[] labels) {
        Map<String, Long> frequency = new TreeMap<>();
        for (String label : labels) {
            frequency.merge(label, 1L, Long::sum);
        }
        int colours = Plots.GROUP_COLOURS.size();
        List<String> kept = new ArrayList<>(frequency.keySet());
        String other = null;
        if (kept.size() > colours) {
            List<String> frequent = frequency.entrySet().stream()
                    .sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()))
                    .limit(colours - 1).map(Map.Entry::getKey).toList();
            other = "other (" + (kept.size() - frequent.size()) + " labels)";
            kept.retainAll(frequent);
        }
        Map<String, List<double[]>> members = new LinkedHashMap<>();
        for (String label : kept) {
            members.put(label, new ArrayList<>());
        }
        if (other != null) {
            members.put(other, new ArrayList<>());
        }
        for (int i = 0; i < sample.length; i++) {
            String label = labels[(int) sample[i]];
            members.getOrDefault(label, members.get(other)).add(points[i]);
        }
        Map<String, double[][]> groups = new LinkedHashMap<>();
        members.forEach((label, list) -> {
            if (!list.isEmpty()) {
                double[][] xy = new double[2][list.size()];
                for (int i = 0; i < list.size(); i++) {
                    xy[0][i] = list.get(i)[0];
                    xy[1][i] = list.get(i)[1];
                }
                String name = label.isEmpty() ? NO_LABEL : label;
                groups.put(name + " (" + list.size() + ")", xy);
            }
        });
        return groups;
    }
}
