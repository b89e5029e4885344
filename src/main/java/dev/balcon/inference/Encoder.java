package dev.balcon.inference;

import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.modality.cv.Image;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.LambdaBlock;
import dev.balcon.BalconException;
import dev.balcon.ComputeDevice;
import dev.balcon.augment.Normalization;
import dev.balcon.data.ImageDataset;
import dev.balcon.data.ImageFolder;
import dev.balcon.eval.FeatureExtractor;
import dev.balcon.data.DataSelection;
import dev.balcon.data.Datasets;
import dev.balcon.run.TrainedEncoder;
import dev.balcon.model.ContrastiveModel;
import dev.balcon.model.Precision;
import dev.balcon.train.RunDirectory;

import java.awt.image.BufferedImage;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.IntStream;

/**
 * A trained encoder ready to embed images: the backbone of an exported model directory ({@code balcon export}) or
 * of a run directory ({@code balcon pretrain}), with the input size and normalisation it was trained with.
 *
 * <p>Images are prepared exactly as training and evaluation prepared them: converted to the encoder's channel count,
 * resized to cover its input size and centre-cropped as image folders are loaded ({@link ImageFolder#fromImages}),
 * normalised per channel, and encoded in inference mode (batch-norm running statistics) in batches of up to 512
 * by the same code that computes the features k-NN and the linear probe score ({@link FeatureExtractor}).
 *
 * <p>Thread safety: the {@code embed} methods are synchronized, so one encoder may be shared by several threads,
 * which then take turns (PyTorch itself uses all cores for one batch). For concurrent calls, open one encoder per
 * thread, or one DJL {@link Predictor} per thread from {@link #newPredictor()}.
 *
 * <p>The weights live in native memory until {@link #close()}. Opening an encoder builds the network with
 * {@link ContrastiveModel#create}, which reseeds DJL's global random generator.
 */
public final class Encoder implements AutoCloseable {
    private final NDManager manager;
    private final ContrastiveModel model;
    private final Normalization normalization;
    private final int channels;
    private final int height;
    private final int width;
    private final boolean l2Normalize;
    private final String source;
    private Model djlModel;
    private boolean closed;

    private Encoder(NDManager manager, ContrastiveModel model, Normalization normalization, int[] shape,
                    boolean l2Normalize, String source) {
        this.manager = manager;
        this.model = model;
        this.normalization = normalization;
        this.channels = shape[0];
        this.height = shape[1];
        this.width = shape[2];
        this.l2Normalize = l2Normalize;
        this.source = source;
    }

    /** {@link #load(Path, boolean)} returning the backbone features as they are (not L2-normalised). */
    public static Encoder load(Path directory) {
        return load(directory, false);
    }

    /**
     * Opens an exported model directory (model.json) or a run directory (config.json and checkpoint.bin).
     *
     * @param l2Normalize return every vector divided by its Euclidean norm (cosine similarity becomes a dot product)
     * @throws BalconException if the directory is neither, or its files are missing, damaged or of another format
     */
    public static Encoder load(Path directory, boolean l2Normalize) {
        if (Files.isRegularFile(directory.resolve(ModelManifest.FILE))) {
            return loadExport(directory, l2Normalize);
        }
        if (Files.isRegularFile(new RunDirectory(directory).config())) {
            return loadRun(directory, l2Normalize);
        }
        throw new BalconException(directory + " is neither an exported model (" + ModelManifest.FILE
                + ") nor a run directory (config.json)");
    }

