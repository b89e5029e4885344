package dev.balcon.spark;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.Iterator;
import java.util.NoSuchElementException;

/** Reads the files named by the lines of a list file (see {@link SparkEmbedder#readImageList}) as rows. */
final class ListedFiles implements Iterator<Row> {
    private static final Logger LOG = LoggerFactory.getLogger(ListedFiles.class);

    private final Iterator<String> lines;
    private final Path base;
    private final Configuration configuration;
    private Row next;

    ListedFiles(Iterator<String> lines, String base, HadoopConf conf) {
        this.lines = lines;
        this.base = new Path(base);
        this.configuration = conf.toConfiguration();
    }

    @Override
    public boolean hasNext() {
        while (next == null && lines.hasNext()) {
            String line = lines.next().strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] parts = line.split("\\s+", 2);
            String label = parts.length > 1 ? parts[1].strip() : null;
            next = RowFactory.create(parts[0], label, read(parts[0]));
        }
        return next != null;
    }

    @Override
    public Row next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        Row row = next;
        next = null;
        return row;
    }

    /** The file's bytes, or null if it does not exist or cannot be read (logged). */
    private byte[] read(String listed) {
        Path path = new Path(listed);
        if (!path.isAbsolute() && path.toUri().getScheme() == null) {
            path = new Path(base, path);
        }
        try {
            FileSystem fs = path.getFileSystem(configuration);
            long length = fs.getFileStatus(path).getLen();
            if (length > Integer.MAX_VALUE - 8) {
                throw new IOException(length + " bytes, more than one Java array holds");
            }
            byte[] bytes = new byte[(int) length];
            try (FSDataInputStream in = fs.open(path)) {
                in.readFully(0, bytes);
            }
            return bytes;
        } catch (IOException | IllegalArgumentException e) {
            LOG.warn("cannot read listed image {}: {}", listed, e.toString());
            return null;
        }
    }
}
