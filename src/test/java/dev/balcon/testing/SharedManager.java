package dev.balcon.testing;

import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One DJL {@link NDManager} for a test class, opened before its first test and closed after its last:
 * {@code @RegisterExtension static final SharedManager MANAGER = new SharedManager();}, then {@code MANAGER.get()}
 * (usually for {@code newSubManager()} per test, so that each test frees its arrays).
 */
public final class SharedManager implements BeforeAllCallback, AfterAllCallback {
    private NDManager manager;

    @Override
    public void beforeAll(ExtensionContext context) {
        manager = NDManager.newBaseManager();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        manager.close();
        manager = null;
    }

    /**
     * The class's manager.
     *
     * @throws IllegalStateException outside the class's tests (before the first or after the last)
     */
    public NDManager get() {
        if (manager == null) {
            throw new IllegalStateException("the shared NDManager is open only while the test class runs");
        }
        return manager;
    }
}
