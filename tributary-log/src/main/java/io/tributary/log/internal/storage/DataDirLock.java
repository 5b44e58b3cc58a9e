package io.tributary.log.internal.storage;

import io.tributary.core.ConflictException;
import io.tributary.core.InvalidRequestException;
import io.tributary.log.LogErrors;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An exclusive lock on a data folder ({@code <dataDir>/.lock}, an OS file lock), so a second process, or a second
 * open in the same JVM, fails with {@link LogErrors#DATA_DIR_LOCKED} instead of corrupting the log. The lock file
 * holds the owner's process id for the error message. Released on {@link #close()} or when the process dies.
 */
final class DataDirLock implements AutoCloseable {

    static final String FILE_NAME = ".lock";

    private final FileChannel channel;
    private final FileLock lock;

    private DataDirLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    static DataDirLock acquire(Path dataDir) {
        Path file = dataDir.resolve(FILE_NAME);
        FileChannel ch;
        try {
            ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new InvalidRequestException(LogErrors.DATA_DIR_NOT_WRITABLE, "Cannot create the lock file " + file
                    + " (" + e + "); make the data folder writable by this user or choose another with --data-dir.", e);
        }
        FileLock lock;
        try {
            lock = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        } catch (IOException e) {
            closeQuietly(ch);
            throw new InvalidRequestException(LogErrors.DATA_DIR_NOT_WRITABLE, "Cannot lock " + file + " (" + e
                    + "); the data folder must be on a local file system that supports locks.", e);
        }
        if (lock == null) {
            String owner = owner(ch);
            closeQuietly(ch);
            throw new ConflictException(LogErrors.DATA_DIR_LOCKED, "Data folder " + dataDir.toAbsolutePath()
                    + " is in use by another embedded log" + owner + "; close that log (or stop that process) first, "
                    + "or use a different data folder (--data-dir / tributary.log.embedded.data-dir).");
        }
        try {
            byte[] pid = (ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII);
            ch.truncate(0);
            ch.write(ByteBuffer.wrap(pid), 0);
        } catch (IOException e) {
            // The pid is only a courtesy for the error message; the lock itself is held.
        }
        return new DataDirLock(ch, lock);
    }

    private static String owner(FileChannel ch) {
        try {
            ByteBuffer b = ByteBuffer.allocate(32);
            ch.read(b, 0);
            String pid = new String(b.array(), 0, b.position(), StandardCharsets.US_ASCII).trim();
            if (pid.isEmpty()) {
                return "";
            }
            return pid.equals(String.valueOf(ProcessHandle.current().pid())) ? " in this JVM (process " + pid + ")"
                    : " (process " + pid + ")";
        } catch (IOException e) {
            return "";
        }
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // nothing more to release
        }
    }

    static boolean isLockFile(Path p) {
        return Files.isRegularFile(p) && p.getFileName().toString().equals(FILE_NAME);
    }

    @Override
    public void close() {
        try {
            lock.release();
        } catch (IOException ignored) {
            // closing the channel releases it too
        }
        closeQuietly(channel);
    }
}
