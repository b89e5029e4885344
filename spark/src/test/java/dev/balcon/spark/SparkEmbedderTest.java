package dev.balcon.spark;

import dev.balcon.data.ImageDataset;
import dev.balcon.data.ImageFolder;
import dev.balcon.inference.EmbeddingFile;
import dev.balcon.inference.Embeddings;
import dev.balcon.inference.Encoder;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class SparkEmbedderTest {
    @TempDir
    Path dir;

    @Test
    void sparkEmbeddingsEqualTheCoresEmbedOnTheSameFolder() {
        Path train = TestFixtures.images().resolve("train");
        // the core's 'balcon embed --model M --dataset imagefolder --data train': vectors and ids in files
        Map<String, float[]> expected = new HashMap<>();
        Map<String, String> expectedLabels = new HashMap<>();
        try (Encoder encoder = Encoder.loadExport(TestFixtures.model(), false)) {
            ImageDataset images = ImageFolder.load(train, encoder.channels(), encoder.height(), encoder.width(), true);
            Embeddings.write(encoder, List.of(new Embeddings.Split("train", images, true)), dir.resolve("core"), false);
        }
        try (EmbeddingFile file = EmbeddingFile.open(dir.resolve("core"))) {
            Map<Long, EmbeddingFile.Record> records = file.records(java.util.stream.LongStream.range(0, file.rows()).toArray());
            records.values().forEach(record -> {
                expected.put(record.id(), file.vector(record.row()));
                expectedLabels.put(record.id(), record.label());
            });
        }
        assertThat(expected).hasSize(24);

        SparkEmbedder embedder = SparkEmbedder.create(TestFixtures.spark(), TestFixtures.model(),
                SparkEmbedder.Options.defaults().withBatchSize(5));
        Dataset<Row> input = SparkEmbedder.readImageFolder(TestFixtures.spark(), train.toString()).repartition(3);
        List<Row> rows = embedder.embed(input).collectAsList();

        assertThat(embedder.featureDim()).isEqualTo(32);
        assertThat(rows).hasSize(24);
        assertThat(embedder.skippedImages()).isZero();
        float largest = 0;
        for (Row row : rows) {
            String id = row.getString(0);
            assertThat(expected).containsKey(id);
            assertThat(row.getString(1)).isEqualTo(expectedLabels.get(id));
            List<Float> vector = row.getList(2);
            float[] reference = expected.get(id);
            assertThat(vector).hasSize(reference.length);
            for (int i = 0; i < reference.length; i++) {
                largest = Math.max(largest, Math.abs(vector.get(i) - reference[i]));
            }
        }
        assertThat(largest).isLessThanOrEqualTo(1e-5f);
    }
}
