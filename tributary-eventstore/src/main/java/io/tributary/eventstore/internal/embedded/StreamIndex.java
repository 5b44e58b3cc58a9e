package io.tributary.eventstore.internal.embedded;

import io.tributary.eventstore.EventData;
import io.tributary.eventstore.StreamInfo;
import io.tributary.eventstore.StreamMetadata;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.zip.CRC32C;
import org.jspecify.annotations.Nullable;

/**
 * The in-memory index of the embedded store: per stream its versions (as segments, one per APPEND record), state,
 * metadata and snapshots, and every live event id. Built by applying log records in offset order; saved to a
 * checkpoint file so opening a large store reads only the records after the checkpoint.
 *
 * <p>Not thread-safe: the store guards it with a read-write lock.
 *
 * <p>Checkpoint file {@code stream-index.ckpt} (big-endian; written to a temp file, fsynced, renamed):
 * <pre>
 * magic i32 "TRSI" | format i32 (=1) | coveredOffset i64 | streamCount i32
 * per stream: nameLen u16 | name UTF-8 | lastVersion i64 | deletedBefore i64 | flags u8 (1 soft-deleted, 2 tombstoned)
 *             | maxAgeMs i64 | maxCount i64 | truncateBefore i64 (-1 = unset)
 *             | segmentCount i32 | per segment: firstVersion i64 | count i32 | offset i64 | recordedAt i64
 *                                              | count x (idMsb i64 | idLsb i64)
 *             | snapshotCount i32 | per snapshot: version i64 | offset i64
 * crc32c i32 over every byte before it
 * </pre>
 * {@code coveredOffset} is the log offset after the last record the checkpoint includes.
 */
final class StreamIndex {

    static final String FILE = "stream-index.ckpt";
    private static final int MAGIC = 0x54525349; // "TRSI"
    private static final int FORMAT = 1;

    /** The events of one APPEND record. {@code offset} is -1 until the log acknowledges the record. */
    static final class Segment {
        final long firstVersion;
        final int count;
        final long recordedAt;
        final long[] ids;
        volatile long offset;
        final CompletableFuture<Long> acked = new CompletableFuture<>();

        Segment(long firstVersion, int count, long recordedAt, long[] ids, long offset) {
            this.firstVersion = firstVersion;
            this.count = count;
            this.recordedAt = recordedAt;
            this.ids = ids;
            this.offset = offset;
            if (offset >= 0) {
                acked.complete(offset);
            }
        }

        long lastVersion() {
            return firstVersion + count - 1;
        }

        UUID id(int i) {
            return new UUID(ids[2 * i], ids[2 * i + 1]);
        }
    }

    static final class StreamState {
        final String name;
        long lastVersion = StreamInfo.NO_STREAM;
        long deletedBefore;
        boolean softDeleted;
        boolean tombstoned;
        StreamMetadata metadata = StreamMetadata.none();
        final ArrayList<Segment> segments = new ArrayList<>();
        /** version -> offset of the SNAPSHOT record (-1 while pending). */
        final TreeMap<Long, Long> snapshots = new TreeMap<>();

        StreamState(String name) {
            this.name = name;
        }

        StreamInfo info() {
            if (tombstoned) {
                return new StreamInfo(name, StreamInfo.NO_STREAM, StreamInfo.State.TOMBSTONED);
            }
            if (softDeleted) {
                return new StreamInfo(name, StreamInfo.NO_STREAM, StreamInfo.State.SOFT_DELETED);
            }
            if (lastVersion < 0) {
                return new StreamInfo(name, StreamInfo.NO_STREAM, StreamInfo.State.ABSENT);
            }
            return new StreamInfo(name, lastVersion, StreamInfo.State.ACTIVE);
        }

        /** The version an expectation is checked against: a soft-deleted stream counts as absent. */
        long effectiveVersion() {
            return softDeleted || tombstoned ? StreamInfo.NO_STREAM : lastVersion;
        }

        /** The segment holding {@code version}, by binary search. */
        int segmentIndexOf(long version) {
            int lo = 0;
            int hi = segments.size() - 1;
            while (lo <= hi) {
                int mid = (lo + hi) >>> 1;
                Segment s = segments.get(mid);
                if (version < s.firstVersion) {
                    hi = mid - 1;
                } else if (version > s.lastVersion()) {
                    lo = mid + 1;
                } else {
                    return mid;
                }
            }
            return -1 - lo;
        }
    }

    /** Where an event id lives. */
    record IdRef(StreamState stream, Segment segment, int index) {
        long version() {
            return segment.firstVersion + index;
        }
    }

    final Map<String, StreamState> streams = new HashMap<>();
    final Map<UUID, IdRef> ids = new HashMap<>();
    /** The log offset after the last record applied. */
    long coveredOffset;

    StreamState stream(String name) {
        return streams.computeIfAbsent(name, StreamState::new);
    }

    @Nullable StreamState find(String name) {
        return streams.get(name);
    }

    Segment addAppend(String stream, long firstVersion, long recordedAt, List<EventData> events, long offset) {
        StreamState s = stream(stream);
        long[] idBits = new long[events.size() * 2];
        for (int i = 0; i < events.size(); i++) {
            idBits[2 * i] = events.get(i).eventId().getMostSignificantBits();
            idBits[2 * i + 1] = events.get(i).eventId().getLeastSignificantBits();
        }
        Segment seg = new Segment(firstVersion, events.size(), recordedAt, idBits, offset);
        addSegment(s, seg);
        return seg;
    }

    private void addSegment(StreamState s, Segment seg) {
        s.segments.add(seg);
        s.lastVersion = seg.lastVersion();
        s.softDeleted = false;
        for (int i = 0; i < seg.count; i++) {
            ids.put(seg.id(i), new IdRef(s, seg, i));
        }
    }

