package dev.balcon.retrieval;

import dev.balcon.InvalidField;
import dev.balcon.inference.EmbeddingFile;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.balcon.BalconException;
import dev.balcon.Progress;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.lucene912.Lucene912Codec;
import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsFormat;
import org.apache.lucene.codecs.lucene99.Lucene99ScalarQuantizedVectorsFormat;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.index.CodecReader;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.store.FSDirectory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;

/**
 * An approximate nearest-neighbour index over an {@link EmbeddingFile}: Lucene's HNSW graph
 * ({@code KnnFloatVectorField}, dot product of L2-normalised vectors, i.e. cosine similarity) in a Lucene index
 * directory, one document per row holding the vector and its row number. {@code index.json} beside it records the
 * embeddings it was built from (rows, dim, the .npy's size and modification time) and the graph parameters.
 * Search returns the graph's candidates re-scored exactly from the embeddings file, so similarities are exact and
 * only the set of neighbours is approximate.
 */
public final class HnswIndex implements AutoCloseable {
    /** Lucene's default maximum number of connections per graph node. */
    public static final int DEFAULT_MAX_CONNECTIONS = Lucene99HnswVectorsFormat.DEFAULT_MAX_CONN;
    /** Lucene's default candidate list size while building. */
    public static final int DEFAULT_BEAM_WIDTH = Lucene99HnswVectorsFormat.DEFAULT_BEAM_WIDTH;
    static final String MANIFEST = "index.json";
    private static final String FORMAT = "balcon-hnsw-index";
    private static final int FORMAT_VERSION = 1;
    private static final String VECTOR = "vector";
    private static final String ROW = "row";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path directory;
    private final FSDirectory lucene;
    private final DirectoryReader reader;
    private final IndexSearcher searcher;
    private final EmbeddingFile embeddings;

    private HnswIndex(Path directory, FSDirectory lucene, DirectoryReader reader, EmbeddingFile embeddings) {
        this.directory = directory;
        this.lucene = lucene;
        this.reader = reader;
        this.searcher = new IndexSearcher(reader);
        this.embeddings = embeddings;
    }

