package io.tributary.processing.internal;

import io.tributary.core.ConflictException;
import io.tributary.core.CorruptionException;
import io.tributary.core.ErrorCode;
import io.tributary.core.RetriableException;
import io.tributary.core.TributaryException;
import io.tributary.processing.DedupeErrors;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded dedupe store's file: an append-only list of committed claims, rewritten without expired entries when
 * compacted. Not thread-safe: its owner serialises every call. One process at a time (an OS file lock is held while
 * open).
 *
 * <pre>
 * file   := header entry*
 * header := magic "TDDS" (4 bytes) | version u16 = 1 | reserved u16 = 0                         (8 bytes)
 * entry  := length u32 (bytes of body) | crc u32 (CRC-32C of body) | body
 * body   := processedAt i64 (ms since epoch) | eventId msb i64 | eventId lsb i64
 *           | processorLength u16 | processor (UTF-8, 1..1020 bytes)
 * </pre>
 * All integers are big-endian. Entries are only appended, in commit order, each group of a commit in one write
 * followed by an fsync when asked for. A crash can therefore only tear the last write: on open, the first entry that is
 * short or fails its CRC ends the file, and the file is truncated there (those claims had not been acknowledged, since
 * their fsync had not returned). Compaction writes a new file next to this one, fsyncs it and atomically renames it
 * over the old one, so a crash leaves either the old or the new file whole.
 */
