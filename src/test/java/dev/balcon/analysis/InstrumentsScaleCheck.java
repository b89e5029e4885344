package dev.balcon.analysis;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Memory and wall-time check of the instruments at a given scale (not a unit test: it takes about a
 * minute at N = 10,000 on 2 cores). Random clustered float32 embeddings, balanced classes.
 *
 * <pre>
 *   mvn -q -o test-compile
 *   java -Dai.djl.offline=true -cp target/classes:target/test-classes:$(cat cp.txt) \
 *       dev.balcon.analysis.InstrumentsScaleCheck 10000 8 512 10
 * </pre>
 * (cp.txt from {@code mvn -q -o dependency:build-classpath -Dmdep.outputFile=cp.txt}).
 */
public final class InstrumentsScaleCheck {

    private InstrumentsScaleCheck() {}

    public static void main(String[] args) {
        int n = Integer.parseInt(args[0]);
        int k = Integer.parseInt(args[1]);
        int d = Integer.parseInt(args[2]);
        int classes = Integer.parseInt(args[3]);
        try (NDManager manager = NDManager.newBaseManager()) {
            manager.getEngine().setRandomSeed(1);
            NDArray centres = manager.randomNormal(new Shape(classes, 1, d));
            int[] labels = TestViews.roundRobinLabels(n, classes);
            NDArray images = centres.get(manager.create(labels)).add(manager.randomNormal(new Shape(n, 1, d)));
            NDArray views = images.add(manager.randomNormal(0, 0.5f, new Shape(n, k, d), images.getDataType()));
            ViewEmbeddings e = new ViewEmbeddings(views, labels, classes);

            long start = System.nanoTime();
            BiasResult raw = PrototypeBias.compute(e, false, "raw");
            BiasResult unit = PrototypeBias.compute(e, true, "unit");
            long afterBias = System.nanoTime();
            BoundGapResult gaps = BoundGaps.compute(e, 2, 1, 1);
            long afterGaps = System.nanoTime();

            System.out.printf("N=%d K=%d D=%d classes=%d%n", n, k, d, classes);
            System.out.printf("bias raw %.4f, unit %.4f: %.2f s for both%n", raw.bias(), unit.bias(),
                    (afterBias - start) / 1e9);
            System.out.printf("bounds: %s%n%.2f s%n", gaps, (afterGaps - afterBias) / 1e9);
            System.out.printf("JVM heap used %d MB%n",
                    (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) >> 20);
        }
    }
}