    /**
     * Builds the index of every row of {@code embeddings} in {@code out}, written in a hidden sibling directory and
     * renamed into place at the end (an earlier index in {@code out} is replaced; any other non-empty {@code out}
     * is refused).
     *
     * <p>Two steps, so that the graph can be built on several threads: the rows are first written as Lucene
     * documents in a flat vector format (no graph; a hidden {@code .vectors} sibling, deleted at the end), then
     * one merge of those segments into a single new segment builds the graph from scratch, on {@code threads}
     * threads (Lucene's {@code HnswConcurrentMergeBuilder}; one thread: its {@code HnswGraphBuilder}). Indexing
     * the rows straight into the HNSW format would build a graph per in-memory segment, which the final merge
     * throws away but for the largest.
     *
     * @param maxConnections maximum graph neighbours per node (Lucene's M), in [1, 512]
     * @param beamWidth      candidates considered while inserting (efConstruction), in [1, 3200]
     * @param threads        threads that build the graph, >= 1; with more than one the graph may depend on their
     *                       timing (recall@10 0.9885 to 0.9975 against 0.9940 on one thread, 200,000 synthetic
     *                       vectors: docs/inference.md)
     * @throws BalconException if {@code threads} is below 1, {@code out} holds something else, or a vector is all
     *                         zeros or not finite
     */
    public static void build(EmbeddingFile embeddings, Path out, int maxConnections, int beamWidth, int threads) {
        if (threads < 1) {
            throw new BalconException("threads must be >= 1, got " + threads);
        }
        Path target = out.toAbsolutePath().normalize();
        if (Files.exists(target) && !isIndex(target) && !isEmptyDirectory(target)) {
            throw new BalconException("index directory " + out + " exists and holds something other than a balcon "
                    + "index; give a new or empty directory");
        }
        Path temporary = target.resolveSibling("." + target.getFileName() + ".building");
        Path flat = target.resolveSibling("." + target.getFileName() + ".vectors");
        ExecutorService pool = threads > 1 ? Executors.newFixedThreadPool(threads) : null;
        try {
            deleteTree(temporary);
            deleteTree(flat);
            Files.createDirectories(temporary);
            Files.createDirectories(flat);
            long rows = embeddings.rows();
            int dim = embeddings.dim();
            try (Progress.Task bar = Progress.current().start("index", rows)) {
                try (FSDirectory directory = FSDirectory.open(flat);
                     IndexWriter writer = new IndexWriter(directory,
                             writerConfig(new Lucene99ScalarQuantizedVectorsFormat()))) {
                    addRows(writer, embeddings, bar);
                    writer.commit();
                }
                bar.message(" building the graph on " + threads + (threads == 1 ? " thread" : " threads"));
                try (FSDirectory flatDirectory = FSDirectory.open(flat);
                     DirectoryReader vectors = DirectoryReader.open(flatDirectory);
                     FSDirectory directory = FSDirectory.open(temporary);
                     IndexWriter writer = new IndexWriter(directory, writerConfig(
                             new Lucene99HnswVectorsFormat(maxConnections, beamWidth, threads, pool)))) {
                    // one merge of all segments: none has a graph to start from, so the graph is built from scratch
                    writer.addIndexes(vectors.leaves().stream().map(leaf -> (CodecReader) leaf.reader())
                            .toArray(CodecReader[]::new));
                    writer.commit();
                }
            }
            ObjectNode manifest = JSON.createObjectNode()
                    .put("format", FORMAT).put("format_version", FORMAT_VERSION)
                    .put("embeddings", embeddings.npyFile().toAbsolutePath().normalize().toString())
                    .put("rows", rows).put("dim", dim)
                    .put("npy_bytes", Files.size(embeddings.npyFile()))
                    .put("npy_modified_millis", Files.getLastModifiedTime(embeddings.npyFile()).toMillis())
                    .put("similarity", "cosine (dot product of L2-normalised vectors)")
                    .put("max_connections", maxConnections).put("beam_width", beamWidth)
                    .put("library", "lucene-core " + org.apache.lucene.util.Version.LATEST);
            JSON.writerWithDefaultPrettyPrinter().writeValue(temporary.resolve(MANIFEST).toFile(), manifest);
            if (Files.exists(target)) {
                deleteTree(target);
            }
            Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot build the index in " + out, e);
        } catch (IllegalArgumentException e) {
            throw new BalconException("cannot index " + embeddings.npyFile() + ": " + e.getMessage(), e);
        } finally {
            if (pool != null) {
                pool.shutdownNow();
            }
            try {
                deleteTree(temporary);
                deleteTree(flat);
            } catch (IOException ignored) {
                // a stray hidden build directory is harmless; the next build deletes it
            }
        }
    }

    /** A writer of few large segments whose vector field is stored in {@code format}. */
    private static IndexWriterConfig writerConfig(KnnVectorsFormat format) {
        return new IndexWriterConfig()
                .setCodec(new Lucene912Codec() {
                    @Override
                    public KnnVectorsFormat getKnnVectorsFormatForField(String field) {
                        return format;
                    }
                })
                .setRAMBufferSizeMB(Math.max(64, Math.min(1024, Runtime.getRuntime().maxMemory() / 4 / (1 << 20))))
                .setUseCompoundFile(false);
    }

    /** Adds every row as a document: its unit vector and its row number. */
    private static void addRows(IndexWriter writer, EmbeddingFile embeddings, Progress.Task bar) throws IOException {
        long rows = embeddings.rows();
        int dim = embeddings.dim();
        float[] block = new float[ExactSearch.DEFAULT_BLOCK_ROWS * dim];
        for (long from = 0; from < rows; from += ExactSearch.DEFAULT_BLOCK_ROWS) {
            int count = (int) Math.min(ExactSearch.DEFAULT_BLOCK_ROWS, rows - from);
            embeddings.block(from, count).get(block, 0, count * dim);
            for (int r = 0; r < count; r++) {
                float[] vector = new float[dim];
                System.arraycopy(block, r * dim, vector, 0, dim);
                Document document = new Document();
                document.add(new KnnFloatVectorField(VECTOR, unit(vector, embeddings, from + r),
                        VectorSimilarityFunction.DOT_PRODUCT));
                document.add(new StoredField(ROW, from + r));
                writer.addDocument(document);
                bar.step();
            }
        }
    }

