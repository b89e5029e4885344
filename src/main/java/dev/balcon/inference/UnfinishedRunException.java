package dev.balcon.inference;

import dev.balcon.BalconException;

/** A run that diverged or has not completed its epochs, refused where a finished encoder is expected. */
public final class UnfinishedRunException extends BalconException {
    private static final long serialVersionUID = 1L;

    public UnfinishedRunException(String message) {
        super(message);
    }
}
