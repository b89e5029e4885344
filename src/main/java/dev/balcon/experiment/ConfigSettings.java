package dev.balcon.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import dev.balcon.loss.LossConfig;
import dev.balcon.train.PretrainConfig;
import dev.balcon.train.RunDirectory;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/** A run's configuration as the reports show it: every setting with the value the run used. */
final class ConfigSettings {
    private ConfigSettings() {}

    /**
     * Each field of config.json, in its order, as text. A loss setting the run left unset (null) shows the
     * value its preset used: tau and alpha derived from each other (alpha = 1/tau), marked "(1/tau)" or
     * "(1/alpha)", the others marked "(PRESET default)"; any other unset setting (a path, a list) is "default".
     */
    static Map<String, String> shown(PretrainConfig config) {
        LossConfig loss = config.lossConfig();
        String preset = " (" + loss.presetName() + " default)";
        // nt_xent and dcl are set by tau, the others by alpha (LossConfig.fromPreset)
        boolean takesTau = loss.presetName().equals("nt_xent") || loss.presetName().equals("dcl");
        Map<String, String> resolved = Map.of(
                "tau", significant(1 / loss.alpha()) + (takesTau ? preset : " (1/alpha)"),
                "alpha", significant(loss.alpha()) + (takesTau ? " (1/tau)" : preset),
                "lambda", significant(loss.lambda()) + preset,
                "nu", significant(loss.nu()) + preset,
                "scaleByInvAlpha", loss.scaleByInvAlpha() + preset);
        Map<String, String> shown = new LinkedHashMap<>();
        JsonNode fields = RunDirectory.JSON.valueToTree(config);
        for (Iterator<Map.Entry<String, JsonNode>> it = fields.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            shown.put(field.getKey(), field.getValue().isNull() ? resolved.getOrDefault(field.getKey(), "default")
                    : field.getValue().asText());
        }
        return shown;
    }

    private static String significant(double value) {
        return new BigDecimal(value).round(new MathContext(6)).stripTrailingZeros().toPlainString();
    }
}
