package io.tributary.bench.internal;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import org.jspecify.annotations.Nullable;

/**
 * The scratch folder of one suite run, as {@code --dir} asks: the folder given (kept afterwards), or a new folder
 * under {@code java.io.tmpdir} that {@link #close()} deletes with everything in it. A failed delete is reported on the
 * progress stream and does not fail the run. Not thread-safe: open and close it on the command's thread.
 */
public final class ScratchDir implements AutoCloseable {

    private final Path root;
    private final boolean own;
    private final PrintWriter err;

    private ScratchDir(Path root, boolean own, PrintWriter err) {
        this.root = root;
        this.own = own;
        this.err = err;
    }

    /**
     * The folder given by {@code --dir} (as an absolute path), or, when none was given, a new temporary folder whose
     * name starts with {@code prefix}.
     */
    public static ScratchDir open(@Nullable Path given, String prefix, PrintWriter err) throws IOException {
        return given != null
                ? new ScratchDir(given.toAbsolutePath(), false, err)
                : new ScratchDir(Files.createTempDirectory(prefix), true, err);
    }

    /** The folder the run writes under. */
    public Path root() {
        return root;
    }

    /** Deletes the folder if this run created it; a folder given by {@code --dir} is left as it is. */
    @Override
    public void close() {
        if (!own) {
            return;
        }
        try (var walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (Exception e) {
            err.println("[bench] could not delete the scratch folder " + root + ": " + e);
        }
    }
}
