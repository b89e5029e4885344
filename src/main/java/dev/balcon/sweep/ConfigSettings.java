package dev.balcon.sweep;

import com.fasterxml.jackson.databind.JsonNode;
import dev.balcon.data.ImageFolder;
import dev.balcon.loss.LossConfig;
import dev.balcon.train.PretrainConfig;
import dev.balcon.train.RunDirectory;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A run's configuration as the reports show it: every setting with the value the run used. Public for
 * {@code report.HtmlReport}, which shows a run's settings as {@link SweepResults} does.
 */
public final class ConfigSettings {
    private ConfigSettings() {}

    /** The class-profile parameters, shown only when a profile is set. */
    private static final Set<String> PROFILE_FIELDS = Set.of("rho", "paretoShape", "profileMax", "balancedTwin");

    /** Fields whose 0 stands for something else (see {@link PretrainConfig}'s parameters). */
    private static final Map<String, String> ZERO_MEANS = Map.of(
            "trainLimit", "all",
            "imageSize", "dataset default",
            "channels", "dataset default",
            "profileMax", "smallest class size",
            "maxImagePixels", ImageFolder.DEFAULT_MAX_IMAGE_PIXELS + " (default)",
            "validationFraction", "none (the test split)");

    /**
     * Each field of config.json, in its order, as text. A loss setting the run left unset (null) shows the
     * value its preset used: tau and alpha derived from each other (alpha = 1/tau), marked "(1/tau)" or
     * "(1/alpha)", the others marked "(PRESET default)"; any other unset setting (a path, a list) is "default".
     */
    public static Map<String, String> shown(PretrainConfig config) {
        LossConfig loss = config.lossConfig();
        String preset = " (" + loss.presetName() + " default)";
        // nt_xent and dcl are set by tau, the others by alpha (LossConfig.fromPreset)
        boolean takesTau = loss.presetName().equals("nt_xent") || loss.presetName().equals("dcl");
        Map<String, String> resolved = Map.of(
                "tau", significant(1 / loss.alpha()) + (takesTau ? preset : " (1/alpha)"),
                "alpha", significant(loss.alpha()) + (takesTau ? " (1/tau)" : preset),
                "lambda", significant(loss.lambda()) + preset,
                "nu", significant(loss.nu()) + preset,
                "scaleByInvAlpha", loss.scaleByInvAlpha() + preset,
                "momentumTau", "none (" + config.method() + " has no momentum encoder)",
                "queueSize", "none (" + config.method() + " has no queue)");
        Map<String, String> shown = new LinkedHashMap<>();
        JsonNode fields = RunDirectory.JSON.valueToTree(config);
        boolean profiled = !config.classProfile().equals("none");
        for (Iterator<Map.Entry<String, JsonNode>> it = fields.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            String name = field.getKey();
            if (!profiled && PROFILE_FIELDS.contains(name)) {
                continue; // a profile's parameters mean nothing without a profile
            }
            JsonNode value = field.getValue();
            String zeroMeaning = ZERO_MEANS.get(name);
            shown.put(name, value.isNull() ? resolved.getOrDefault(name, "default")
                    : zeroMeaning != null && value.asDouble() == 0 ? zeroMeaning : value.asText());
        }
        return shown;
    }

    /** Six significant digits, in scientific notation only where plain digits would run long (1E+30). */
    private static String significant(double value) {
        return new BigDecimal(value).round(new MathContext(6)).stripTrailingZeros().toString();
    }
}
