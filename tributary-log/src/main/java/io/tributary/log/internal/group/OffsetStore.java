package io.tributary.log.internal.group;

import io.tributary.core.CorruptionException;
import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import io.tributary.log.LogErrors;
import io.tributary.log.TopicPartition;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.CRC32C;

/**
 * The committed offsets of every consumer group, stored durably in one append-only file with periodic compaction.
 *
 * <p><b>Durability:</b> {@link #commit}, {@link #deleteGroup} and {@link #deleteTopic} return only after their entry
 * is written and {@code fdatasync}ed; what they return for is never lost by a process or machine crash. Readers only
 * ever see durable values. One commit is one entry, so a commit of several partitions is all-or-nothing.
 * <p><b>Thread-safety:</b> thread-safe. Writes are serialized; concurrent writers share one {@code fdatasync}
 * (group commit); reads are lock-free.
 * <p><b>Ordering:</b> entries apply in file order; a later commit of a partition replaces an earlier one.
 *
 * <h2>File {@value #FILE_NAME} (all integers big-endian)</h2>
 * <pre>
 * header, 8 bytes, not checksummed but checked exactly:
 *   +0 int32 magic   0x5452474F ("TRGO")
 *   +4 int16 version 1
 *   +6 int16 reserved 0
 * then entries, back to back:
 *   +0 int32 bodyLength   bytes of body, 1 .. 16 MiB
 *   +4 int32 crc          CRC-32C of the body (exactly bodyLength bytes; the two int32 before it are not covered)
 *   +8 body:
 *        int8 kind        1 = COMMIT, 2 = DELETE_GROUP, 3 = DELETE_TOPIC
 *        COMMIT:       str group, int32 count, count x (str topic, int32 partition, int64 offset)
 *        DELETE_GROUP: str group
 *        DELETE_TOPIC: str topic
 *   str = uint16 byteLength, then that many UTF-8 bytes
 * </pre>
 * <b>Recovery</b> replays the entries. Because every entry is synced before the next is written, only the last one
 * can be torn by a crash: a bad entry that reaches the end of the file (or is followed only by zero bytes, as a
 * file system may leave after a crash) is cut off and counted in {@link #tornBytesDropped()}. A bad entry followed by
 * other data is corruption and the store refuses to open, naming the file and position.
 * <p><b>Compaction:</b> when the file grows past a threshold and is mostly superseded entries, the live offsets are
 * written as one COMMIT per group to {@value #FILE_NAME}{@code .tmp}, which is synced, renamed over the file, and the
 * folder synced (a crash at any point leaves either the old or the new complete file; a leftover {@code .tmp} is
 * deleted on open).
 */
final class OffsetStore implements AutoCloseable {

    static final String FILE_NAME = "committed-offsets.log";
    static final int MAGIC = 0x5452474F;
    static final short VERSION = 1;
    static final int HEADER_BYTES = 8;
    static final int MAX_BODY = 16 << 20;
    static final byte COMMIT = 1;
    static final byte DELETE_GROUP = 2;
    static final byte DELETE_TOPIC = 3;
    static final long DEFAULT_COMPACT_THRESHOLD = 4L << 20;

    private static final System.Logger LOG = System.getLogger(OffsetStore.class.getName());

    private final Path dir;
    private final Path file;
    private final long compactThreshold;
    private final Map<String, Map<TopicPartition, Long>> offsets = new ConcurrentHashMap<>();
    private final long tornBytesDropped;
    private FileChannel channel;
    private long size;
    private boolean closed;
    /** Guards syncing; taken before this object's monitor (which guards writing and the in-memory view). */
    private final Object syncLock = new Object();
    /** Effects of entries written but not yet synced, in file order. This object's monitor. */
    private final java.util.ArrayDeque<Runnable> pending = new java.util.ArrayDeque<>();
    private long writtenSeq;
    private long syncedSeq;