    /** Applies one acknowledged log record (recovery). */
    void apply(long offset, LogEntry entry) {
        switch (entry) {
            case LogEntry.Append a -> addAppend(a.stream(), a.firstVersion(), a.recordedAt(), a.events(), offset);
            case LogEntry.Metadata m -> stream(m.stream()).metadata = m.metadata();
            case LogEntry.SoftDelete d -> softDelete(stream(d.stream()), d.deletedBefore());
            case LogEntry.Tombstone t -> tombstone(stream(t.stream()));
            case LogEntry.SnapshotEntry sn -> stream(sn.stream()).snapshots.put(sn.version(), offset);
        }
        coveredOffset = Math.max(coveredOffset, offset + 1);
    }

    void softDelete(StreamState s, long deletedBefore) {
        s.softDeleted = true;
        s.deletedBefore = deletedBefore;
        s.snapshots.clear();
    }

    void tombstone(StreamState s) {
        s.tombstoned = true;
        for (Segment seg : s.segments) {
            for (int i = 0; i < seg.count; i++) {
                ids.remove(seg.id(i));
            }
        }
        s.segments.clear();
        s.snapshots.clear();
    }

    // ---- checkpoint ----

    /** Encodes the whole index; the caller guarantees no write is pending. */
    byte[] encode() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + streams.size() * 64 + ids.size() * 16);
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(MAGIC);
        out.writeInt(FORMAT);
        out.writeLong(coveredOffset);
        out.writeInt(streams.size());
        for (StreamState s : streams.values()) {
            byte[] name = s.name.getBytes(StandardCharsets.UTF_8);
            out.writeShort(name.length);
            out.write(name);
            out.writeLong(s.lastVersion);
            out.writeLong(s.deletedBefore);
            out.writeByte((s.softDeleted ? 1 : 0) | (s.tombstoned ? 2 : 0));
            out.writeLong(s.metadata.maxAge().map(Duration::toMillis).orElse(-1L));
            out.writeLong(s.metadata.maxCount().orElse(-1));
            out.writeLong(s.metadata.truncateBefore().orElse(-1));
            out.writeInt(s.segments.size());
            for (Segment seg : s.segments) {
                out.writeLong(seg.firstVersion);
                out.writeInt(seg.count);
                out.writeLong(seg.offset);
                out.writeLong(seg.recordedAt);
                for (long bits : seg.ids) {
                    out.writeLong(bits);
                }
            }
            out.writeInt(s.snapshots.size());
            for (Map.Entry<Long, Long> e : s.snapshots.entrySet()) {
                out.writeLong(e.getKey());
                out.writeLong(e.getValue());
            }
        }
        out.flush();
        CRC32C crc = new CRC32C();
        crc.update(bytes.toByteArray());
        out.writeInt((int) crc.getValue());
        out.flush();
        return bytes.toByteArray();
    }

    /** Writes {@code encoded} durably and atomically into {@code dir}. */
    static void write(Path dir, byte[] encoded) throws IOException {
        Files.createDirectories(dir);
        Path tmp = dir.resolve(FILE + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.wrap(encoded);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(true);
        }
        Files.move(tmp, dir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true); // make the rename itself durable
        } catch (IOException ignored) {
            // some file systems cannot open a directory; the rename is still atomic
        }
    }

    /**
     * Loads the checkpoint in {@code dir}; empty if there is none or it fails its checksum (the caller then rebuilds
     * from the log, which is always correct, only slower).
     */
    static Optional<StreamIndex> read(Path dir) {
        Path file = dir.resolve(FILE);
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try {
            byte[] all = Files.readAllBytes(file);
            if (all.length < 24) {
                return Optional.empty();
            }
            CRC32C crc = new CRC32C();
            crc.update(all, 0, all.length - 4);
            int stored = ByteBuffer.wrap(all, all.length - 4, 4).getInt();
            if ((int) crc.getValue() != stored) {
                return Optional.empty();
            }
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(all, 0, all.length - 4));
            if (in.readInt() != MAGIC || in.readInt() != FORMAT) {
                return Optional.empty();
            }
            StreamIndex index = new StreamIndex();
            index.coveredOffset = in.readLong();
            int streamCount = in.readInt();
            for (int i = 0; i < streamCount; i++) {
                byte[] name = new byte[in.readUnsignedShort()];
                in.readFully(name);
                StreamState s = index.stream(new String(name, StandardCharsets.UTF_8));
                long lastVersion = in.readLong();
                s.deletedBefore = in.readLong();
                int flags = in.readByte();
                long age = in.readLong();
                long count = in.readLong();
                long truncate = in.readLong();
                s.metadata = new StreamMetadata(age < 0 ? Optional.empty() : Optional.of(Duration.ofMillis(age)),
                        count < 0 ? OptionalLong.empty() : OptionalLong.of(count),
                        truncate < 0 ? OptionalLong.empty() : OptionalLong.of(truncate));
                int segments = in.readInt();
                for (int j = 0; j < segments; j++) {
                    long first = in.readLong();
                    int n = in.readInt();
                    long offset = in.readLong();
                    long recordedAt = in.readLong();
                    long[] bits = new long[2 * n];
                    for (int k = 0; k < bits.length; k++) {
                        bits[k] = in.readLong();
                    }
                    index.addSegment(s, new Segment(first, n, recordedAt, bits, offset));
                }
                s.lastVersion = lastVersion;
                s.softDeleted = (flags & 1) != 0;
                s.tombstoned = (flags & 2) != 0;
                int snaps = in.readInt();
                for (int j = 0; j < snaps; j++) {
                    s.snapshots.put(in.readLong(), in.readLong());
                }
            }
            return Optional.of(index);
        } catch (EOFException e) {
            return Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
