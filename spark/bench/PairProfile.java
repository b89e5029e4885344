import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import java.util.SplittableRandom;

/**
 * Times the libtorch operations of one k-NN block pair as balcon-spark's k-NN ran them before it was reworked: a
 * [queries, 512] block against a [bank, 512] block: tensor creation, L2 normalisation, the matrix product, a sorted
 * top-200 (docs/spark.md, "Measured here"). Random Gaussian vectors; four repetitions.
 *
 * <pre>
 * java -Dai.djl.offline=true -cp "spark/target/lib/*" spark/bench/PairProfile.java QUERIES BANK THREADS
 * </pre>
 */
public class PairProfile {
    public static void main(String[] a) {
        int q = Integer.parseInt(a[0]), b = Integer.parseInt(a[1]), d = 512, k = 200;
        ai.djl.engine.Engine.getEngine("PyTorch");
        JniUtils.setNumThreads(Integer.parseInt(a[2]));
        SplittableRandom r = new SplittableRandom(1);
        float[] qv = new float[q * d], bv = new float[b * d];
        for (int i = 0; i < qv.length; i++) qv[i] = (float) r.nextGaussian();
        for (int i = 0; i < bv.length; i++) bv[i] = (float) r.nextGaussian();
        for (int rep = 0; rep < 4; rep++) {
            try (NDManager m = NDManager.newBaseManager()) {
                long t0 = System.nanoTime();
                NDArray bank = m.create(bv, new Shape(b, d));
                long t1 = System.nanoTime();
                NDArray bt = bank.toType(DataType.FLOAT32, false).normalize(2, 1).transpose();
                long t2 = System.nanoTime();
                NDArray qq = m.create(qv, new Shape(q, d)).normalize(2, 1);
                NDArray s = qq.matMul(bt);
                s.getFloat(0, 0); // waits for the product
                long t3 = System.nanoTime();
                NDList top = s.topK(k, 1, true, true);
                float[] v = top.get(0).toFloatArray();
                long[] idx = top.get(1).toType(DataType.INT64, false).toLongArray();
                long t4 = System.nanoTime();
                System.out.printf("q=%d b=%d create %.1f ms, normalise %.1f ms, matmul %.1f ms (%.1f GFLOP/s), topk %.1f ms%n",
                        q, b, (t1 - t0) / 1e6, (t2 - t1) / 1e6, (t3 - t2) / 1e6, 2.0 * q * b * d / (t3 - t2), (t4 - t3) / 1e6);
            }
        }
    }
}