    private OffsetStore(Path dir, long compactThreshold) throws IOException {
        this.dir = dir;
        this.file = dir.resolve(FILE_NAME);
        this.compactThreshold = compactThreshold;
        Files.deleteIfExists(dir.resolve(FILE_NAME + ".tmp"));
        boolean fresh = !Files.exists(file);
        channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        if (fresh || channel.size() == 0) {
            channel.write(header(), 0);
            channel.force(true);
            syncDir();
            tornBytesDropped = 0;
            size = HEADER_BYTES;
        } else {
            long[] result = recover();
            size = result[0];
            tornBytesDropped = result[1];
            if (tornBytesDropped > 0) {
                channel.truncate(size);
                channel.force(true);
                LOG.log(System.Logger.Level.WARNING, "Dropped a torn last entry of " + tornBytesDropped
                        + " bytes at position " + size + " of " + file + " (a commit in flight during a crash; it was "
                        + "never acknowledged)");
            }
        }
        channel.position(size);
    }

    /** Opens (creating if missing) the store in {@code dir} and recovers it. */
    static OffsetStore open(Path dir) {
        return open(dir, DEFAULT_COMPACT_THRESHOLD);
    }

    /** As {@link #open(Path)}, compacting once the file passes {@code compactThreshold} bytes. */
    static OffsetStore open(Path dir, long compactThreshold) {
        try {
            Files.createDirectories(dir);
            return new OffsetStore(dir, compactThreshold);
        } catch (AccessDeniedException e) {
            throw new InvalidRequestException(LogErrors.DATA_DIR_NOT_WRITABLE, "Cannot write committed offsets to "
                    + dir + " (access denied); make the folder writable by this user or choose another data dir", e);
        } catch (IOException e) {
            throw new InvalidRequestException(LogErrors.DATA_DIR_NOT_WRITABLE, "Cannot open committed offsets in "
                    + dir + ": " + e + "; check that the folder exists, is writable and the disk is not full", e);
        }
    }

    /** Bytes of a torn last entry cut off when the store was opened; 0 after a clean shutdown. */
    long tornBytesDropped() {
        return tornBytesDropped;
    }

    /** The group's committed offset for a partition. */
    OptionalLong committed(String group, TopicPartition tp) {
        Map<TopicPartition, Long> g = offsets.get(group);
        Long v = g == null ? null : g.get(tp);
        return v == null ? OptionalLong.empty() : OptionalLong.of(v);
    }

    /** A copy of the group's committed offsets. */
    Map<TopicPartition, Long> committed(String group) {
        Map<TopicPartition, Long> g = offsets.get(group);
        return g == null ? Map.of() : Map.copyOf(g);
    }

    /** Groups with at least one committed offset, sorted. */
    List<String> groups() {
        return List.copyOf(new TreeSet<>(offsets.keySet()));
    }

    /** Stores these offsets for the group, all or nothing, durably before returning. */
    void commit(String group, Map<TopicPartition, Long> commit) {
        awaitDurable(stageCommit(group, commit));
    }

    /**
     * Writes a commit entry without waiting for it to be durable; returns its ticket for {@link #awaitDurable}. Lets
     * a caller check a condition atomically with the write and then wait for the sync outside its own lock, and lets
     * concurrent commits share one {@code fdatasync} (group commit).
     */
    synchronized long stageCommit(String group, Map<TopicPartition, Long> commit) {
        if (commit.isEmpty()) {
            return 0;
        }
        Map<TopicPartition, Long> copy = Map.copyOf(commit);
        return write(commitBody(group, copy),
                () -> offsets.computeIfAbsent(group, g -> new ConcurrentHashMap<>()).putAll(copy));
    }

    /** Forgets every committed offset of the group, durably. */
    void deleteGroup(String group) {
        long ticket;
        synchronized (this) {
            if (!offsets.containsKey(group)) {
                return;
            }
            ticket = write(nameBody(DELETE_GROUP, group), () -> offsets.remove(group));
        }
        awaitDurable(ticket);
    }

