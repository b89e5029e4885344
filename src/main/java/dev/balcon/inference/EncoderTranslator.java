package dev.balcon.inference;

import ai.djl.modality.cv.Image;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;
import dev.balcon.BalconException;

import java.awt.image.BufferedImage;
import java.util.function.Function;

/**
 * DJL's way to serve the encoder: turns an image into the normalised tensor {@code [C, H, W]} the encoder was
 * trained on (batched by DJL's default stacking batchifier), and the backbone's output row into a
 * {@code float[featureDim]} (L2-normalised if the {@link Encoder} was opened so). Use it with
 * {@link Encoder#asDjlModel()}, or simply {@link Encoder#newPredictor()}.
 *
 * @param <I> the input: {@link BufferedImage}, or DJL's {@link Image} backed by one (DJL's default image factory)
 */
public final class EncoderTranslator<I> implements Translator<I, float[]> {
    private final Encoder encoder;
    private final Function<I, BufferedImage> toBufferedImage;

    private EncoderTranslator(Encoder encoder, Function<I, BufferedImage> toBufferedImage) {
        this.encoder = encoder;
        this.toBufferedImage = toBufferedImage;
    }

    static EncoderTranslator<BufferedImage> forBufferedImages(Encoder encoder) {
        return new EncoderTranslator<>(encoder, image -> image);
    }

    static EncoderTranslator<Image> forImages(Encoder encoder) {
        return new EncoderTranslator<>(encoder, image -> {
            if (image.getWrappedImage() instanceof BufferedImage buffered) {
                return buffered;
            }
            throw new BalconException("image is a " + image.getWrappedImage().getClass().getName()
                    + ", expected one backed by java.awt.image.BufferedImage (DJL's BufferedImageFactory)");
        });
    }

    @Override
    public NDList processInput(TranslatorContext context, I input) {
        float[] tensor = encoder.toTensor(toBufferedImage.apply(input));
        return new NDList(context.getNDManager().create(tensor,
                new Shape(encoder.channels(), encoder.height(), encoder.width())));
    }

    @Override
    public float[] processOutput(TranslatorContext context, NDList list) {
        return encoder.output(list.singletonOrThrow().toFloatArray());
    }
}
