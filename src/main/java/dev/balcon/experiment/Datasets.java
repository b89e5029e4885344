package dev.balcon.experiment;

import dev.balcon.BalconException;
import dev.balcon.data.DatasetSplits;
import dev.balcon.data.FashionMnist;
import dev.balcon.data.ImageDataset;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;

/** Opens the dataset a run configuration names. */
public final class Datasets {
    public static final String FASHION_MNIST = "fashion-mnist";
    public static final List<String> KINDS = List.of(FASHION_MNIST);

    private Datasets() {}

    /** Train and test splits; {@code trainLimit > 0} keeps only the first that many training images. */
    public static DatasetSplits load(String kind, String dataDir, int trainLimit) {
        Path dir = dataDir == null ? null : Path.of(dataDir);
        DatasetSplits splits = switch (kind) {
            case FASHION_MNIST -> FashionMnist.load(dir);
            default -> throw new BalconException("--dataset '" + kind + "' is unknown; expected one of " + KINDS);
        };
        if (trainLimit > 0 && trainLimit < splits.train().size()) {
            ImageDataset train = splits.train();
            int[] first = IntStream.range(0, trainLimit).toArray();
            return new DatasetSplits(train.subset(first, train.name() + "[:" + trainLimit + "]"), splits.test());
        }
        return splits;
    }
}