    /** Forgets every group's committed offsets for the topic, durably. */
    void deleteTopic(String topic) {
        long ticket;
        synchronized (this) {
            boolean any = offsets.values().stream()
                    .anyMatch(m -> m.keySet().stream().anyMatch(tp -> tp.topic().equals(topic)));
            if (!any) {
                return;
            }
            ticket = write(nameBody(DELETE_TOPIC, topic), () -> applyDeleteTopic(offsets, topic));
        }
        awaitDurable(ticket);
    }

    /** Current file size, for tests of compaction. */
    synchronized long fileSize() {
        return size;
    }

    @Override
    public void close() {
        synchronized (syncLock) {
            synchronized (this) {
                if (closed) {
                    return;
                }
                closed = true;
                try {
                    channel.close();
                } catch (IOException e) {
                    throw new UncheckedIOException("Closing " + file, e);
                }
            }
        }
    }

    // ---- writing ----

    /** Appends an entry (not yet synced) and queues its effect on the in-memory view. Caller holds this lock. */
    private long write(byte[] body, Runnable apply) {
        if (closed) {
            throw new InvalidRequestException(ErrorCode.CLOSED, "The committed-offset store " + file
                    + " is closed; reopen the event log");
        }
        ByteBuffer buf = ByteBuffer.allocate(8 + body.length);
        buf.putInt(body.length).putInt(crc(body, 0, body.length)).put(body).flip();
        try {
            while (buf.hasRemaining()) {
                channel.write(buf);
            }
        } catch (IOException e) {
            // The entry may be half-written; cut it off so the next append does not follow garbage.
            try {
                channel.truncate(size);
                channel.position(size);
            } catch (IOException ignored) {
                // The original failure is what the caller needs to see.
            }
            throw new InvalidRequestException(classify(e), "Could not store committed offsets in " + file + ": " + e
                    + "; nothing was committed. Free disk space or fix the folder's permissions, then commit again", e);
        }
        size += 8 + body.length;
        long ticket = ++writtenSeq;
        pending.add(apply);
        return ticket;
    }

    /**
     * Returns once the entry with this ticket is durable and visible to readers. One caller syncs for everyone
     * whose entries were written before it started; the others find their work done.
     */
    void awaitDurable(long ticket) {
        if (ticket == 0) {
            return;
        }
        synchronized (syncLock) {
            if (syncedSeq >= ticket) {
                return;
            }
            long upTo;
            synchronized (this) {
                if (closed) {
                    throw new InvalidRequestException(ErrorCode.CLOSED, "The committed-offset store " + file
                            + " closed before the commit was synced; it may not have been stored");
                }
                upTo = writtenSeq;
            }
            try {
                channel.force(false);
            } catch (IOException e) {
                throw new InvalidRequestException(classify(e), "Could not sync committed offsets to " + file + ": "
                        + e + "; the commit may not have been stored. Free disk space or fix the folder, then commit "
                        + "again", e);
            }
            synchronized (this) {
                // Entries are applied in file order, so readers see exactly what recovery would rebuild.
                for (long seq = syncedSeq + 1; seq <= upTo; seq++) {
                    pending.poll().run();
                }
                syncedSeq = upTo;
                if (pending.isEmpty()) {
                    maybeCompact();
                }
            }
        }
    }

    private static ErrorCode classify(IOException e) {
        String m = String.valueOf(e.getMessage());
        return m.contains("No space left") ? LogErrors.DISK_FULL : LogErrors.DATA_DIR_NOT_WRITABLE;
    }