    /**
     * Opens an index built by {@link #build} for searching {@code embeddings}, the file it was built from.
     *
     * @throws BalconException if {@code dir} is not such an index, or was built from embeddings of another shape or
     *                         an older or newer version of the file
     */
    public static HnswIndex open(Path dir, EmbeddingFile embeddings) {
        Path manifestFile = dir.resolve(MANIFEST);
        if (!Files.isRegularFile(manifestFile)) {
            throw new BalconException("index directory " + dir + " has no " + MANIFEST
                    + ": expected a directory written by 'balcon index'");
        }
        JsonNode manifest;
        try {
            manifest = JSON.readTree(manifestFile.toFile());
        } catch (IOException e) {
            throw new BalconException("index file " + manifestFile + " is not valid JSON: " + e.getMessage(), e);
        }
        if (!FORMAT.equals(manifest.path("format").asText()) || manifest.path("format_version").asInt() != FORMAT_VERSION) {
            throw new BalconException("index file " + manifestFile + " is not a " + FORMAT + " of version "
                    + FORMAT_VERSION);
        }
        try {
            long npyBytes = Files.size(embeddings.npyFile());
            long modified = Files.getLastModifiedTime(embeddings.npyFile()).toMillis();
            if (manifest.path("rows").asLong() != embeddings.rows() || manifest.path("dim").asInt() != embeddings.dim()
                    || manifest.path("npy_bytes").asLong() != npyBytes
                    || manifest.path("npy_modified_millis").asLong() != modified) {
                throw new BalconException("index " + dir + " was built from " + manifest.path("embeddings").asText()
                        + " (" + manifest.path("rows").asLong() + " x " + manifest.path("dim").asInt() + "), not from "
                        + embeddings.npyFile() + " as it is now (" + embeddings.rows() + " x " + embeddings.dim()
                        + "): rebuild it with 'balcon index'");
            }
            FSDirectory lucene = FSDirectory.open(dir);
            try {
                return new HnswIndex(dir, lucene, DirectoryReader.open(lucene), embeddings);
            } catch (IOException | RuntimeException e) {
                lucene.close();
                throw e;
            }
        } catch (IOException e) {
            throw new BalconException("index " + dir + " cannot be read: " + e.getMessage(), e);
        }
    }

    /** The index directory. */
    public Path directory() {
        return directory;
    }

    /**
     * The approximately {@code k} most similar vectors to {@code query}, best first, with exact similarities.
     *
     * @param k          as for {@link ExactSearch#search}
     * @param excludeRow a row left out of the results, or -1
     * @param candidates graph candidates explored (HNSW's ef), at least {@code k}; more raises recall and cost
     * @throws InvalidField    naming the parameter {@code k} if it is out of range
     * @throws BalconException if the query has another length than the vectors
     */
    public List<Neighbor> search(float[] query, int k, long excludeRow, int candidates) {
        ExactSearch.requireQuery(embeddings, query, k, excludeRow);
        float[] unit = ExactSearch.normalized(query);
        int asked = Math.max(k, candidates) + (excludeRow >= 0 ? 1 : 0);
        try {
            ScoreDoc[] hits = searcher.search(new KnnFloatVectorQuery(VECTOR, unit, asked), asked).scoreDocs;
            StoredFields stored = searcher.storedFields();
            List<Neighbor> found = new ArrayList<>(hits.length);
            for (ScoreDoc hit : hits) {
                long row = stored.document(hit.doc).getField(ROW).numericValue().longValue();
                if (row != excludeRow) {
                    float[] vector = embeddings.vector(row);
                    found.add(new Neighbor(row, ExactSearch.cosine(unit, vector, 0)));
                }
            }
            found.sort(ExactSearch.BEST_FIRST);
            return found.subList(0, Math.min(k, found.size()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot search " + directory, e);
        }
    }

    @Override
    public void close() {
        try (FSDirectory closing = lucene) {
            reader.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close " + directory, e);
        }
    }

    private static float[] unit(float[] vector, EmbeddingFile embeddings, long row) {
        double norm = 0;
        for (float v : vector) {
            if (!Float.isFinite(v)) {
                throw new BalconException("row " + row + " of " + embeddings.npyFile() + " is not finite");
            }
            norm += (double) v * v;
        }
        if (norm == 0) {
            throw new BalconException("row " + row + " of " + embeddings.npyFile()
                    + " is all zeros: it has no direction to index by cosine similarity");
        }
        return ExactSearch.normalized(vector);
    }

    private static boolean isIndex(Path dir) {
        return Files.isRegularFile(dir.resolve(MANIFEST));
    }

    private static boolean isEmptyDirectory(Path dir) {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (Stream<Path> children = Files.list(dir)) {
            return children.findAny().isEmpty();
        } catch (IOException e) {
            return false;
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }
}
