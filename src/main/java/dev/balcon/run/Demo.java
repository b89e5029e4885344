package dev.balcon.run;

import dev.balcon.data.DatasetSplits;
import dev.balcon.data.Datasets;
import dev.balcon.eval.KnnClassifier;
import dev.balcon.eval.KnnResult;
import dev.balcon.model.Precision;
import dev.balcon.train.PretrainConfig;
import dev.balcon.train.PretrainResult;
import dev.balcon.train.RunDirectory;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The main job: a short pretraining, then k-NN of the learned encoder next to the two floors it must beat
 * (raw pixels, and the same encoder untrained), printed as a table and stored in results.json.
 */
public final class Demo {
    private Demo() {}

    public record Outcome(PretrainResult pretrain, KnnResult learned, KnnResult randomInit, KnnResult pixels) {}

    public static Outcome run(Path runDir, PretrainConfig config, boolean resume, KnnClassifier knn, PrintWriter out) {
        Datasets.requireEvaluationData(config.data());
        PretrainResult pretrain = PretrainRun.pretrain(runDir, config, resume, true, out);
        out.println(PretrainRun.summary(pretrain, runDir));
        RunDirectory run = new RunDirectory(runDir);
        PretrainConfig stored = run.readConfig();
        DatasetSplits splits = Datasets.evaluationSplits(stored.data());
        KnnResult pixels = Evaluation.knnOfPixels(splits, knn);
        KnnResult randomInit = Evaluation.knnOfRandomInit(stored, splits, knn, Precision.FP32);
        KnnResult learned = pretrain.diverged() ? null : Evaluation.knnOfRun(run, splits, knn, Precision.FP32);
        Map<String, Object> table = new LinkedHashMap<>();
        table.put("protocol", knn.protocolDescription());
        table.put("pixels_top1", pixels.top1());
        table.put("random_init_top1", randomInit.top1());
        table.put("pretrained_top1", learned == null ? null : learned.top1());
        run.putResult("demo", table);
        if (learned != null) {
            run.putResult("knn", learned);
        }
        out.println();
        String evaluatedOn = stored.data().evalData() != null ? stored.data().evalData() : stored.data().dataset();
        out.printf("k-NN top-1 on %s test (%s)%n", evaluatedOn, learned == null ? pixels.protocol() : learned.protocol());
        out.println("| features                                   | top-1   |");
        out.println("|--------------------------------------------|---------|");
        out.printf("| raw pixels (floor)                         | %6.2f%% |%n", 100 * pixels.top1());
        out.printf("| %-42s | %6.2f%% |%n", stored.model().arch() + " w" + stored.model().width() + ", random init (floor)", 100 * randomInit.top1());
        if (learned != null) {
            out.printf("| %-42s | %6.2f%% |%n", stored.model().arch() + " w" + stored.model().width() + ", " + stored.method().loss().preset() + ", "
                    + stored.epochs() + " epochs", 100 * learned.top1());
        } else {
            out.println("| pretrained                                 | diverged |");
        }
        return new Outcome(pretrain, learned, randomInit, pixels);
    }
}