    private void maybeCompact() {
        if (size < compactThreshold) {
            return;
        }
        int live = 0;
        for (Map<TopicPartition, Long> g : offsets.values()) {
            live += 64 + g.size() * 64;
        }
        // Compact only when most of the file is superseded, so a huge live set does not compact on every commit.
        if (size < 2L * live) {
            return;
        }
        Path tmp = dir.resolve(FILE_NAME + ".tmp");
        try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            long pos = out.write(header(), 0);
            for (var e : new TreeSet<>(offsets.keySet())) {
                byte[] body = commitBody(e, offsets.get(e));
                ByteBuffer buf = ByteBuffer.allocate(8 + body.length);
                buf.putInt(body.length).putInt(crc(body, 0, body.length)).put(body).flip();
                while (buf.hasRemaining()) {
                    pos += out.write(buf, pos);
                }
            }
            out.force(true);
            channel.close();
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            syncDir();
            channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
            size = pos;
            channel.position(size);
        } catch (IOException e) {
            // Every entry is already durable in the old file; compaction can wait for the next commit.
            LOG.log(System.Logger.Level.WARNING, "Compacting " + file + " failed; will retry: " + e);
            try {
                if (!channel.isOpen()) {
                    channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
                    size = channel.size();
                    channel.position(size);
                }
            } catch (IOException reopen) {
                throw new UncheckedIOException("Reopening " + file + " after a failed compaction", reopen);
            }
        }
    }

    private void syncDir() throws IOException {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
    }

    private static ByteBuffer header() {
        return ByteBuffer.allocate(HEADER_BYTES).putInt(MAGIC).putShort(VERSION).putShort((short) 0).flip();
    }

    static byte[] commitBody(String group, Map<TopicPartition, Long> commit) {
        ByteBuffer b = ByteBuffer.allocate(1 + strLen(group) + 4 + commit.entrySet().stream()
                .mapToInt(e -> strLen(e.getKey().topic()) + 12).sum());
        b.put(COMMIT);
        putStr(b, group);
        b.putInt(commit.size());
        for (var e : commit.entrySet()) {
            putStr(b, e.getKey().topic());
            b.putInt(e.getKey().partition());
            b.putLong(e.getValue());
        }
        return b.array();
    }

    private static byte[] nameBody(byte kind, String name) {
        ByteBuffer b = ByteBuffer.allocate(1 + strLen(name));
        b.put(kind);
        putStr(b, name);
        return b.array();
    }

    private static int strLen(String s) {
        int n = s.getBytes(StandardCharsets.UTF_8).length;
        if (n > 0xFFFF) {
            throw new InvalidRequestException(ErrorCode.INVALID_ARGUMENT, "Name of " + n + " bytes is too long to "
                    + "store with a committed offset (at most 65535 UTF-8 bytes): '" + s.substring(0, 40) + "...'");
        }
        return 2 + n;
    }

    private static void putStr(ByteBuffer b, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        b.putShort((short) bytes.length).put(bytes);
    }

    private static String getStr(ByteBuffer b) {
        int n = Short.toUnsignedInt(b.getShort());
        byte[] bytes = new byte[n];
        b.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    static int crc(byte[] a, int off, int len) {
        CRC32C c = new CRC32C();
        c.update(a, off, len);
        return (int) c.getValue();
    }

    // ---- recovery ----

    /** Replays the file; returns {valid end, torn bytes after it}. */
    private long[] recover() throws IOException {
        long fileSize = channel.size();
        ByteBuffer head = ByteBuffer.allocate(HEADER_BYTES);
        readFully(head, 0);
        head.flip();
        int magic = head.getInt();
        short version = head.getShort();
        if (magic != MAGIC || version != VERSION) {
            throw new CorruptionException(ErrorCode.CORRUPT_DATA, String.format("%s does not start with the "
                    + "committed-offsets header (magic 0x%08X version %d, found 0x%08X version %d); it is not a "
                    + "Tributary offsets file or it is damaged. Move it away to start the groups with no committed "
                    + "offsets", file, MAGIC, VERSION, magic, version));
        }
        long pos = HEADER_BYTES;
        ByteBuffer lenCrc = ByteBuffer.allocate(8);
        while (pos < fileSize) {
            String problem;
            long bodyLength = -1;
            if (fileSize - pos < 8) {
                problem = "entry header cut short";
            } else {
                lenCrc.clear();
                readFully(lenCrc, pos);
                lenCrc.flip();
                bodyLength = lenCrc.getInt();
                int crc = lenCrc.getInt();
                if (bodyLength < 1 || bodyLength > MAX_BODY) {
                    problem = "impossible entry length " + bodyLength;
                    bodyLength = -1;
                } else if (pos + 8 + bodyLength > fileSize) {
                    problem = "entry of " + bodyLength + " bytes cut short";
                } else {
                    ByteBuffer body = ByteBuffer.allocate((int) bodyLength);
                    readFully(body, pos + 8);
                    if (crc(body.array(), 0, body.capacity()) != crc) {
                        problem = "CRC-32C mismatch";
                    } else {
                        body.flip();
                        try {
                            apply(body);
                            pos += 8 + bodyLength;
                            continue;
                        } catch (RuntimeException e) {
                            problem = "undecodable entry (" + e + ")";
                        }
                    }
                }
            }
            // Our writes put the length first, so a torn write leaves a correct length or zeros: an impossible
            // non-zero length is damage, as is a bad entry with real data after it.
            boolean torn = bodyLength < 0 ? allZero(pos, fileSize)
                    : pos + 8 + bodyLength >= fileSize || allZero(pos + 8 + bodyLength, fileSize);
            if (torn) {
                return new long[] {pos, fileSize - pos};
            }
            long after = bodyLength < 0 ? pos : pos + 8 + bodyLength;
            throw new CorruptionException(ErrorCode.CORRUPT_DATA, "Committed offsets file " + file
                    + " is damaged at position " + pos + " (" + problem + ") with " + (fileSize - after)
                    + " bytes of later entries after it, so this is not a torn last write. Restore the file from a "
                    + "backup, or move it away to start every group with no committed offsets");
        }
        return new long[] {pos, 0};
    }

    private boolean allZero(long from, long to) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8192);
        long pos = from;
        while (pos < to) {
            b.clear();
            b.limit((int) Math.min(b.capacity(), to - pos));
            int n = channel.read(b, pos);
            if (n <= 0) {
                return true;
            }
            for (int i = 0; i < n; i++) {
                if (b.get(i) != 0) {
                    return false;
                }
            }
            pos += n;
        }
        return true;
    }

    private void apply(ByteBuffer body) {
        byte kind = body.get();
        switch (kind) {
            case COMMIT -> {
                String group = getStr(body);
                int count = body.getInt();
                Map<TopicPartition, Long> m = new HashMap<>();
                for (int i = 0; i < count; i++) {
                    String topic = getStr(body);
                    int partition = body.getInt();
                    m.put(new TopicPartition(topic, partition), body.getLong());
                }
                offsets.computeIfAbsent(group, g -> new ConcurrentHashMap<>()).putAll(m);
            }
            case DELETE_GROUP -> offsets.remove(getStr(body));
            case DELETE_TOPIC -> applyDeleteTopic(offsets, getStr(body));
            default -> throw new IllegalStateException("unknown entry kind " + kind);
        }
        if (body.hasRemaining()) {
            throw new IllegalStateException(body.remaining() + " trailing bytes");
        }
    }

    private static void applyDeleteTopic(Map<String, Map<TopicPartition, Long>> offsets, String topic) {
        for (var it = offsets.entrySet().iterator(); it.hasNext(); ) {
            var g = it.next();
            g.getValue().keySet().removeIf(tp -> tp.topic().equals(topic));
            if (g.getValue().isEmpty()) {
                it.remove();
            }
        }
    }

    private void readFully(ByteBuffer b, long pos) throws IOException {
        while (b.hasRemaining()) {
            int n = channel.read(b, pos);
            if (n < 0) {
                throw new EOFException(file + " ended at " + pos);
            }
            pos += n;
        }
    }
}
