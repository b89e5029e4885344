package dev.balcon.retrieval;

import dev.balcon.inference.EmbeddingFile;
import dev.balcon.BalconException;
import dev.balcon.inference.EmbeddingWriter;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.store.FSDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class HnswIndexTest {
    @TempDir
    Path dir;

    /** The graph is built in one merge, by Lucene's single-threaded builder or by its concurrent one. */
    @ParameterizedTest(name = "{0} threads")
    @ValueSource(ints = {1, 2, 3})
    void recallAtTenAgainstExactSearchIsHighOnClusteredVectors(int threads) throws IOException {
        Path base = dir.resolve("clustered");
        ClusteredVectors.write(base, 3000, 32, 30, 0.35f, 5);
        try (EmbeddingFile file = EmbeddingFile.open(base)) {
            Path indexDir = dir.resolve("index");
            HnswIndex.build(file, indexDir, 16, 100, threads);
            assertThat(indexDir.resolve("index.json")).isRegularFile();
            assertThat(dir.resolve(".index.building")).doesNotExist();
            assertThat(dir.resolve(".index.vectors")).doesNotExist();
            // one segment, so a query searches one graph
            try (FSDirectory lucene = FSDirectory.open(indexDir); DirectoryReader reader = DirectoryReader.open(lucene)) {
                assertThat(reader.leaves()).hasSize(1);
                assertThat(reader.maxDoc()).isEqualTo(3000);
            }
            double recall = 0;
            int queries = 50;
            try (HnswIndex index = HnswIndex.open(indexDir, file)) {
                for (int q = 0; q < queries; q++) {
                    long row = q * 59L;
                    List<Neighbor> exact = ExactSearch.search(file, file.vector(row), 10, row, 1000);
                    List<Neighbor> approximate = index.search(file.vector(row), 10, row, 100);
                    assertThat(approximate).hasSize(10).extracting(Neighbor::row).doesNotContain(row);
                    recall += NeighborsBenchmark.overlap(exact, approximate) / 10.0;
                    // similarities are exact re-scores, best first
                    for (int i = 1; i < approximate.size(); i++) {
                        assertThat(approximate.get(i).similarity()).isLessThanOrEqualTo(approximate.get(i - 1).similarity());
                    }
                    if (approximate.get(0).row() == exact.get(0).row()) {
                        assertThat(approximate.get(0).similarity()).isCloseTo(exact.get(0).similarity(), within(1e-6f));
                    }
                }
            }
            assertThat(recall / queries).isGreaterThanOrEqualTo(0.95);
            // every row is in the index exactly once, whichever thread added it
            try (HnswIndex index = HnswIndex.open(indexDir, file)) {
                for (long row : new long[] {0, 999, 1000, 1999, 2000, 2999}) {
                    assertThat(index.search(file.vector(row), 1, -1, 100).get(0).row()).isEqualTo(row);
                }
            }
        }
    }

    @Test
    void threadsBelowOneAreRefused() {
        ClusteredVectors.write(dir.resolve("a"), 20, 4, 2, 0.3f, 1);
        try (EmbeddingFile file = EmbeddingFile.open(dir.resolve("a"))) {
            assertThatThrownBy(() -> HnswIndex.build(file, dir.resolve("index"), 16, 100, 0))
                    .isInstanceOf(BalconException.class).hasMessage("threads must be >= 1, got 0");
            assertThat(dir.resolve("index")).doesNotExist();
        }
    }

    @Test
    void anIndexOfOtherEmbeddingsOrNoIndexIsRefused() throws IOException {
        ClusteredVectors.write(dir.resolve("a"), 200, 8, 4, 0.3f, 1);
        ClusteredVectors.write(dir.resolve("b"), 201, 8, 4, 0.3f, 2);
        Path indexDir = dir.resolve("index-a");
        try (EmbeddingFile a = EmbeddingFile.open(dir.resolve("a")); EmbeddingFile b = EmbeddingFile.open(dir.resolve("b"))) {
            HnswIndex.build(a, indexDir, 16, 100, 1);
            assertThatThrownBy(() -> HnswIndex.open(indexDir, b)).isInstanceOf(BalconException.class)
                    .hasMessageContaining("was built from").hasMessageContaining("rebuild it with 'balcon index'");
            assertThatThrownBy(() -> HnswIndex.open(dir, a)).isInstanceOf(BalconException.class)
                    .hasMessageContaining("has no index.json");
            // an index is replaced by a new build; another directory is refused untouched
            HnswIndex.build(b, indexDir, 16, 100, 1);
            HnswIndex.open(indexDir, b).close();
            Path other = Files.createDirectories(dir.resolve("other"));
            Files.writeString(other.resolve("notes.txt"), "mine");
            assertThatThrownBy(() -> HnswIndex.build(a, other, 16, 100, 1)).isInstanceOf(BalconException.class)
                    .hasMessageContaining("holds something other than a balcon index");
            assertThat(other.resolve("notes.txt")).hasContent("mine");
        }
    }

    @ParameterizedTest(name = "{0} threads")
    @ValueSource(ints = {1, 2})
    void aZeroVectorCannotBeIndexedByCosine(int threads) {
        Path base = dir.resolve("z");
        try (EmbeddingWriter writer = new EmbeddingWriter(base, 4, 2)) {
            writer.append(new float[] {1, 0}, "a", "train", null);
            writer.append(new float[] {1, 1}, "b", "train", null);
            writer.append(new float[] {0, 0}, "c", "train", null);
            writer.append(new float[] {0, 1}, "d", "train", null);
            writer.commit();
        }
        try (EmbeddingFile file = EmbeddingFile.open(base)) {
            assertThatThrownBy(() -> HnswIndex.build(file, dir.resolve("index"), 16, 100, threads))
                    .isInstanceOf(BalconException.class).hasMessageContaining("row 2 of").hasMessageContaining("all zeros");
            assertThat(dir.resolve("index")).doesNotExist();
            assertThat(dir.resolve(".index.building")).doesNotExist();
            assertThat(dir.resolve(".index.vectors")).doesNotExist();
        }
    }
}