public final class DedupeFile implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DedupeFile.class);
    private static final int MAGIC = 0x54444453; // "TDDS"
    private static final short VERSION = 1;
    private static final int HEADER = 8;
    private static final int FIXED_BODY = 8 + 16 + 2;
    /** Longest processor name in bytes; 255 characters of up to 4 bytes. */
    public static final int MAX_PROCESSOR_BYTES = 1020;

    /** One committed claim as stored. */
    public record Entry(String processor, UUID eventId, long processedAt) {
    }

    private final Path path;
    private FileChannel channel;
    private FileLock lock;

    private DedupeFile(Path path, FileChannel channel, FileLock lock) {
        this.path = path;
        this.channel = channel;
        this.lock = lock;
    }

    /** Opens (creating if absent) the file, feeds every intact entry to {@code sink}, and truncates a torn tail. */
    public static DedupeFile open(Path path, Consumer<Entry> sink) {
        try {
            Path parent = path.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                ch.close();
                throw new ConflictException(DedupeErrors.DEDUPE_FILE_IN_USE, "The dedupe store file '" + path
                        + "' is open in another store (this or another process); open each file in one store only, "
                        + "or give each process its own file.");
            }
            DedupeFile f = new DedupeFile(path, ch, lock);
            f.load(sink);
            return f;
        } catch (IOException e) {
            throw storage("open", path, e);
        }
    }

    private void load(Consumer<Entry> sink) throws IOException {
        long size = channel.size();
        if (size == 0) {
            ByteBuffer h = ByteBuffer.allocate(HEADER).putInt(MAGIC).putShort(VERSION).putShort((short) 0).flip();
            writeFully(h, 0);
            channel.force(true);
            return;
        }
        ByteBuffer h = ByteBuffer.allocate(HEADER);
        readFully(h, 0);
        h.flip();
        if (size < HEADER || h.getInt() != MAGIC) {
            throw new CorruptionException(ErrorCode.CORRUPT_DATA, "'" + path + "' is not a Tributary dedupe store "
                    + "file (no TDDS header); point the store at its own file, or move this one away.");
        }
        short version = h.getShort();
        if (version != VERSION) {
            throw new CorruptionException(ErrorCode.CORRUPT_DATA, "Dedupe store file '" + path + "' has format "
                    + "version " + version + ", this build reads version " + VERSION + "; open it with the Tributary "
                    + "version that wrote it.");
        }
        ByteBuffer all = ByteBuffer.allocate((int) Math.min(Integer.MAX_VALUE - 8, size - HEADER));
        readFully(all, HEADER);
        all.flip();
        long good = HEADER;
        CRC32C crc = new CRC32C();
        while (all.remaining() >= 8) {
            int length = all.getInt();
            int expected = all.getInt();
            if (length < FIXED_BODY + 1 || length > FIXED_BODY + MAX_PROCESSOR_BYTES || all.remaining() < length) {
                break;
            }
            ByteBuffer body = all.slice(all.position(), length);
            crc.reset();
            crc.update(body.duplicate());
            if ((int) crc.getValue() != expected) {
                break;
            }
            long at = body.getLong();
            UUID id = new UUID(body.getLong(), body.getLong());
            int plen = Short.toUnsignedInt(body.getShort());
            if (plen != length - FIXED_BODY) {
                break;
            }
            byte[] p = new byte[plen];
            body.get(p);
            sink.accept(new Entry(new String(p, StandardCharsets.UTF_8), id, at));
            all.position(all.position() + length);
            good += 8 + length;
        }
        if (good < size) {
            LOG.warn("Dedupe store file '{}': dropping {} bytes of a torn write at its end (position {}); those claims "
                    + "were never acknowledged, so their events will simply be handled again", path, size - good, good);
            channel.truncate(good);
            channel.force(true);
        }
    }

    /** Appends the entries in one write at the end, then fsyncs if {@code fsync}. */
    public void append(Collection<Entry> entries, boolean fsync) {
        try {
            writeFully(encode(entries), channel.size());
            if (fsync) {
                channel.force(false);
            }
        } catch (IOException e) {
            throw storage("append to", path, e);
        }
    }

    /** Replaces the file's content by exactly {@code live}, atomically (write aside, fsync, rename). */
    public void rewrite(Collection<Entry> live) {
        Path tmp = path.resolveSibling(path.getFileName() + ".compacting");
        try {
            try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer h = ByteBuffer.allocate(HEADER).putInt(MAGIC).putShort(VERSION).putShort((short) 0).flip();
                while (h.hasRemaining()) {
                    out.write(h);
                }
                ByteBuffer b = encode(live);
                while (b.hasRemaining()) {
                    out.write(b);
                }
                out.force(true);
            }
            lock.release();
            channel.close();
            Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            syncDirectory();
            channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
            lock = channel.lock();
        } catch (IOException e) {
            throw storage("compact", path, e);
        }
    }

    /** Makes the rename durable: until the directory is synced, a power loss may bring the old file back. */
    private void syncDirectory() {
        Path parent = path.toAbsolutePath().getParent();
        if (parent == null) {
            return;
        }
        try (FileChannel dir = FileChannel.open(parent, StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException e) {
            // Some platforms cannot open a directory; the file content itself was synced before the rename.
            LOG.debug("Could not sync directory {} after compacting {}", parent, path, e);
        }
    }

    private static ByteBuffer encode(Collection<Entry> entries) {
        List<byte[]> names = new ArrayList<>(entries.size());
        int total = 0;
        for (Entry e : entries) {
            byte[] p = e.processor().getBytes(StandardCharsets.UTF_8);
            names.add(p);
            total += 8 + FIXED_BODY + p.length;
        }
        ByteBuffer b = ByteBuffer.allocate(total);
        CRC32C crc = new CRC32C();
        int i = 0;
        for (Entry e : entries) {
            byte[] p = names.get(i++);
            int length = FIXED_BODY + p.length;
            int start = b.position();
            b.putInt(length).putInt(0).putLong(e.processedAt()).putLong(e.eventId().getMostSignificantBits())
                    .putLong(e.eventId().getLeastSignificantBits()).putShort((short) p.length).put(p);
            crc.reset();
            crc.update(b.slice(start + 8, length));
            b.putInt(start + 4, (int) crc.getValue());
        }
        return b.flip();
    }

    private void writeFully(ByteBuffer b, long position) throws IOException {
        long pos = position;
        while (b.hasRemaining()) {
            pos += channel.write(b, pos);
        }
    }

    private void readFully(ByteBuffer b, long position) throws IOException {
        long pos = position;
        while (b.hasRemaining()) {
            int n = channel.read(b, pos);
            if (n < 0) {
                return;
            }
            pos += n;
        }
    }

    private static TributaryException storage(String what, Path path, IOException e) {
        return new RetriableException(ErrorCode.STORAGE_FAILURE, "Could not " + what + " the dedupe store file '"
                + path + "': " + e + "; check that the directory exists, is writable and has free space.", e);
    }

    @Override
    public void close() {
        try {
            lock.release();
            channel.close();
        } catch (IOException e) {
            LOG.warn("Could not close dedupe store file '{}'", path, e);
        }
    }
}
