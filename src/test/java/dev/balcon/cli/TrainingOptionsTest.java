package dev.balcon.cli;

import dev.balcon.augment.AugmentationSettings;
import dev.balcon.train.MonitorConfig;
import dev.balcon.train.OptimizerConfig;
import dev.balcon.train.PretrainConfig;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The training options take their defaults from the configuration's records and map to its fields. */
class TrainingOptionsTest {

    private static String help() {
        return new CommandLine(new PretrainCommand()).getUsageMessage(CommandLine.Help.Ansi.OFF);
    }

    @Test
    void theHelpShowsTheRecordsDefaults() {
        String help = help().replaceAll("\\s+", " ");
        assertThat(help).contains("Peak learning rate (default: " + OptimizerConfig.defaults().lr() + ")");
        assertThat(help).contains("Epochs (default: " + PretrainConfig.defaults().epochs() + ")");
        assertThat(help).contains("SGD momentum (default: " + OptimizerConfig.defaults().momentum() + ")");
        CommandSpec spec = CommandSpec.forAnnotatedObject(new TrainingOptions());
        assertThat(spec.findOption("--lr").defaultValueString()).isEqualTo(String.valueOf(OptimizerConfig.defaults().lr()));
    }

    @Test
    void theDefaultsPicocliNeedsAsConstantsEqualTheRecords() {
        AugmentationSettings augmentation = AugmentationSettings.defaults();
        AugmentationSettings photos = AugmentationSettings.defaultsFor("imagefolder", 3);
        assertThat(help().replaceAll("\\s+", " ")).contains("(default: " + augmentation.recipe() + "; "
                + photos.recipe() + " for colour image folders and lists)", "(default: " + augmentation.cropScaleMin()
                + "," + augmentation.cropScaleMax() + "; " + photos.recipe() + "' own " + photos.cropScaleMin() + ","
                + photos.cropScaleMax() + " for colour image folders and lists and with --recipe simclr-photos)");
        CommandSpec spec = CommandSpec.forAnnotatedObject(new TrainingOptions());
        assertThat(spec.findOption("--monitor-bounds").defaultValue())
                .isEqualTo(String.valueOf(MonitorConfig.defaults().bounds()));
    }

    @Test
    void noOptionsGiveTheDefaultsApartFromTheCacheAndTheImageLimit() {
        TrainingOptions options = new TrainingOptions();
        new CommandLine(options).parseArgs("--no-cache");
        PretrainConfig config = options.toConfig();
        // the command line stores the image limit it applies; the record's 0 stands for that default
        assertThat(config.data().selection().maxImagePixels()).isEqualTo(dev.balcon.data.ImageFolder.DEFAULT_MAX_IMAGE_PIXELS);
        assertThat(config.toBuilder().maxImagePixels(0).build()).isEqualTo(PretrainConfig.defaults());
    }

    @Test
    void colourPhotoFoldersDefaultToThePhotoRecipeAndGivenOptionsWin() {
        AugmentationSettings photos = parse("--dataset", "imagefolder", "--data", ".").augmentation();
        assertThat(photos.recipe()).isEqualTo(AugmentationSettings.PHOTOS);
        assertThat(photos.toRecipe()).isEqualTo(dev.balcon.augment.AugmentationRecipe.named(AugmentationSettings.PHOTOS));
        assertThat(parse("--dataset", "list", "--data", ".", "--channels", "3").augmentation()).isEqualTo(photos);
        // grey folders and the fixed datasets keep simclr with crops of 0.2-1
        assertThat(parse("--dataset", "imagefolder", "--data", ".", "--channels", "1").augmentation())
                .isEqualTo(AugmentationSettings.defaults());
        assertThat(parse("--dataset", "cifar10").augmentation()).isEqualTo(AugmentationSettings.defaults());
        // a recipe given without a crop range takes its default range: simclr-photos its own, the others 0.2-1
        assertThat(parse("--dataset", "imagefolder", "--data", ".", "--recipe", "simclr").augmentation())
                .isEqualTo(AugmentationSettings.defaults());
        assertThat(parse("--dataset", "cifar10", "--recipe", "simclr-photos").augmentation()).isEqualTo(photos);
        assertThat(parse("--dataset", "imagefolder", "--data", ".", "--recipe", "simclr-no-blur").augmentation())
                .isEqualTo(new AugmentationSettings("simclr-no-blur", 0.2, 1, null));
        // given options always win
        assertThat(parse("--dataset", "imagefolder", "--data", ".", "--crop-scale", "0.3,1", "--jitter-strength",
                "0.7").augmentation()).isEqualTo(new AugmentationSettings(AugmentationSettings.PHOTOS, 0.3, 1, 0.7));
    }

    private static PretrainConfig parse(String... args) {
        TrainingOptions options = new TrainingOptions();
        new CommandLine(options).parseArgs(args);
        return options.toConfig();
    }

    @Test
    void optionsMapToTheNestedFieldsAndErrorsNameTheOption() {
        TrainingOptions options = new TrainingOptions();
        new CommandLine(options).parseArgs("--lr", "0.05", "--method", "moco", "--queue-size", "1024", "--crop-scale",
                "0.3,0.9", "--batch-size", "64");
        PretrainConfig config = options.toConfig();
        assertThat(config.optimizer().lr()).isEqualTo(0.05);
        assertThat(config.method().queueSize()).isEqualTo(1024);
        assertThat(config.augmentation().cropScaleMin()).isEqualTo(0.3);
        assertThat(TrainingOptions.fieldsOf("--lr")).containsExactly("optimizer.lr");
        assertThat(TrainingOptions.optionOf("optimizer.lr")).isEqualTo("--lr");

        TrainingOptions bad = new TrainingOptions();
        new CommandLine(bad).parseArgs("--lr", "-1");
        assertThatThrownBy(bad::toConfig).hasMessage("--lr must be a finite number > 0, got -1.0");
    }
}
