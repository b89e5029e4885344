package dev.balcon;

/**
 * An error caused by the user's input (a file, an option, a configuration), whose message is one line
 * that names the offending input and what was expected. The CLI prints the message alone, without a
 * stack trace, and exits with a non-zero status.
 *
 * <p>A message that quotes the user's input can carry its line breaks (a YAML string, a file name); they are
 * written as the two characters {@code \n} so that the message stays one line whatever it quotes.
 */
public class BalconException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public BalconException(String message) {
        super(oneLine(message));
    }

    public BalconException(String message, Throwable cause) {
        super(oneLine(message), cause);
    }

    private static String oneLine(String message) {
        return message == null ? null : message.replaceAll("\\R", "\\\\n");
    }
}
