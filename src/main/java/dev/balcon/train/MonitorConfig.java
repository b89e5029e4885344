package dev.balcon.train;

import dev.balcon.InvalidField;

/**
 * The monitor group of a run's configuration ({@code monitor} in config.json): the bound gaps and the prototype bias
 * measured on a probe set after every epoch.
 *
 * @param bounds     whether to measure them
 * @param probeSize  images in the probe (class-balanced, from the test split), &gt;= 2 when {@code bounds}
 * @param probeViews augmented views per probe image, &gt;= 2 when {@code bounds}
 */
public record MonitorConfig(boolean bounds, int probeSize, int probeViews) {

    public MonitorConfig {
        // Checked only when the monitor is on: a config.json written before these fields existed reads them as
        // false / 0 / 0 and must stay readable.
        if (bounds && probeSize < 2) {
            throw new InvalidField("monitor.probeSize", "must be >= 2 images, got " + probeSize);
        }
        if (bounds && probeViews < 2) {
            throw new InvalidField("monitor.probeViews", "must be >= 2 (the bounds compare each view with the other "
                    + "views of its image), got " + probeViews);
        }
    }

    /** The defaults: on, 1000 probe images, 4 views each. */
    public static MonitorConfig defaults() {
        return new MonitorConfig(true, 1000, 4);
    }
}
