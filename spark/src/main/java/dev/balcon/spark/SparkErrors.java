package dev.balcon.spark;

import dev.balcon.BalconException;

/** Finding the user's mistake inside what a failed Spark job throws on the driver. */
public final class SparkErrors {
    private SparkErrors() {}

    /**
     * The {@link BalconException} that caused {@code failure}, if any: a task's exception reaches the driver as the
     * cause of the job's SparkException (Spark deserialises it when it can).
     *
     * @return the exception, or null if none is in the cause chain
     */
    public static BalconException userError(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof BalconException user) {
                return user;
            }
        }
        return null;
    }
}
