package dev.balcon;

/** The balcon release, as the command line reports it and exported models record it. */
public final class Version {
    /** The version number, e.g. {@code 0.1.0}; kept equal to the project version in pom.xml. */
    public static final String NUMBER = "0.1.0";

    private Version() {}
}
