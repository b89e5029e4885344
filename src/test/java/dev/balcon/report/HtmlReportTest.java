package dev.balcon.report;

import dev.balcon.train.PretrainConfig;
import dev.balcon.train.RunDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;

/** The configuration table of a run's report shows the values the run used, not "default"; a run's embedding map is shown. */
class HtmlReportTest {
    private static String pageOf(Path dir, PretrainConfig config) {
        RunDirectory run = new RunDirectory(dir);
        run.create();
        run.writeConfig(config);
        return HtmlReport.runPage(dir);
    }

    private static String row(String setting, String value) {
        String style = value.matches("-?[0-9][0-9.]*") ? " class=\"num\"" : "";
        return "<td>" + setting + "</td><td" + style + ">" + value + "</td>";
    }

    @Test
    void ntXentWithDefaultsShowsTheTemperatureAndTheFixedWeights(@TempDir Path dir) {
        String page = pageOf(dir, PretrainConfig.builder().loss("nt_xent").build());
        assertThat(page)
                .contains(row("tau", "0.5 (nt_xent default)"), row("alpha", "2 (1/tau)"),
                        row("lambda", "1 (nt_xent default)"), row("nu", "1 (nt_xent default)"),
                        row("scaleByInvAlpha", "false (nt_xent default)"));
    }

    @Test
    void balancedShowsGivenValuesAsTheyAreAndResolvesTheOthers(@TempDir Path dir) {
        String page = pageOf(dir, PretrainConfig.builder().loss("balanced").alpha(3.0).build());
        assertThat(page)
                .contains(row("alpha", "3.0"), row("tau", "0.333333 (1/alpha)"),
                        row("lambda", "2 (balanced default)"), row("nu", "1 (balanced default)"),
                        row("scaleByInvAlpha", "true (balanced default)"));
    }

    @Test
    void dclWithAGivenTau(@TempDir Path dir) {
        String page = pageOf(dir, PretrainConfig.builder().loss("dcl").tau(0.2).scaleByInvAlpha(true).build());
        assertThat(page).contains(row("tau", "0.2"), row("alpha", "5 (1/tau)"), row("lambda", "1 (dcl default)"),
                row("scaleByInvAlpha", "true"));
    }

    @Test
    void zeroesThatMeanADefaultAreSaidAndAProfilesParametersShowOnlyWithAProfile(@TempDir Path dir) {
        String page = pageOf(dir, PretrainConfig.builder().build());
        assertThat(page).contains(row("trainLimit", "all"), row("imageSize", "dataset default"),
                row("channels", "dataset default"), row("maxImagePixels", "89478485 (default)"))
                .doesNotContain("<td>rho</td>", "<td>profileMax</td>");

        String profiled = pageOf(dir.resolve("profiled"), PretrainConfig.builder().classProfile("exp").rho(10).build());
        assertThat(profiled).contains(row("rho", "10.0"), row("profileMax", "smallest class size"));
    }

    @Test
    void aVeryLargeDerivedAlphaIsWrittenShort(@TempDir Path dir) {
        String page = pageOf(dir, PretrainConfig.builder().loss("nt_xent").tau(1e-30).build());
        assertThat(page).contains(row("alpha", "1E+30 (1/tau)"));
    }

    @Test
    void aRunsEmbeddingMapIsEmbeddedWhenPresentAndOnlyThen(@TempDir Path dir) throws IOException {
        String without = pageOf(dir, PretrainConfig.builder().build());
        assertThat(without).doesNotContain("Embedding map");

        byte[] png = {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3};
        Files.write(dir.resolve(HtmlReport.EMBEDDING_MAP), png);
        String with = HtmlReport.runPage(dir);
        assertThat(with).contains("<h2>Embedding map</h2>")
                .contains("data:image/png;base64," + Base64.getEncoder().encodeToString(png));
    }
}
