package dev.balcon.cli;

import dev.balcon.augment.AugmentationRecipe;
import dev.balcon.data.ImageDataset;
import dev.balcon.data.Datasets;
import dev.balcon.report.Preview;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "preview", mixinStandardHelpOptions = true,
        description = "Writes a PNG sheet of an augmentation recipe: one row per training image (taken round-robin "
                + "over the classes), the original first, then pairs of augmented views, de-normalised and enlarged "
                + "with nearest-neighbour scaling.")
final class PreviewCommand implements Callable<Integer> {
    @Mixin
    ProgressOptions progress;

    @Mixin
    DataOptions data;

    @Mixin
    RecipeOptions augmentation;

    @Option(names = "--out", defaultValue = "preview.png", description = "PNG file to write (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--images", defaultValue = "8", description = "Rows: images shown (default: ${DEFAULT-VALUE}).")
    int images;

    @Option(names = "--pairs", defaultValue = "3", description = "Pairs of augmented views per image (default: ${DEFAULT-VALUE}).")
    int pairs;

    @Option(names = "--scale", description = "Output pixels per image pixel (default: about 112 px per image side, 4 for 28 px).")
    Integer scale;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the images shown and of their views (default: ${DEFAULT-VALUE}; --data-seed seeds a held-out split).")
    long seed;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter log = spec.commandLine().getOut();
        AugmentationRecipe recipe = TrainingOptions.inOptions(
                () -> augmentation.toSettings(data.dataset, data.channels)).toRecipe();
        Datasets.Loaded loaded = TrainingOptions.inOptions(() -> Datasets.load(data.toSelection()));
        loaded.notes().forEach(log::println);
        ImageDataset train = loaded.train();
        int pixelScale = scale != null ? scale : Preview.defaultScale(train.height(), train.width());
        BufferedImage sheet = FieldOptions.inOptions(Map.of("images", "--images", "pairs", "--pairs", "scale", "--scale"),
                () -> Preview.render(train, recipe, images, pairs, pixelScale, seed));
        Preview.write(sheet, out);
        log.printf("wrote %s (%dx%d px): %d images of %s, each the original then %d pairs of %s views, %dx enlarged%n",
                out, sheet.getWidth(), sheet.getHeight(), images, train.name(), pairs, recipe.name(), pixelScale);
        return 0;
    }
}
