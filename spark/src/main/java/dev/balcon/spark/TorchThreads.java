package dev.balcon.spark;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

/** libtorch's intra-op thread count on an executor JVM: one process-wide setting, made before the first tensor work. */
final class TorchThreads {
    private static int set;

    private TorchThreads() {}

    /** Sets {@code threads} (>= 1) if this JVM has not been set to it yet; loads the native library if needed. */
    static synchronized void ensure(int threads) {
        if (set != threads) {
            Engine.getEngine("PyTorch"); // loads libtorch, which JniUtils needs
            JniUtils.setNumThreads(threads);
            set = threads;
        }
    }
}
