package dev.balcon.sweep;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import dev.balcon.BalconException;
import dev.balcon.cli.TrainingOptionsConfigs;
import dev.balcon.loss.LossConfig;
import dev.balcon.train.PretrainConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Reading experiment files: the grid, the cells, the runs' configurations, and every mistake named before a run. */
class ExperimentFileTest {
    private static final TrainingOptionsConfigs CONFIGS = new TrainingOptionsConfigs();

    @TempDir
    Path dir;

    private ExperimentFile read(String yaml) throws Exception {
        Path file = dir.resolve("exp.yaml");
        Files.writeString(file, yaml);
        return ExperimentFile.read(file, CONFIGS);
    }

    /** The message of reading {@code yaml}, which must fail. */
    private String error(String yaml) {
        Path file = dir.resolve("bad.yaml");
        try {
            Files.writeString(file, yaml);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(() -> ExperimentFile.read(file, CONFIGS));
        assertThat(thrown).isInstanceOf(BalconException.class);
        assertThat(thrown.getMessage()).doesNotContain("\n").startsWith(file.toString());
        return thrown.getMessage();
    }

    @Test
    void expandsTheGridInFileOrderThenTheExplicitCells() throws Exception {
        ExperimentFile experiment = read("""
                description: a test
                budget: nothing
                base: {loss: balanced, width: 8, epochs: 2, train_limit: 100}
                grid:
                  alpha: [1, 2, 4]
                  lambda: [0.5, 2]
                cells:
                  - {name: nt_xent, loss: nt_xent, tau: 0.25}
                  - {name: balanced-no-inv-alpha, alpha: 4, lambda: 2, scale_by_inv_alpha: false}
                seeds: [0, 3]
                evaluate: [bias, knn]
                """);
        assertThat(experiment.cells()).extracting(ExperimentFile.Cell::name).containsExactly(
                "alpha=1_lambda=0.5", "alpha=1_lambda=2", "alpha=2_lambda=0.5", "alpha=2_lambda=2",
                "alpha=4_lambda=0.5", "alpha=4_lambda=2", "nt_xent", "balanced-no-inv-alpha");
        assertThat(experiment.runs()).hasSize(16);
        assertThat(experiment.cellKeys()).containsExactly("alpha", "lambda", "loss", "tau", "scale_by_inv_alpha");
        assertThat(experiment.gridKeys()).containsExactly("alpha", "lambda");
        assertThat(experiment.evaluate()).containsExactly("knn", "bias");
        assertThat(experiment.description()).isEqualTo("a test");

        ExperimentFile.Run second = experiment.runs().get(1);
        assertThat(second.cell().name()).isEqualTo("alpha=1_lambda=0.5");
        assertThat(second.seed()).isEqualTo(3);
        PretrainConfig config = second.config();
        assertThat(config.seed()).isEqualTo(3);
        assertThat(config.model().width()).isEqualTo(8);
        assertThat(config.data().trainLimit()).isEqualTo(100);
        // the subset's seed is the data seed (default 0), the same for every training seed
        assertThat(config.data().dataSeed()).isZero();
        assertThat(experiment.runs().get(0).config().data().dataSeed()).isZero();
        LossConfig loss = config.lossConfig();
        assertThat(loss.presetName()).isEqualTo("balanced");
        assertThat(loss.alpha()).isEqualTo(1.0);
        assertThat(loss.lambda()).isEqualTo(0.5);
        assertThat(loss.scaleByInvAlpha()).isTrue();
        // Everything not set keeps the command line's default.
        assertThat(config.batchSize()).isEqualTo(256);
        assertThat(config.optimizer().lr()).isEqualTo(0.3);

        PretrainConfig ntXent = experiment.runs().get(12).config();
        assertThat(ntXent.lossConfig().presetName()).isEqualTo("nt_xent");
        assertThat(ntXent.lossConfig().alpha()).isEqualTo(4.0);
        LossConfig withoutInverse = experiment.runs().get(14).config().lossConfig();
        assertThat(withoutInverse.presetName()).isEqualTo("balanced");
        assertThat(withoutInverse.alpha()).isEqualTo(4.0);
        assertThat(withoutInverse.scaleByInvAlpha()).isFalse();
        assertThat(experiment.runs().get(14).directory(dir))
                .isEqualTo(dir.resolve("balanced-no-inv-alpha").resolve("seed-0"));
    }

    @Test
    void aKeyMayBeTheSettingsPathInConfigJson() throws Exception {
        PretrainConfig nested = read("base: {optimizer.lr: 0.05, method.loss.preset: dcl, monitor.bounds: false}\n"
                + "seeds: [1]\n").runs().get(0).config();
        PretrainConfig flat = read("base: {lr: 0.05, loss: dcl, monitor_bounds: false}\nseeds: [1]\n").runs().get(0)
                .config();
        assertThat(nested).isEqualTo(flat);
        assertThat(nested.optimizer().lr()).isEqualTo(0.05);
        assertThatThrownBy(() -> read("base: {optimizer.rate: 0.05}\nseeds: [1]\n"))
                .isInstanceOf(BalconException.class).hasMessageContaining("unknown key 'optimizer.rate'");
    }

    @Test
    void aFileWithoutGridOrCellsIsOneCellAndProtocolDefaultsAreTheVerbs() throws Exception {
        ExperimentFile experiment = read("base: {monitor_bounds: true, crop_scale: [0.3, 0.9], epochs: 5}\nseeds: [1]\n");
        assertThat(experiment.cells()).extracting(ExperimentFile.Cell::name).containsExactly("base");
        PretrainConfig config = experiment.runs().get(0).config();
        assertThat(config.monitor().bounds()).isTrue();
        assertThat(config.augmentation().cropScaleMin()).isEqualTo(0.3);
        assertThat(config.augmentation().cropScaleMax()).isEqualTo(0.9);
        assertThat(experiment.evaluate()).containsExactly("knn");
        assertThat(config.shards()).isEqualTo(1);
        assertThat(read("base: {shards: 4, batch_size: 16}\nseeds: [1]\n").runs().get(0).config().shards())
                .isEqualTo(4);
        assertThat(experiment.protocol()).isEqualTo(ExperimentFile.Protocol.defaults());
        assertThat(experiment.protocol().knnK()).isEqualTo(200);
    }

    @Test
    void everyBooleanOptionCanBeSetBothWays() {
        // Booleans become --flag / --no-flag; a new boolean option without a negated form and default true would fail.
        for (String key : CONFIGS.keys()) {
            // --balanced-twin only means something next to a long-tailed profile
            Map<String, JsonNode> on = new java.util.HashMap<>(Map.of(key, BooleanNode.TRUE));
            Map<String, JsonNode> off = new java.util.HashMap<>(Map.of(key, BooleanNode.FALSE));
            if (key.equals("balanced_twin")) {
                on.put("class_profile", com.fasterxml.jackson.databind.node.TextNode.valueOf("exp"));
                off.put("class_profile", com.fasterxml.jackson.databind.node.TextNode.valueOf("exp"));
            }
            PretrainConfig whenOn;
            try {
                whenOn = CONFIGS.create(on);
            } catch (RunConfigFactory.InvalidSetting notBoolean) {
                assertThat(notBoolean.getMessage()).doesNotContain("true or false");
                continue;
            }
            assertThat(CONFIGS.create(off)).as(key).isNotEqualTo(whenOn);
        }
    }

    @Test
    void commandLineOverridesChangeSharedSettingsAndTheProtocol() throws Exception {
        Path file = dir.resolve("exp.yaml");
        Files.writeString(file, "base: {epochs: 5}\ngrid: {lr: [0.1, 0.2]}\nseeds: [0, 1, 2]\n");
        ExperimentFile experiment = ExperimentFile.read(file, CONFIGS,
                List.of("epochs=1", "train_limit=512", "seeds=[0]", "protocol.knn_k=7"));
        assertThat(experiment.runs()).hasSize(2);
        assertThat(experiment.runs().get(1).config().epochs()).isEqualTo(1);
        assertThat(experiment.runs().get(1).config().data().trainLimit()).isEqualTo(512);
        assertThat(experiment.runs().get(1).config().optimizer().lr()).isEqualTo(0.2);
        assertThat(experiment.protocol().knnK()).isEqualTo(7);
        assertThat(experiment.text()).startsWith("# " + file + " with --set epochs=1");
        assertThatThrownBy(() -> ExperimentFile.read(file, CONFIGS, List.of("lr=0.5")))
                .isInstanceOf(BalconException.class).hasMessageContaining("--set lr").hasMessageContaining("cells");
        assertThatThrownBy(() -> ExperimentFile.read(file, CONFIGS, List.of("epochs")))
                .isInstanceOf(BalconException.class).hasMessageContaining("KEY=VALUE");
    }

    @Test
    void unknownKeysAreNamedWithTheirLine() {
        assertThat(error("seeds: [0]\ngrids: {alpha: [1]}\n")).contains("bad.yaml:2: grids: unknown key")
                .contains("expected one of [description");
        assertThat(error("seeds: [0]\nbase:\n  epochs: 2\n  learning_rate: 0.1\n"))
                .contains("bad.yaml:4: base.learning_rate: unknown key 'learning_rate'").contains("lr");
        assertThat(error("seeds: [0]\ncells:\n  - name: a\n    lr: 0.1\n  - name: b\n    temperature: 2\n"))
                .contains("bad.yaml:6: cells[1].temperature: unknown key");
        assertThat(error("seeds: [0]\nprotocol: {knn_k: 10, knn_t: 0.5}\n")).contains("protocol.knn_t: unknown key");
        assertThat(error("seeds: [0]\nevaluate: [knn, probe]\n")).contains("bad.yaml:2: evaluate[1]: expected one of");
        assertThat(error("seeds: [0]\nbase: {seed: 3}\n")).contains("base.seed").contains("'seeds'");
        assertThat(error("seeds: [0]\nbase: {epochs: 1}\nbase: {epochs: 2}\n")).contains("bad.yaml:3").contains("base");
    }

    @Test
    void emptyGridsAndMissingSeedsAreErrors() {
        assertThat(error("seeds: [0]\ngrid: {}\n")).contains("bad.yaml:2: grid: expected a non-empty mapping");
        assertThat(error("seeds: [0]\ngrid:\n")).contains("grid: expected a non-empty mapping");
        assertThat(error("seeds: [0]\ngrid:\n  alpha: []\n")).contains("bad.yaml:3: grid.alpha: expected a non-empty list");
        assertThat(error("seeds: [0]\ngrid:\n  alpha: 2\n")).contains("grid.alpha: expected a non-empty list");
        assertThat(error("seeds: [0]\ngrid:\n  alpha: [2, 2]\n")).contains("grid.alpha[1]: the value 2 appears twice");
        assertThat(error("seeds: [0]\ncells: []\n")).contains("cells: expected a non-empty list");
        assertThat(error("base: {epochs: 1}\n")).contains("missing key 'seeds'");
        assertThat(error("seeds: []\n")).contains("seeds: expected a non-empty list");
        assertThat(error("seeds: [0, -1]\n")).contains("seeds[1]: expected integer seeds >= 0");
        assertThat(error("seeds: [0]\ncells:\n  - {lr: 0.1}\n")).contains("cells[0]: expected a name");
        assertThat(error("seeds: [0]\ncells:\n  - {name: a b}\n")).contains("cells[0].name: expected a name");
        assertThat(error("seeds: [0]\ncells:\n  - {name: a}\n  - {name: a, lr: 0.1}\n"))
                .contains("bad.yaml:4: cells[1].name: two cells are called 'a'");
    }

    @Test
    void valuesOfTheWrongTypeAreNamed() {
        assertThat(error("seeds: [0]\nbase:\n  epochs: three\n"))
                .contains("bad.yaml:3: base.epochs: expected an integer, got 'three' (text)");
        assertThat(error("seeds: [0]\nbase:\n  epochs: 2.5\n")).contains("base.epochs: expected an integer, got 2.5");
        assertThat(error("seeds: [0]\nbase: {loss: balanced}\ngrid:\n  alpha: [1, fast]\n"))
                .contains("bad.yaml:4: grid.alpha[1]: expected a number, got 'fast' (text)");
        assertThat(error("seeds: [0]\nbase: {recipe: 3}\n")).contains("base.recipe: expected text, got 3");
        assertThat(error("seeds: [0]\nbase: {monitor_bounds: yes please}\n")).contains("base.monitor_bounds: expected true or false");
        assertThat(error("seeds: [0]\nbase: {crop_scale: 0.5}\n")).contains("base.crop_scale: expected a list of number");
        assertThat(error("seeds: [0]\nprotocol:\n  knn_k: 2.5\n")).contains("bad.yaml:3: protocol.knn_k: expected an integer");
        assertThat(error("seeds: [0]\ndescription: [a, b]\n")).contains("description: expected text");
        assertThat(error("seeds: [0]\nbase: [epochs, 2]\n")).contains("base: expected a mapping of settings");
    }

    @Test
    void valuesTheOptionsRejectPointAtTheKeyThatSetThem() {
        assertThat(error("seeds: [0]\nbase:\n  epochs: 0\n")).contains("bad.yaml:3: base.epochs:")
                .contains("--epochs must be >= 1, got 0");
        assertThat(error("seeds: [0]\nbase: {loss: balanced}\ngrid:\n  alpha: [1, -2]\n"))
                .contains("bad.yaml:4: grid.alpha[1]: cell 'alpha=-2', seed 0:").contains("alpha");
        assertThat(error("seeds: [0]\ncells:\n  - {name: a, loss: nt_xent, lambda: 2}\n"))
                .contains("bad.yaml:3: cells[0].lambda:").contains("--lambda");
        assertThat(error("seeds: [0]\nbase: {recipe: simclr-sparkles}\n")).contains("base.recipe")
                .contains("simclr-sparkles");
        assertThat(error("seeds: [0]\nprotocol: {knn_temperature: 0}\n"))
                .contains("protocol.knn_temperature: must be a finite number > 0, got 0.0");
        assertThat(error("seeds: [0]\nprotocol: {bias_views: 0}\n")).contains("protocol.bias_views");
        assertThat(error("seeds: [0]\nprotocol: {bias_recipe: nope}\n")).contains("protocol.bias_recipe");
    }

    @Test
    void pathsThatDoNotExistAreNamed() {
        assertThat(error("seeds: [0]\nbase:\n  data: " + dir.resolve("nowhere") + "\n"))
                .contains("bad.yaml:3: base.data: the path " + dir.resolve("nowhere") + " does not exist");
        assertThatThrownBy(() -> ExperimentFile.read(dir.resolve("missing.yaml"), CONFIGS))
                .isInstanceOf(BalconException.class).hasMessageContaining("missing.yaml does not exist");
        assertThat(error("seeds: [0\n")).contains("not valid YAML");
    }

    @Test
    void theProtocolShowsTheLossValuesEachRunUsedNotDefault() throws Exception {
        ExperimentFile sameLoss = read("""
                base: {loss: nt_xent, width: 8, epochs: 1}
                grid:
                  batch_size: [16, 32]
                seeds: [0]
                """);
        String shared = dev.balcon.sweep.SweepResults.protocol(sameLoss).get(1);
        assertThat(shared).doesNotContain("tau=default", "alpha=default", "lambda=default", "nu=default",
                        "scaleByInvAlpha=default")
                .contains("tau=0.5 (nt_xent default)", "alpha=2 (1/tau)", "lambda=1 (nt_xent default)");

        // both leave tau unset, but the two presets use different values: tau is set per cell, not shared
        ExperimentFile twoLosses = read("""
                base: {width: 8, epochs: 1}
                cells:
                  - {name: simclr, loss: nt_xent}
                  - {name: balanced, loss: balanced}
                seeds: [0]
                """);
        List<String> protocol = dev.balcon.sweep.SweepResults.protocol(twoLosses);
        assertThat(protocol.get(1)).doesNotContain("tau=", "alpha=", "lambda=");
        assertThat(protocol.get(2)).contains("tau", "alpha", "lambda", "scaleByInvAlpha");
    }

    @Test
    void theProtocolSaysWhenTheValidationPartReplacesTheTestSplit() throws Exception {
        String plain = String.join("\n", dev.balcon.sweep.SweepResults.protocol(read("""
                base: {width: 8, epochs: 1}
                seeds: [0]
                evaluate: [knn, linear]
                """)));
        assertThat(plain).contains("queries: the test split", "tested on the test split");
        String validated = String.join("\n", dev.balcon.sweep.SweepResults.protocol(read("""
                base: {width: 8, epochs: 1, validation_fraction: 0.2}
                seeds: [0]
                evaluate: [knn, linear]
                """)));
        assertThat(validated).contains("queries: the validation part of the training split (validationFraction=0.2; "
                + "the test split is not used)").doesNotContain("tested on the test split");
    }
}
