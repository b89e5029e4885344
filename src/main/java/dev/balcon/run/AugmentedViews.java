package dev.balcon.run;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.balcon.BalconException;
import dev.balcon.ComputeDevice;
import dev.balcon.InvalidField;
import dev.balcon.analysis.ViewEmbeddings;
import dev.balcon.augment.AugmentationPipeline;
import dev.balcon.data.ImageDataset;
import dev.balcon.model.ContrastiveModel;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * K augmented views of each of a set of labelled images, embedded by a model in backbone space (before the
 * projector) and projector space, ready for the instruments of {@code dev.balcon.analysis}.
 *
 * <p>View k of image i is rendered with its own {@code SplittableRandom(viewSeed(seed, i, k))}, i being the
 * image's index in its dataset: the draws depend on (seed, image, view) only, so a subset, another batch size
 * or another epoch sees the same views of the same image. Views are rendered in parallel and pushed through
 * the model {@link #VIEWS_PER_FORWARD} at a time in inference mode (batch-norm running statistics); one
 * forward pass gives both spaces. Native memory stays bounded by one batch; the results live on the Java heap
 * ({@code N K (D_backbone + D_projector)} floats).
 */
public final class AugmentedViews {

    /** Views per forward pass: large enough to keep the matrix kernels busy, small enough for bounded memory. */
    public static final int VIEWS_PER_FORWARD = 512;

    private static final long VIEW_SALT = 0x62696173L; // "bias": keeps these draws apart from the training loader's

    /** Backbone features, row-major [N, K, backboneDim]. */
    private final float[] backbone;
    /** Projector outputs, row-major [N, K, projectorDim]. */
    private final float[] projector;
    private final int[] labels;
    private final int numClasses;
    private final int views;
    private final int backboneDim;
    private final int projectorDim;

    private AugmentedViews(float[] backbone, float[] projector, int[] labels, int numClasses, int views,
                           int backboneDim, int projectorDim) {
        this.backbone = backbone;
        this.projector = projector;
        this.labels = labels;
        this.numClasses = numClasses;
        this.views = views;
        this.backboneDim = backboneDim;
        this.projectorDim = projectorDim;
    }

    /** N, the number of images. */
    public int images() {
        return labels.length;
    }

    /** K, the views per image. */
    public int views() {
        return views;
    }

    /**
     * Renders K views of {@code dataset}'s images {@code indices} with {@code pipeline} and embeds them with
     * {@code model}.
     *
     * @throws InvalidField   naming the parameter {@code views} if K &lt; 1
     * @throws BalconException if no image is given, the views do not fit in memory, or the images do not match the
     *                         pipeline
     */
    public static AugmentedViews embed(ContrastiveModel model, ImageDataset dataset, int[] indices,
                                       AugmentationPipeline pipeline, int views, long seed) {
        if (views < 1) {
            throw new InvalidField("views", "(per image) must be >= 1, got " + views);
        }
        if (indices.length == 0) {
            throw new BalconException("no images to embed from " + dataset.name());
        }
        int backboneDim = model.featureDim();
        int projectorDim = model.config().projectorOutDim();
        long totalViews = (long) indices.length * views;
        if (totalViews * Math.max(backboneDim, projectorDim) > Integer.MAX_VALUE - 8) {
            throw new BalconException(indices.length + " images x " + views + " views do not fit in memory at once;"
                    + " use fewer images or fewer views per image");
        }
        int viewLength = pipeline.viewLength();
        float[] backbone = new float[Math.toIntExact(totalViews * backboneDim)];
        float[] projector = new float[Math.toIntExact(totalViews * projectorDim)];
        float[] batch = new float[VIEWS_PER_FORWARD * viewLength];
        try (NDManager manager = NDManager.newBaseManager(ComputeDevice.current())) {
            ParameterStore parameters = new ParameterStore(manager, false);
            for (int first = 0; first < totalViews; first += VIEWS_PER_FORWARD) {
                int start = first;
                int count = (int) Math.min(VIEWS_PER_FORWARD, totalViews - first);
                // View v is view (v % K) of image indices[v / K]: rows come out in [N, K] order.
                IntStream.range(0, count).parallel().forEach(j -> {
                    int v = start + j;
                    int image = indices[v / views];
                    pipeline.render(dataset, image, new SplittableRandom(viewSeed(seed, image, v % views)), batch,
                            j * viewLength);
                });
                try (NDManager step = manager.newSubManager()) {
                    float[] input = count == VIEWS_PER_FORWARD ? batch : Arrays.copyOf(batch, count * viewLength);
                    NDArray images = step.create(input, new Shape(count, pipeline.channels(), pipeline.outputHeight(),
                            pipeline.outputWidth()));
                    NDList out = model.forward(parameters, images, false);
                    System.arraycopy(out.get(0).toFloatArray(), 0, backbone, start * backboneDim, count * backboneDim);
                    System.arraycopy(out.get(1).toFloatArray(), 0, projector, start * projectorDim,
                            count * projectorDim);
                }
            }
        }
        int[] labels = Arrays.stream(indices).map(dataset::label).toArray();
        return new AugmentedViews(backbone, projector, labels, dataset.numClasses(), views, backboneDim, projectorDim);
    }

    /** The seed of view {@code view} of image {@code image}: a hash of (seed, image, view) only. */
    public static long viewSeed(long seed, int image, int view) {
        return mix(mix(mix(seed ^ VIEW_SALT) + image) + view);
    }

    /** The backbone features as instrument input, a float32 [N, K, D] array attached to {@code manager}. */
    public ViewEmbeddings backboneEmbeddings(NDManager manager) {
        return new ViewEmbeddings(manager.create(backbone, new Shape(images(), views, backboneDim)), labels,
                numClasses);
    }

    /** The projector outputs as instrument input, a float32 [N, K, D] array attached to {@code manager}. */
    public ViewEmbeddings projectorEmbeddings(NDManager manager) {
        return new ViewEmbeddings(manager.create(projector, new Shape(images(), views, projectorDim)), labels,
                numClasses);
    }

    /** Images with a NaN or infinite value in any view, in either space (a diverging model produces them). */
    public int nonFiniteImages() {
        int bad = 0;
        for (int image = 0; image < images(); image++) {
            if (!finite(backbone, image, views * backboneDim) || !finite(projector, image, views * projectorDim)) {
                bad++;
            }
        }
        return bad;
    }

    /**
     * Throws unless every embedding is finite.
     *
     * @param model the model in words, naming where it comes from (e.g. "run DIR")
     * @throws BalconException naming {@code model} and how many images have NaN or infinite embeddings
     */
    public void requireFinite(String model) {
        int bad = nonFiniteImages();
        if (bad > 0) {
            throw new BalconException(model + ": the embeddings of " + bad + " of " + images() + " images hold NaN"
                    + " or infinite values, as a diverged model's do; refusing to measure them");
        }
    }

    private static boolean finite(float[] values, int image, int perImage) {
        for (int i = image * perImage, end = i + perImage; i < end; i++) {
            if (!Float.isFinite(values[i])) {
                return false;
            }
        }
        return true;
    }

    /** SplitMix64's finaliser: a bijective 64-bit mix. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
