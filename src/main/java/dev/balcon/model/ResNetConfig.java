package dev.balcon.model;

import dev.balcon.BalconException;
import java.util.Arrays;
import java.util.List;

/**
 * Shape of a ResNet backbone with the CIFAR stem (3x3 convolution, stride 1, no max-pool) followed by
 * stages of BasicBlocks; stage {@code i} has {@code depths[i]} blocks of {@code widths[i]} channels and
 * starts with stride 1 for the first stage and 2 for every later one.
 *
 * @param name a label for the architecture, written into checkpoints and reports
 * @param stemWidth output channels of the stem convolution
 * @param widths output channels of each stage
 * @param depths number of BasicBlocks in each stage (same length as {@code widths})
 */
public record ResNetConfig(String name, int stemWidth, int[] widths, int[] depths) {

    private static final String RESNET_SMALL = "resnet-small";
    private static final String RESNET_18 = "resnet18";

    public ResNetConfig {
        if (name == null || name.isBlank()) {
            throw new BalconException("backbone name must not be blank");
        }
        if (stemWidth <= 0) {
            throw new BalconException("backbone stem width must be > 0, got " + stemWidth);
        }
        if (widths == null || depths == null || widths.length == 0 || widths.length != depths.length) {
            throw new BalconException("backbone widths and depths must be non-empty and of equal length, got widths "
                    + Arrays.toString(widths) + " and depths " + Arrays.toString(depths));
        }
        if (Arrays.stream(widths).anyMatch(w -> w <= 0) || Arrays.stream(depths).anyMatch(d -> d <= 0)) {
            throw new BalconException("backbone widths and depths must all be > 0, got widths "
                    + Arrays.toString(widths) + " and depths " + Arrays.toString(depths));
        }
        widths = widths.clone();
        depths = depths.clone();
    }

    /**
     * A named architecture with its default base width: {@code resnet-small} (w = 32) or
     * {@code resnet18} (w = 64).
     */
    public static ResNetConfig named(String name) {
        return named(name, defaultBaseWidth(name));
    }

    /**
     * A named architecture scaled by {@code baseWidth}: stem w and stage widths w, 2w, 4w, 8w;
     * {@code resnet-small} has one BasicBlock per stage, {@code resnet18} two.
     *
     * @throws BalconException if the name is unknown or the width is not positive
     */
    public static ResNetConfig named(String name, int baseWidth) {
        int blocksPerStage = requireKnown(name).equals(RESNET_18) ? 2 : 1;
        if (baseWidth <= 0) {
            throw new BalconException("backbone width must be > 0, got " + baseWidth);
        }
        int[] depths = {blocksPerStage, blocksPerStage, blocksPerStage, blocksPerStage};
        int[] widths = {baseWidth, 2 * baseWidth, 4 * baseWidth, 8 * baseWidth};
        return new ResNetConfig(name, baseWidth, widths, depths);
    }

    /** The default base width of a named architecture: 32 for resnet-small, 64 for resnet18. */
    public static int defaultBaseWidth(String name) {
        return requireKnown(name).equals(RESNET_18) ? 64 : 32;
    }

    /** The names accepted by {@link #named}. */
    public static List<String> names() {
        return List.of(RESNET_SMALL, RESNET_18);
    }

    /** Length of the backbone feature vector (the last stage's width). */
    public int featureDim() {
        return widths[widths.length - 1];
    }

    @Override
    public int[] widths() {
        return widths.clone();
    }

    @Override
    public int[] depths() {
        return depths.clone();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ResNetConfig that
                && name.equals(that.name)
                && stemWidth == that.stemWidth
                && Arrays.equals(widths, that.widths)
                && Arrays.equals(depths, that.depths);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * (31 * name.hashCode() + stemWidth) + Arrays.hashCode(widths)) + Arrays.hashCode(depths);
    }

    @Override
    public String toString() {
        return name + "(stem " + stemWidth + ", widths " + Arrays.toString(widths) + ", depths "
                + Arrays.toString(depths) + ")";
    }

    private static String requireKnown(String name) {
        if (!names().contains(name)) {
            throw new BalconException("unknown backbone '" + name + "', expected one of " + String.join(", ", names()));
        }
        return name;
    }
}
