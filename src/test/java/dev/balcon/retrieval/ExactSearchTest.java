package dev.balcon.retrieval;

import dev.balcon.inference.EmbeddingFile;
import dev.balcon.BalconException;
import dev.balcon.InvalidField;
import dev.balcon.inference.EmbeddingWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class ExactSearchTest {
    @TempDir
    Path dir;

    /** Writes the vectors with ids v0, v1, ... */
    private EmbeddingFile write(float[][] vectors) {
        Path base = dir.resolve("e" + vectors.length + "-" + vectors[0].length);
        try (EmbeddingWriter writer = new EmbeddingWriter(base, vectors.length, vectors[0].length)) {
            for (int i = 0; i < vectors.length; i++) {
                writer.append(vectors[i], "v" + i, "train", "c" + i % 3);
            }
            writer.commit();
        }
        return EmbeddingFile.open(base);
    }

    /** All rows scored with double-precision cosine, best first, lower row first on ties. */
    private static List<Neighbor> bruteForce(float[][] vectors, float[] query, int k, long exclude) {
        double queryNorm = 0;
        for (float q : query) {
            queryNorm += q * q;
        }
        List<Neighbor> all = new ArrayList<>();
        for (int row = 0; row < vectors.length; row++) {
            if (row == exclude) {
                continue;
            }
            double dot = 0;
            double norm = 0;
            for (int j = 0; j < query.length; j++) {
                dot += query[j] * vectors[row][j];
                norm += vectors[row][j] * vectors[row][j];
            }
            all.add(new Neighbor(row, norm == 0 ? 0 : (float) (dot / Math.sqrt(norm * queryNorm))));
        }
        all.sort(Comparator.comparingDouble((Neighbor n) -> -n.similarity()).thenComparingLong(Neighbor::row));
        return all.subList(0, k);
    }

    private static float[][] random(int n, int dim, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[][] vectors = new float[n][dim];
        for (float[] vector : vectors) {
            for (int j = 0; j < dim; j++) {
                vector[j] = (float) (random.nextDouble() * 2 - 1);
            }
        }
        return vectors;
    }

    @Test
    void findsTheBruteForceNeighboursWhateverTheBlockSize() {
        float[][] vectors = random(2600, 17, 1);
        try (EmbeddingFile file = write(vectors)) {
            for (int q = 0; q < 5; q++) {
                float[] query = random(1, 17, 100 + q)[0];
                List<Neighbor> expected = bruteForce(vectors, query, 12, -1);
                for (int blockRows : new int[] {1, 7, 64, 1023, 1025, 2599, 2600, 65_536}) {
                    List<Neighbor> found = ExactSearch.search(file, query, 12, -1, blockRows);
                    assertThat(found).extracting(Neighbor::row).as("block " + blockRows)
                            .containsExactlyElementsOf(expected.stream().map(Neighbor::row).toList());
                    for (int i = 0; i < found.size(); i++) {
                        assertThat(found.get(i).similarity()).isCloseTo(expected.get(i).similarity(), within(1e-5f));
                    }
                }
            }
        }
    }

    @Test
    void tiesGoToTheLowerRowAndTheQueryRowIsLeftOut() {
        // rows 1, 4, 6, 9 are the same direction (row 9 twice as long): all have cosine 1 with row 4
        float[][] vectors = random(12, 5, 2);
        float[] direction = {0.5f, -1, 2, 0, 1};
        for (int row : new int[] {1, 4, 6}) {
            vectors[row] = direction.clone();
        }
        vectors[9] = new float[] {1, -2, 4, 0, 2};
        vectors[3] = new float[5]; // a zero vector: similarity 0
        try (EmbeddingFile file = write(vectors)) {
            for (int blockRows : new int[] {1, 2, 5, 12}) {
                List<Neighbor> found = ExactSearch.search(file, file.vector(4), 3, 4, blockRows);
                assertThat(found).extracting(Neighbor::row).containsExactly(1L, 6L, 9L);
                assertThat(found).allSatisfy(n -> assertThat(n.similarity()).isCloseTo(1f, within(1e-6f)));
            }
            List<Neighbor> all = ExactSearch.search(file, direction, 12, -1, 5);
            assertThat(all).extracting(Neighbor::row).startsWith(1L, 4L, 6L, 9L);
            assertThat(all.stream().filter(n -> n.row() == 3).findFirst().orElseThrow().similarity()).isZero();
            assertThat(all).isEqualTo(bruteForce(vectors, direction, 12, -1).stream()
                    .map(n -> all.stream().filter(m -> m.row() == n.row()).findFirst().orElseThrow()).toList());
        }
    }

    @Test
    void kMustFitTheVectorsAndTheQueryTheirLength() {
        try (EmbeddingFile file = write(random(6, 4, 3))) {
            assertThatThrownBy(() -> ExactSearch.search(file, new float[4], 7, -1, 64))
                    .isInstanceOf(InvalidField.class).hasMessageContaining("k must be in [1, 6]")
                    .hasMessageContaining("holds 6 vectors").hasMessageContaining("got 7");
            assertThatThrownBy(() -> ExactSearch.search(file, new float[4], 6, 2, 64))
                    .isInstanceOf(InvalidField.class).hasMessageContaining("k must be in [1, 5]");
            assertThatThrownBy(() -> ExactSearch.search(file, new float[4], 0, -1, 64))
                    .isInstanceOf(InvalidField.class).hasMessageContaining("k must be in [1, 6]");
            assertThatThrownBy(() -> ExactSearch.search(file, new float[3], 2, -1, 64))
                    .isInstanceOf(BalconException.class).hasMessageContaining("the query has 3 features")
                    .hasMessageContaining("have 4");
            assertThat(ExactSearch.search(file, file.vector(0), 6, -1, 64)).hasSize(6)
                    .first().satisfies(n -> assertThat(n.row()).isZero());
        }
    }
}
