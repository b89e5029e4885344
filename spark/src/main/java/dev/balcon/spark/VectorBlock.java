package dev.balcon.spark;

import dev.balcon.BalconException;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Up to a few thousand rows of a table of vectors held as one row-major {@code float[rows * dim]} with their class
 * indices: the unit of work of {@link SparkKnn} (a block of queries against a block of the memory bank).
 *
 * @param key     unique within its table: partition index in the high 32 bits, block number in the partition below
 * @param rows    number of vectors
 * @param dim     length of each vector
 * @param vectors the vectors, row after row
 * @param labels  the class index of each row
 */
record VectorBlock(long key, int rows, int dim, float[] vectors, int[] labels) implements Serializable {
    private static final long serialVersionUID = 1L;

    /**
     * Cuts one partition of labelled vectors into blocks of at most {@code blockRows} rows, so that a task holds a
     * bounded number of vectors at a time.
     *
     * @param rows    Spark's internal rows of (label string, vector array of float), read without converting each
     *                float to an object: a vector is copied out of Spark's row at once
     * @param mayHoldNulls whether the vector column's type allows null elements (then each element is checked)
     * @param classes class name to index
     * @param what    the table, for messages (e.g. {@code --bank x.parquet})
     * @throws BalconException if a row has no label or no vector, a vector holds a null, NaN or infinity, or vectors
     *                         differ in length within the partition
     */
    static Iterator<VectorBlock> cut(int partition, Iterator<InternalRow> rows, boolean mayHoldNulls,
                                     Map<String, Integer> classes, int blockRows, String what) {
        return new Iterator<>() {
            private int block;

            @Override
            public boolean hasNext() {
                return rows.hasNext();
            }

            @Override
            public VectorBlock next() {
                List<float[]> vectors = new ArrayList<>();
                List<Integer> labels = new ArrayList<>();
                while (vectors.size() < blockRows && rows.hasNext()) {
                    InternalRow row = rows.next();
                    if (row.isNullAt(0) || row.isNullAt(1)) {
                        throw new BalconException(what + ": a row has no " + (row.isNullAt(0) ? "label" : "vector")
                                + "; k-NN needs a label and a vector on every row");
                    }
                    String label = row.getUTF8String(0).toString();
                    ArrayData array = row.getArray(1);
                    float[] vector = array.toFloatArray();
                    for (int i = 0; i < vector.length; i++) {
                        if (!Float.isFinite(vector[i]) || (mayHoldNulls && array.isNullAt(i))) {
                            throw new BalconException(what + ": a vector of label " + label + " holds "
                                    + (array.isNullAt(i) ? "null" : vector[i]) + " at index " + i
                                    + "; k-NN needs finite features");
                        }
                    }
                    if (!vectors.isEmpty() && vector.length != vectors.get(0).length) {
                        throw new BalconException(what + ": vectors of different lengths (" + vectors.get(0).length
                                + " and " + vector.length + ")");
                    }
                    vectors.add(vector);
                    labels.add(classes.get(label));
                }
                int dim = vectors.get(0).length;
                float[] flat = new float[Math.multiplyExact(vectors.size(), dim)];
                for (int i = 0; i < vectors.size(); i++) {
                    System.arraycopy(vectors.get(i), 0, flat, i * dim, dim);
                }
                return new VectorBlock(((long) partition << 32) | block++, vectors.size(), dim, flat,
                        labels.stream().mapToInt(Integer::intValue).toArray());
            }
        };
    }
}
