package dev.balcon.spark;

import java.io.Serializable;

/**
 * One row of a table of vectors as a Java bean, so that Spark decodes the vector straight into a {@code float[]}
 * (a {@code Row} would box every value).
 */
public final class LabelledVector implements Serializable {
    private static final long serialVersionUID = 1L;
    private String label;
    private float[] vector;

    public String getLabel() {
        return label;
    }

    public void setLabel(String label) {
        this.label = label;
    }

    public float[] getVector() {
        return vector;
    }

    public void setVector(float[] vector) {
        this.vector = vector;
    }
}