    /**
     * Opens an exported model directory: checks model.json's format and version and the SHA-256 of the weights
     * file it records, then loads the weights.
     *
     * @throws BalconException if {@code directory} is a run directory or holds no export, model.json is unreadable
     *     or of an unknown version or architecture, or the weights file is missing, altered or does not match
     */
    public static Encoder loadExport(Path directory, boolean l2Normalize) {
        Path manifestFile = directory.resolve(ModelManifest.FILE);
        if (!Files.isRegularFile(manifestFile)) {
            throw new BalconException(Files.isRegularFile(new RunDirectory(directory).config())
                    ? directory + " is a run directory (config.json), not an exported model: expected " + ModelManifest.FILE
                    + " and " + ModelExport.WEIGHTS_FILE
                    : directory + " holds no exported model: " + ModelManifest.FILE + " is missing");
        }
        ModelManifest manifest = ModelManifest.read(manifestFile);
        var config = manifest.modelConfig(manifestFile);
        Normalization normalization = manifest.normalization(manifestFile);
        Path weightsFile = directory.resolve(manifest.weights().file() == null ? ModelExport.WEIGHTS_FILE
                : manifest.weights().file());
        NDManager manager = NDManager.newBaseManager(ComputeDevice.current());
        ModelManifest.Input input = manifest.input();
        ContrastiveModel model = null;
        try {
            model = ContrastiveModel.create(config, input.height(), input.width(), manager, 0);
            try (NDList tensors = readWeights(weightsFile, manifest.weights().sha256(), manager)) {
                TorchStateDict.load(tensors, model, weightsFile);
            }
            return new Encoder(manager, model, normalization, new int[] {input.channels(), input.height(), input.width()},
                    l2Normalize, directory.toString());
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * Opens a run directory's latest checkpoint, for images of the run's training shape.
     *
     * @throws BalconException if {@code directory} is an exported model or not a run, or its checkpoint is missing
     */
    public static Encoder loadRun(Path directory, boolean l2Normalize) {
        RunDirectory run = ModelExport.requireRunDirectory(directory);
        int[] shape = Datasets.imageShape(run.readConfig().data().selection());
        NDManager manager = NDManager.newBaseManager(ComputeDevice.current());
        try {
            TrainedEncoder trained = TrainedEncoder.open(run, manager);
            return new Encoder(manager, trained.model(), trained.normalization(), shape, l2Normalize, directory.toString());
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /** Checks the SHA-256 of the weights file before anything of it is parsed, then decodes it. */
    private static NDList readWeights(Path file, String expectedSha256, NDManager manager) {
        if (!Files.isRegularFile(file)) {
            throw new BalconException("weights file " + file + " not found");
        }
        MessageDigest digest = ModelExport.sha256();
        try (InputStream in = new DigestInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16), digest)) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        String actual = HexFormat.of().formatHex(digest.digest());
        if (!actual.equalsIgnoreCase(String.valueOf(expectedSha256))) {
            throw new BalconException(file + " has SHA-256 " + actual + ", " + ModelManifest.FILE + " records "
                    + expectedSha256 + ": the weights file was changed or damaged");
        }
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            return NDList.decode(manager, in);
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new BalconException(file + " is not a safetensors file this balcon reads: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** Length of the vectors {@code embed} returns. */
    public int featureDim() {
        return model.featureDim();
    }

    /** Channels of the encoder's input: 1 (grayscale) or 3 (RGB). */
    public int channels() {
        return channels;
    }

    /** Height in pixels images are resized to. */
    public int height() {
        return height;
    }

    /** Width in pixels images are resized to. */
    public int width() {
        return width;
    }

    /** Whether vectors are L2-normalised. */
    public boolean l2Normalize() {
        return l2Normalize;
    }

    /** The per-channel input normalisation. */
    public Normalization normalization() {
        return normalization;
    }

    /** The number format the backbone computes in; {@link Precision#FP32} until {@link #setPrecision} changes it. */
    public Precision precision() {
        return model.precision();
    }

    /**
     * Sets the number format of every later {@code embed} and prediction ({@link ContrastiveModel#setPrecision}):
     * under {@link Precision#BF16} the backbone's convolutions and linear layers run in bfloat16 on bfloat16 copies
     * of the weights and the vectors still come back float32, within about 1% of the fp32 ones (bfloat16 keeps 8
     * bits of mantissa). A reduced precision is first tried in a separate process, once per JVM.
     *
     * @throws BalconException naming the field {@code precision} if it does not work with this engine
     * @throws IllegalStateException if the encoder is closed
     */
    public synchronized void setPrecision(Precision precision) {
        requireOpen();
        model.setPrecision(precision);
    }

    /** The backbone features {@code [featureDim]} of one image of any size and colour model. */
    public float[] embed(BufferedImage image) {
        return embed(List.of(image))[0];
    }

    /**
     * The backbone features of {@code images}, one row {@code [featureDim]} per image in order.
     *
     * @throws BalconException if {@code images} is empty
     */
    public synchronized float[][] embed(List<BufferedImage> images) {
        return embed(ImageFolder.fromImages("images", images, channels, height, width));
    }

    /**
     * The backbone features of every image of {@code images}, already decoded at the encoder's input shape (as
     * balcon's dataset loaders do at {@code channels x height x width}), one row per image.
     *
     * @throws BalconException if the images have another shape than the encoder's input
     */
    public synchronized float[][] embed(ImageDataset images) {
        requireOpen();
        if (images.channels() != channels || images.height() != height || images.width() != width) {
            throw new BalconException(images.name() + " has images of " + images.channels() + "x" + images.height()
                    + "x" + images.width() + " (channels x height x width); the encoder of " + source + " expects "
                    + channels + "x" + height + "x" + width);
        }
        try (NDManager batch = manager.newSubManager()) {
            float[] values = FeatureExtractor.backboneFeatures(model, images, normalization, batch).toFloatArray();
            int dim = featureDim();
            return IntStream.range(0, images.size())
                    .mapToObj(i -> output(java.util.Arrays.copyOfRange(values, i * dim, (i + 1) * dim)))
                    .toArray(float[][]::new);
        }
    }

    /** A vector as returned to callers: L2-normalised if asked (a zero vector stays zero). */
    float[] output(float[] features) {
        if (!l2Normalize) {
            return features;
        }
        double squares = 0;
        for (float value : features) {
            squares += (double) value * value;
        }
        float scale = (float) (1 / Math.max(Math.sqrt(squares), 1e-12)); // torch.nn.functional.normalize's eps
        for (int i = 0; i < features.length; i++) {
            features[i] *= scale;
        }
        return features;
    }

    /** The normalised tensor {@code [channels, height, width]} of one image, as {@link #embed} feeds it. */
    float[] toTensor(BufferedImage image) {
        ImageDataset one = ImageFolder.fromImages("image", List.of(image), channels, height, width);
        float[] tensor = new float[one.imageSize()];
        normalization.toTensor(one, 0, tensor, 0);
        return tensor;
    }

    /** The backbone in inference mode, {@code [B, C, H, W] -> [B, featureDim]}, for DJL's predictors. */
    NDArray features(NDArray images) {
        requireOpen();
        return model.features(images);
    }

    /** A DJL translator from images to feature vectors, for {@link Model#newPredictor}. */
    public EncoderTranslator<BufferedImage> translator() {
        return EncoderTranslator.forBufferedImages(this);
    }

    /** A DJL translator from DJL images (backed by a {@link BufferedImage}) to feature vectors. */
    public EncoderTranslator<Image> imageTranslator() {
        return EncoderTranslator.forImages(this);
    }

    /**
     * The backbone as a DJL {@link Model} whose block maps {@code [B, C, H, W]} normalised images to
     * {@code [B, featureDim]} features; use it with {@link #translator()}. Closed with this encoder.
     */
    public synchronized Model asDjlModel() {
        requireOpen();
        if (djlModel == null) {
            // on the weights' device, so that the predictor's translator builds its input arrays there
            djlModel = Model.newInstance("balcon-encoder", manager.getDevice());
            djlModel.setBlock(LambdaBlock.singleton(this::features, "balcon-encoder"));
        }
        return djlModel;
    }

    /** A DJL predictor of feature vectors: {@code predict(image)} and {@code batchPredict(images)}; one per thread. */
    public Predictor<BufferedImage, float[]> newPredictor() {
        return asDjlModel().newPredictor(translator());
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("the encoder of " + source + " is closed");
        }
    }

    /** Frees the weights (native memory); later calls fail. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            if (djlModel != null) {
                djlModel.close();
            }
            model.close();
            manager.close();
        }
    }
}
