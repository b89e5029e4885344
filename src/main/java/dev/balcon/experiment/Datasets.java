package dev.balcon.experiment;

import dev.balcon.BalconException;
import dev.balcon.augment.Normalization;
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

    /** Per-channel mean and standard deviation of the training images, the usual input normalisation. */
    public static Normalization normalization(ImageDataset train) {
        int channels = train.channels();
        int plane = train.height() * train.width();
        double[] sum = new double[channels];
        double[] sumSquares = new double[channels];
        byte[] pixels = train.pixels();
        for (int image = 0; image < train.size(); image++) {
            int offset = train.pixelOffset(image);
            for (int c = 0; c < channels; c++) {
                long s = 0;
                long ss = 0;
                for (int p = offset + c * plane, end = p + plane; p < end; p++) {
                    int v = pixels[p] & 0xFF;
                    s += v;
                    ss += v * v;
                }
                sum[c] += s;
                sumSquares[c] += ss;
            }
        }
        float[] mean = new float[channels];
        float[] std = new float[channels];
        double count = (double) train.size() * plane;
        for (int c = 0; c < channels; c++) {
            double m = sum[c] / count / 255.0;
            double variance = sumSquares[c] / count / (255.0 * 255.0) - m * m;
            mean[c] = (float) m;
            std[c] = (float) Math.sqrt(Math.max(variance, 1e-12));
        }
        return new Normalization(mean, std);
    }
}
