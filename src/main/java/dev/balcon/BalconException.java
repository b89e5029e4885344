package dev.balcon;

/**
 * An error caused by the user's input (a file, an option, a configuration), whose message is one line
 * that names the offending input and what was expected. The CLI prints the message alone, without a
 * stack trace, and exits with a non-zero status.
 */
public class BalconException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public BalconException(String message) {
        super(message);
    }

    public BalconException(String message, Throwable cause) {
        super(message, cause);
    }
}
