package dev.balcon;

/**
 * A value out of range, naming the field that holds it: for a run's configuration its path in config.json
 * ({@code optimizer.lr}), for a class configured by its constructor the parameter's name ({@code k} of
 * {@code KnnClassifier}). The message is the field followed by what is wrong ({@code optimizer.lr must be a finite
 * number > 0, got -1}); the command line swaps the field for its option ({@link #detail()} after the option's name),
 * so the detail reads after either.
 */
public final class InvalidField extends BalconException {
    private static final long serialVersionUID = 1L;
    private final String field;
    private final String detail;

    /**
     * @param field  the field's path in config.json ({@code optimizer.lr}, {@code epochs}), or the name of the
     *               constructor parameter that holds it
     * @param detail what is wrong, to follow the field's name: {@code must be >= 1, got 0}
     */
    public InvalidField(String field, String detail) {
        super(field + " " + detail);
        this.field = field;
        this.detail = detail;
    }

    /** The field's path in config.json, or the name of its constructor parameter. */
    public String field() {
        return field;
    }

    /** The message without the field's name. */
    public String detail() {
        return detail;
    }
}
