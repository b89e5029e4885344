package dev.balcon.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.balcon.inference.InferenceRuns;
import dev.balcon.train.RunDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Arrays;

import static dev.balcon.cli.LinearCommandTest.balcon;
import static org.assertj.core.api.Assertions.assertThat;

/** --precision of the verbs that compute a trained encoder's features: knn, linear and embed. */
class EvaluationPrecisionCommandTest {

    @Test
    void knnAndLinearInBf16ShareTheirOwnCachedFeaturesAndRecordThePrecision(@TempDir Path dir) throws IOException {
        RunDirectory run = LinearCommandTest.tinyRun(dir).run();
        String runDir = run.root().toString();
        Path trainCache = run.root().resolve("features-train.bin");

        LinearCommandTest.Outcome fp32 = balcon("knn", "--run-dir", runDir, "--knn-k", "10", "--no-progress");
        assertThat(fp32.status()).as(fp32.err()).isZero();
        assertThat(fp32.out()).doesNotContain("bf16");
        // fp32 results are stored as before: no precision field
        assertThat(run.readResults().get("knn").has("precision")).isFalse();
        Object fp32Entry = identity(trainCache);

        LinearCommandTest.Outcome bf16 = balcon("knn", "--run-dir", runDir, "--knn-k", "10", "--precision", "bf16",
                "--floors", "--no-progress");
        assertThat(bf16.status()).as(bf16.err()).isZero();
        assertThat(bf16.out()).matches("(?s)k-NN top-1 \\d+\\.\\d\\d%  \\(weighted k-NN.*, features in bf16\\)\\n.*");
        JsonNode results = run.readResults();
        assertThat(results.get("knn").get("precision").asText()).isEqualTo("bf16");
        assertThat(results.get("knn").get("top1").asDouble()).isGreaterThan(0.75); // quadrants; chance 25%
        // the untrained encoder's floor is computed in the same precision; pixels have none
        assertThat(results.get("knn_random_init").get("precision").asText()).isEqualTo("bf16");
        assertThat(results.get("knn_pixels").has("precision")).isFalse();
        // the fp32 entry was not served to the bf16 request: recomputed and replaced
        Object bf16Entry = identity(trainCache);
        assertThat(bf16Entry).isNotEqualTo(fp32Entry);

        // linear in bf16 reads the bf16 entry knn left
        LinearCommandTest.Outcome linear = balcon("linear", "--run-dir", runDir, "--iterations", "20",
                "--precision", "BF16", "--no-progress");
        assertThat(linear.status()).as(linear.err()).isZero();
        assertThat(linear.out()).contains(", features in bf16)");
        assertThat(identity(trainCache)).isEqualTo(bf16Entry);
        assertThat(run.readResults().get("linear").get("precision").asText()).isEqualTo("bf16");

        // and back to fp32: recomputed, stored without the field, the same score as the first fp32 run
        LinearCommandTest.Outcome fp32Again = balcon("knn", "--run-dir", runDir, "--knn-k", "10", "--no-progress");
        assertThat(fp32Again.status()).as(fp32Again.err()).isZero();
        assertThat(fp32Again.out()).isEqualTo(fp32.out());
        assertThat(identity(trainCache)).isNotEqualTo(bf16Entry);
        assertThat(run.readResults().get("knn").has("precision")).isFalse();
    }

    @Test
    void embedInBf16WritesVectorsCloseToTheFp32OnesButNotEqual(@TempDir Path dir) throws IOException {
        Path run = InferenceRuns.train(dir, InferenceRuns.imageTree(dir), 1);
        LinearCommandTest.Outcome fp32 = balcon("embed", "--run-dir", run.toString(), "--split", "test",
                "--out", dir.resolve("fp32").toString(), "--no-progress");
        assertThat(fp32.status()).as(fp32.err()).isZero();
        assertThat(fp32.out()).contains("(32 features each)");
        LinearCommandTest.Outcome bf16 = balcon("embed", "--run-dir", run.toString(), "--split", "test",
                "--out", dir.resolve("bf16").toString(), "--no-progress", "--precision", "bf16");
        assertThat(bf16.status()).as(bf16.err()).isZero();
        assertThat(bf16.out()).contains("(32 features each, in bf16)");

        float[][] exact = InferenceCommandsTest.readNpy(dir.resolve("fp32.npy"));
        float[][] reduced = InferenceCommandsTest.readNpy(dir.resolve("bf16.npy"));
        assertThat(reduced).hasDimensions(12, 32);
        float[] a = flatten(exact);
        float[] b = flatten(reduced);
        double difference = 0;
        double norm = 0;
        for (int i = 0; i < a.length; i++) {
            difference += ((double) a[i] - b[i]) * ((double) a[i] - b[i]);
            norm += (double) a[i] * a[i];
        }
        // bfloat16 keeps 8 bits of mantissa: the features move a little; that they move at all shows bf16 ran
        assertThat(Math.sqrt(difference / norm)).isLessThan(0.05).isGreaterThan(1e-4);
        assertThat(Files.readAllLines(dir.resolve("bf16.csv"))).isEqualTo(Files.readAllLines(dir.resolve("fp32.csv")));
    }

    @Test
    void anUnknownPrecisionIsAOneLineUsageErrorOfEveryEvaluationVerb(@TempDir Path dir) {
        String run = dir.toString();
        for (String[] args : new String[][] {{"knn", "--run-dir", run}, {"linear", "--run-dir", run},
                {"embed", "--run-dir", run, "--out", run + "/e"}}) {
            String[] withPrecision = Arrays.copyOf(args, args.length + 2);
            withPrecision[args.length] = "--precision";
            withPrecision[args.length + 1] = "fp16";
            LinearCommandTest.Outcome outcome = balcon(withPrecision);
            assertThat(outcome.status()).as(outcome.err()).isEqualTo(Main.EXIT_USER_ERROR);
            assertThat(outcome.err().strip().lines()).hasSize(1);
            assertThat(outcome.err()).startsWith("balcon: ").doesNotContain("\tat ").doesNotContain("Exception")
                    .contains("--precision", "precision must be fp32 or bf16, got 'fp16'");
        }
        assertThat(dir.resolve("e.npy")).doesNotExist();
    }

    @Test
    void bf16WithPrecomputedEmbeddingsIsAUsageError(@TempDir Path dir) {
        LinearCommandTest.Outcome outcome = balcon("knn", "--embeddings", dir.resolve("e").toString(),
                "--precision", "bf16");
        assertThat(outcome.status()).isEqualTo(Main.EXIT_USER_ERROR);
        assertThat(outcome.err().strip().lines()).hasSize(1);
        assertThat(outcome.err()).contains("--precision bf16 computes the features of --run-dir");
    }

    @Test
    void helpShowsTheOptionAndItsDefault() {
        for (String verb : new String[] {"knn", "linear", "embed"}) {
            LinearCommandTest.Outcome help = balcon(verb, "--help");
            assertThat(help.status()).isZero();
            assertThat(help.out()).contains("--precision=<precision>").contains("default: fp32)");
        }
    }

    private static float[] flatten(float[][] rows) {
        float[] flat = new float[rows.length * rows[0].length];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, flat, i * rows[i].length, rows[i].length);
        }
        return flat;
    }

    /** The file's identity on disk: every atomic rewrite makes a new file. */
    private static Object identity(Path file) throws IOException {
        BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
        return attributes.fileKey() + "@" + attributes.lastModifiedTime();
    }
}
