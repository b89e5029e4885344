package dev.balcon.cli;

import dev.balcon.BalconException;
import dev.balcon.data.ClassProfiles;
import dev.balcon.data.ClassProfileSubset;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "profile", mixinStandardHelpOptions = true,
        description = "Prints the per-class image counts of a long-tailed class profile for one or more imbalance "
                + "ratios, with the total and the balanced twin of each, as a Markdown table: what --class-profile "
                + "draws, without loading any data.")
final class ProfileCommand implements Callable<Integer> {
    @Option(names = "--class-profile", defaultValue = "exp", description = "exp or pareto (default: ${DEFAULT-VALUE}).")
    String profile;

    @Option(names = "--classes", defaultValue = "10", description = "Number of classes (default: ${DEFAULT-VALUE}).")
    int classes;

    @Option(names = "--profile-max", defaultValue = "5000", description = "n_max, images of the head class (default: ${DEFAULT-VALUE}).")
    int maxPerClass;

    @Option(names = "--rho", split = ",", defaultValue = "10,100", description = "Imbalance ratios n_max / n_min (default: ${DEFAULT-VALUE}).")
    double[] rhos;

    @Option(names = "--pareto-shape", defaultValue = "6", description = "Shape of the pareto profile (default: ${DEFAULT-VALUE}).")
    double paretoShape;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        if (classes < 1 || maxPerClass < 1) {
            throw new BalconException("--classes and --profile-max must be >= 1, got " + classes + " and " + maxPerClass);
        }
        int[][] counts = new int[rhos.length][];
        for (int r = 0; r < rhos.length; r++) {
            if (!(rhos[r] >= 1) || Double.isInfinite(rhos[r])) {
                throw new BalconException("--rho (imbalance ratio n_max / n_min) must be a finite number >= 1, got " + rhos[r]);
            }
            double rho = rhos[r];
            counts[r] = FieldOptions.inOptions(Map.of("profile", "--class-profile", "rho", "--rho"),
                    () -> ClassProfileSubset.longTailedCounts(profile, classes, maxPerClass, rho, paretoShape));
        }
        PrintWriter out = spec.commandLine().getOut();
        StringBuilder header = new StringBuilder("| class |");
        StringBuilder rule = new StringBuilder("|------:|");
        for (double rho : rhos) {
            String title = String.format(" %s rho = %s%s |", profile, format(rho),
                    profile.equals("pareto") ? ", shape " + format(paretoShape) : "");
            header.append(title);
            rule.append("-".repeat(title.length() - 2)).append(":|");
        }
        out.println(header);
        out.println(rule);
        for (int c = 0; c < classes; c++) {
            StringBuilder row = new StringBuilder(String.format("| %5d |", c));
            for (int[] column : counts) {
                row.append(cell(String.valueOf(column[c]), header, row.length()));
            }
            out.println(row);
        }
        StringBuilder total = new StringBuilder("| total |");
        StringBuilder twin = new StringBuilder("| balanced twin, per class |");
        for (int[] column : counts) {
            int sum = Arrays.stream(column).sum();
            total.append(cell(String.valueOf(sum), header, total.length()));
            int[] balanced = ClassProfiles.balancedCounts(classes, sum);
            int low = Arrays.stream(balanced).min().orElseThrow();
            int high = Arrays.stream(balanced).max().orElseThrow();
            twin.append(" ").append(low == high ? String.valueOf(low) : low + "-" + high).append(" |");
        }
        out.println(total);
        out.println(twin);
        return 0;
    }

    /** A right-aligned cell as wide as the header cell starting at the same column. */
    private static String cell(String value, StringBuilder header, int start) {
        int end = header.indexOf("|", start);
        int width = end - start - 1;
        return " " + " ".repeat(Math.max(0, width - value.length() - 1)) + value + " |";
    }

    private static String format(double value) {
        return value == Math.rint(value) ? String.valueOf((long) value) : String.valueOf(value);
    }
}
