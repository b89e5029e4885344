package dev.balcon.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.balcon.sweep.RunConfigFactory;
import dev.balcon.train.PretrainConfig;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Experiment-file settings as options of {@code balcon pretrain}: each key becomes its option ({@code batch_size: 128}
 * is {@code --batch-size=128}) and the options are parsed as the command line parses them, so that a file knows
 * every training option, with the command line's defaults and checks, without a list of its own.
 *
 * <p>Public (with its constructors and {@link #keys}) for the tests of {@code sweep.ExperimentFile}, which read
 * experiment files through it.
 */
public final class TrainingOptionsConfigs implements RunConfigFactory {
    /** Options naming a file or folder that must exist; those not (yet) among the training options are ignored. */
    private static final Set<String> EXISTING_PATH_OPTIONS = Set.of("--data", "--train-list", "--test-list",
            "--eval-data");

    private final Map<String, OptionSpec> optionsByKey = new TreeMap<>();
    private final boolean requireExistingPaths;

    /** Settings for runs to come: the paths they name must exist. */
    public TrainingOptionsConfigs() {
        this(true);
    }

    /**
     * @param requireExistingPaths whether a path setting must exist; false to read the file of a sweep that ran
     *                             elsewhere (a report needs no dataset)
     */
    public TrainingOptionsConfigs(boolean requireExistingPaths) {
        this.requireExistingPaths = requireExistingPaths;
        for (OptionSpec option : CommandSpec.forAnnotatedObject(new TrainingOptions()).options()) {
            optionsByKey.put(RunConfigFactory.keyOf(option.longestName()), option);
        }
    }

    /** Every key a setting may have. */
    public Set<String> keys() {
        return optionsByKey.keySet();
    }

    @Override
    public PretrainConfig create(Map<String, JsonNode> settings) {
        List<String> arguments = new ArrayList<>();
        settings.forEach((key, value) -> arguments.addAll(arguments(key, value)));
        TrainingOptions options = new TrainingOptions();
        try {
            new CommandLine(options).parseArgs(arguments.toArray(String[]::new));
        } catch (CommandLine.ParameterException e) {
            if (e.getArgSpec() instanceof OptionSpec option) {
                throw new InvalidSetting(RunConfigFactory.keyOf(option.longestName()), e.getMessage());
            }
            throw new dev.balcon.BalconException(e.getMessage(), e);
        }
        return options.toConfig();
    }

    private List<String> arguments(String key, JsonNode value) {
        OptionSpec option = optionsByKey.get(key);
        if (option == null) {
            throw new InvalidSetting(key, "unknown key '" + key + "'; expected a 'balcon pretrain' option written "
                    + "without dashes and with '_' for '-': " + String.join(", ", optionsByKey.keySet()));
        }
        String name = option.longestName();
        Class<?> type = option.type();
        if (type.isArray()) {
            if (!value.isArray() || value.isEmpty()) {
                throw new InvalidSetting(key, "expected a list of " + typeName(type.getComponentType()) + " values, got "
                        + describe(value));
            }
            List<String> arguments = new ArrayList<>();
            // An array option collects its values over repeated occurrences.
            value.forEach(element -> arguments.add(name + "=" + scalar(key, option, type.getComponentType(), element)));
            return arguments;
        }
        if (type == boolean.class || type == Boolean.class) {
            if (!value.isBoolean()) {
                throw new InvalidSetting(key, "expected true or false, got " + describe(value));
            }
            if (value.asBoolean()) {
                return List.of(name);
            }
            if (option.negatable()) {
                return List.of("--no-" + name.substring(2));
            }
            if ("true".equals(option.defaultValue())) {
                throw new InvalidSetting(key, "cannot be switched off: " + name + " has no negated form");
            }
            return List.of();
        }
        return List.of(name + "=" + scalar(key, option, type, value));
    }

    private String scalar(String key, OptionSpec option, Class<?> type, JsonNode value) {
        boolean integral = type == int.class || type == Integer.class || type == long.class || type == Long.class;
        boolean decimal = type == double.class || type == Double.class || type == float.class || type == Float.class;
        if (integral && !(value.isIntegralNumber() && value.canConvertToLong())) {
            throw new InvalidSetting(key, "expected an integer, got " + describe(value));
        }
        if (decimal && !value.isNumber()) {
            throw new InvalidSetting(key, "expected a number, got " + describe(value));
        }
        if (type == String.class && !value.isTextual()) {
            throw new InvalidSetting(key, "expected text, got " + describe(value));
        }
        if (!value.isValueNode() || value.isNull()) {
            throw new InvalidSetting(key, "expected a single value, got " + describe(value));
        }
        String text = value.asText();
        if (requireExistingPaths && EXISTING_PATH_OPTIONS.contains(option.longestName())) {
            Path path;
            try {
                path = Path.of(text);
            } catch (InvalidPathException e) {
                throw new InvalidSetting(key, "not a valid path (" + e.getReason() + ")");
            }
            if (!Files.exists(path)) {
                throw new InvalidSetting(key, "the path " + text + " does not exist");
            }
        }
        return text;
    }

    private static String typeName(Class<?> type) {
        if (type == int.class || type == long.class || type == Integer.class || type == Long.class) {
            return "integer";
        }
        if (type == double.class || type == float.class || type == Double.class || type == Float.class) {
            return "number";
        }
        return type.getSimpleName();
    }

    private static String describe(JsonNode value) {
        if (value.isTextual()) {
            return "'" + value.asText() + "' (text)";
        }
        if (value.isNull()) {
            return "nothing";
        }
        if (value.isContainerNode()) {
            return value.isArray() ? "a list " + value : "a mapping " + value;
        }
        return value.asText() + (value.isBoolean() ? " (true/false)" : " (a number)");
    }
}
