package io.tributary.log.internal.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import org.jspecify.annotations.Nullable;

/**
 * Writes a small file so that a crash leaves either the old content or the new, never a mix: write a temp file,
 * fsync it, rename it over the target, fsync the folder (so the rename itself is durable). Stateless and thread-safe
 * (callers must not write the same target concurrently).
 */
final class AtomicFiles {

    static final String TEMP_SUFFIX = ".tmp";

    private AtomicFiles() {
    }

    static void write(Path target, byte[] content) throws IOException {
        replace(writeTemp(target, content, null), target);
        syncDirectory(target.toAbsolutePath().getParent());
    }

    /**
     * The first half of {@link #write}: writes {@code content} to {@code target}'s temp file and syncs it; the caller
     * then {@link #replace}s the target and syncs the folder (once for several files).
     *
     * @param faultMidWrite test support: thrown once half of {@code content} is written, as a failed write would
     */
    static Path writeTemp(Path target, byte[] content, @Nullable IOException faultMidWrite) throws IOException {
        Path temp = target.resolveSibling(target.getFileName() + TEMP_SUFFIX);
        try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.wrap(content);
            if (faultMidWrite != null) {
                ch.write(buf.slice(0, content.length / 2));
                throw faultMidWrite;
            }
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(true);
        }
        return temp;
    }

    /** Renames a synced temp file over {@code target} atomically; durable once the folder is synced. */
    static void replace(Path temp, Path target) throws IOException {
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Makes renames and creations in {@code dir} durable (fsync on the folder; a no-op where unsupported). */
    static void syncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Some platforms (Windows) cannot open a folder as a channel; Linux and macOS can, and that is where it counts.
            if (System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("win")) {
                return;
            }
            throw e;
        }
    }
}
