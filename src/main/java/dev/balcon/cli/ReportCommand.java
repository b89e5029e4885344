package dev.balcon.cli;

import dev.balcon.report.HtmlReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "report", mixinStandardHelpOptions = true,
        description = "One self-contained HTML page (tables, plots embedded, no network, no script) for a sweep "
                + "directory (written by 'balcon sweep') or a run directory (written by 'balcon pretrain').")
final class ReportCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "DIR", description = "Sweep or run directory.")
    Path dir;

    @Option(names = "--out", paramLabel = "FILE", description = "HTML file to write (default: DIR/" + HtmlReport.FILE + ").")
    Path out;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        // A report reads what the runs stored: the dataset of a sweep made elsewhere need not be here.
        Path html = HtmlReport.write(dir, out != null ? out : dir.resolve(HtmlReport.FILE),
                new TrainingOptionsConfigs(false));
        spec.commandLine().getOut().println("wrote " + html);
        return 0;
    }
}
