package dev.balcon.sweep;

import com.fasterxml.jackson.databind.JsonNode;
import dev.balcon.BalconException;
import dev.balcon.train.PretrainConfig;

import java.util.Map;

/**
 * Builds the configuration of one run from the settings of an experiment file. A key is the long option name of
 * {@code balcon pretrain} without its leading dashes and with '-' written '_' ({@code batch_size}, {@code lr},
 * {@code train_limit}, ...); a value is the YAML node. The command line supplies the implementation, so that a file
 * can set exactly what the command line can, with the same defaults and the same checks.
 */
public interface RunConfigFactory {

    /**
     * The configuration the settings describe; every setting left out keeps its command-line default.
     *
     * @throws InvalidSetting  for an unknown key, a value of the wrong type or a path that does not exist
     * @throws BalconException for values the options reject (the message names the option, see {@link #optionName})
     */
    PretrainConfig create(Map<String, JsonNode> settings);

    /** The command-line option of a settings key: {@code batch_size} is {@code --batch-size}. */
    static String optionName(String key) {
        return "--" + key.replace('_', '-');
    }

    /** The settings key of a command-line option: {@code --batch-size} is {@code batch_size}. */
    static String keyOf(String optionName) {
        return optionName.replaceFirst("^-+", "").replace('-', '_');
    }

    /** A setting that cannot be used, with the key it was given under. */
    final class InvalidSetting extends BalconException {
        private static final long serialVersionUID = 1L;
        private final String key;

        public InvalidSetting(String key, String message) {
            super(message);
            this.key = key;
        }

        /** The offending key. */
        public String key() {
            return key;
        }
    }
}
