package dev.balcon.train;

import dev.balcon.model.ContrastiveModel;

import java.util.Map;

/** A measurement taken on the model after each epoch; its fields join that epoch's metrics row. */
public interface EpochMonitor {
    Map<String, Object> measure(int epoch, ContrastiveModel model);
}
