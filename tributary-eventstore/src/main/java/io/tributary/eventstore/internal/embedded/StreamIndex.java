package io.tributary.eventstore.internal.embedded;

import io.tributary.eventstore.EventData;
import io.tributary.eventstore.StreamInfo;
import io.tributary.eventstore.StreamMetadata;
import java.io.DataInputStream;
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
 * <p>Not thread-safe: the store guards its live index with a read-write lock, and the checkpoint's own index (built
 * by {@link #fromImage} and fed acknowledged records) with its checkpoint lock. {@link Segment}s are shared between
 * the two; a segment never changes once the log has acknowledged it.
 *
 * <p>Checkpoint file {@code stream-index.ckpt} (big-endian; streamed to a temp file with a running checksum, fsynced,
 * renamed; written from a {@link #capture() capture}, never while the store's lock is held):
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
 *
 * <p>Delta file {@code stream-index.delta}: rewriting the whole index at every checkpoint cost time proportional to
 * the store's size, every {@code checkpointEveryRecords} records, so a checkpoint only appends one frame holding the
 * index changes of the records since the previous one; a full checkpoint (above, the <em>base</em>) is written only
 * when the delta file has grown past the base. The bases need not grow (metadata, delete and snapshot churn changes
 * the index without enlarging it), but each one is paid for by the frames before it: it is written only once those
 * exceed the previous base, and is at most that base plus what those frames describe, so each base write is less
 * than about twice the delta bytes written since the previous one. Amortised, the total written stays proportional
 * to the delta bytes, so to the records appended; opening reads at most about twice the base plus one frame.
 * Big-endian:
 * <pre>
 * header: magic i32 "TRSD" | format i32 (=1)
 * frame:  bodyLen i32 | body | crc32c i32 over bodyLen and body
 * body:   fromOffset i64 | toOffset i64 | entryCount i32 | entryCount x entry
 * entry:  kind u8 | offset i64 | nameLen u16 | name UTF-8 | by kind:
 *         APPEND (1):      firstVersion i64 | count i32 | recordedAt i64 | count x (idMsb i64 | idLsb i64)
 *         METADATA (2):    maxAgeMs i64 | maxCount i64 | truncateBefore i64   (-1 = unset)
 *         SOFT_DELETE (3): deletedBefore i64
 *         TOMBSTONE (4):   (nothing)
 *         SNAPSHOT (5):    version i64
 * </pre>
 * A frame covers the log records {@code [fromOffset, toOffset)}, in log order. Loading applies, after the base, each
 * frame whose {@code fromOffset} is what is covered so far, skips frames the base already covers (a compaction that
 * was cut short before it emptied the delta file), and stops at the first frame that is torn, fails its checksum or
 * leaves a gap: the records after that are replayed from the log, which is always correct, only slower. A delta file
 * of another format is ignored the same way. The frames are fsynced, but only the chaining makes them safe: a frame
 * written after the base it extends was replaced can never be applied to the wrong base.
 */
final class StreamIndex {

    static final String FILE = "stream-index.ckpt";
    static final String DELTA_FILE = "stream-index.delta";
    private static final int DELTA_MAGIC = 0x54525344; // "TRSD"
    private static final int DELTA_FORMAT = 1;
    private static final int DELTA_HEADER_BYTES = 8;
    private static final byte D_APPEND = 1;
    private static final byte D_METADATA = 2;
    private static final byte D_SOFT_DELETE = 3;
    private static final byte D_TOMBSTONE = 4;
    private static final byte D_SNAPSHOT = 5;
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

    /**
     * The id of every stored event, for idempotent appends: {@value #SHARDS} hash maps chosen by the id's hash.
     * One map of every id made appends stall: it grows by doubling, and the append that crossed a threshold rehashed
     * the whole map under the store's write lock while every other writer waited (12-90 ms at 25k-200k events in a
     * 20 s paced run, growing with the store). Split, each map holds 1/{@value #SHARDS} of the ids and a rehash costs
     * that much. Not thread-safe: guarded like the rest of the index.
     */
    static final class EventIds {
        static final int SHARDS = 64;
        @SuppressWarnings("unchecked")
        private final HashMap<UUID, IdRef>[] shards = new HashMap[SHARDS];

        EventIds() {
            for (int i = 0; i < SHARDS; i++) {
                shards[i] = new HashMap<>();
            }
        }

        // The top bits of a multiplicative hash: HashMap indexes its buckets by the low bits of the same hashCode,
        // so choosing the map by those would leave each map's keys sharing their low bits (crowded buckets).
        private HashMap<UUID, IdRef> shard(UUID id) {
            return shards[(id.hashCode() * 0x9E3779B9) >>> 26];
        }

        @Nullable IdRef get(UUID id) {
            return shard(id).get(id);
        }

        void put(UUID id, IdRef ref) {
            shard(id).put(id, ref);
        }

        void remove(UUID id) {
            shard(id).remove(id);
        }

        int size() {
            int n = 0;
            for (HashMap<UUID, IdRef> m : shards) {
                n += m.size();
            }
            return n;
        }

        /** How many ids each map holds (tests: the spread). */
        int[] sizesPerMap() {
            int[] sizes = new int[SHARDS];
            for (int i = 0; i < SHARDS; i++) {
                sizes[i] = shards[i].size();
            }
            return sizes;
        }
    }

    /** Where an event id lives. */
    record IdRef(StreamState stream, Segment segment, int index) {
        long version() {
            return segment.firstVersion + index;
        }
    }

    final Map<String, StreamState> streams = new HashMap<>();
    final EventIds ids = new EventIds();
    /** The log offset after the last record applied. */
    long coveredOffset;
    /**
     * Set by {@link #read}: how many leading bytes of the delta file are its header and whole frames (applied or
     * covered by the base) up to the first that was not; -1 if there is no delta file of this format. A store that
     * cuts the file there can append frames continuing this index ({@link #continueDelta}).
     */
    long deltaValidBytes = -1;
    /** False for a checkpoint's own index, which never looks ids up and so does not spend memory on them. */
    private final boolean trackIds;

    StreamIndex() {
        this(true);
    }

    private StreamIndex(boolean trackIds) {
        this.trackIds = trackIds;
    }

    /** An index without the id map, holding what {@code image} captured (segments shared, not copied). */
    static StreamIndex fromImage(Image image) {
        StreamIndex ix = new StreamIndex(false);
        for (StreamImage si : image.streams()) {
            StreamState s = ix.stream(si.name());
            s.segments.addAll(java.util.Arrays.asList(si.segments()));
            s.lastVersion = si.lastVersion();
            s.deletedBefore = si.deletedBefore();
            s.softDeleted = (si.flags() & 1) != 0;
            s.tombstoned = (si.flags() & 2) != 0;
            s.metadata = si.metadata();
            for (int i = 0; i < si.snapshots().length; i += 2) {
                s.snapshots.put(si.snapshots()[i], si.snapshots()[i + 1]);
            }
        }
        return ix;
    }

    /** Applies an acknowledged APPEND record whose segment the live index already made (shared, not copied). */
    void addDurableSegment(String stream, Segment seg) {
        addSegment(stream(stream), seg);
        coveredOffset = Math.max(coveredOffset, seg.offset + 1);
    }

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
        addSegment(s, seg, events);
        return seg;
    }

    private void addSegment(StreamState s, Segment seg) {
        addSegment(s, seg, null);
    }

    /** With {@code events}, the map keys are the events' own ids: no second UUID per event for the map to keep. */
    private void addSegment(StreamState s, Segment seg, @Nullable List<EventData> events) {
        s.segments.add(seg);
        s.lastVersion = seg.lastVersion();
        s.softDeleted = false;
        for (int i = 0; trackIds && i < seg.count; i++) {
            ids.put(events != null ? events.get(i).eventId() : seg.id(i), new IdRef(s, seg, i));
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

    /**
     * A canonical description of the index (every stream's state, versions, offsets and snapshots), to compare an
     * index loaded from a checkpoint with one rebuilt from the whole log.
     */
    String fingerprint() {
        StringBuilder sb = new StringBuilder();
        new TreeMap<>(streams).forEach((name, s) -> {
            sb.append(name).append(" last=").append(s.lastVersion).append(" del<").append(s.deletedBefore)
                    .append(s.softDeleted ? " soft" : "").append(s.tombstoned ? " tomb" : "").append(' ')
                    .append(s.metadata).append(" segs=");
            for (Segment seg : s.segments) {
                sb.append(seg.firstVersion).append('+').append(seg.count).append('@').append(seg.offset).append(',');
            }
            sb.append(" snaps=").append(s.snapshots).append('\n');
        });
        sb.append("ids=").append(ids.size());
        return sb.toString();
    }

    // ---- checkpoint ----

    /**
     * What one stream looked like at {@link #capture()}: its scalars, its segments (the array is a copy, and a
     * {@link Segment}'s fields never change once made, except {@code offset}, which is set once when the log
     * acknowledges it) and its snapshots. Safe to read on any thread after the capture.
     */
    record StreamImage(String name, long lastVersion, long deletedBefore, int flags, StreamMetadata metadata,
                       Segment[] segments, long[] snapshots) {
    }

    /**
     * The whole index as of one moment, for a checkpoint to encode and write without holding the store's lock. Its
     * segments may still be waiting for the log's acknowledgement; {@link #write} needs every one acknowledged.
     */
    record Image(List<StreamImage> streams) {
    }

    /**
     * Copies the index's mutable state: O(streams + segments) reference copies, no encoding, so the store's write
     * lock is held only for this (about a millisecond per 100,000 segments) instead of for the whole encoding. The
     * caller holds the write lock.
     */
    Image capture() {
        List<StreamImage> out = new ArrayList<>(streams.size());
        for (StreamState s : streams.values()) {
            long[] snaps = new long[s.snapshots.size() * 2];
            int i = 0;
            for (Map.Entry<Long, Long> e : s.snapshots.entrySet()) {
                snaps[i++] = e.getKey();
                snaps[i++] = e.getValue();
            }
            out.add(new StreamImage(s.name, s.lastVersion, s.deletedBefore,
                    (s.softDeleted ? 1 : 0) | (s.tombstoned ? 2 : 0), s.metadata,
                    s.segments.toArray(new Segment[0]), snaps));
        }
        return new Image(out);
    }

    /**
     * Encodes {@code image} as a checkpoint covering the log up to {@code coveredOffset} (exclusive) and writes it
     * durably and atomically into {@code dir}: streamed through a fixed buffer into a temp file with a running
     * checksum (no copy of the whole index in memory), fsynced, renamed over the previous checkpoint, and the
     * directory fsynced. Every segment of the image must have its log offset by now. Returns the file's size.
     */
    static long write(Path dir, Image image, long coveredOffset) throws IOException {
        Files.createDirectories(dir);
        Path tmp = dir.resolve(FILE + ".tmp");
        long size;
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            CheckpointOutput out = new CheckpointOutput(ch);
            out.putInt(MAGIC);
            out.putInt(FORMAT);
            out.putLong(coveredOffset);
            out.putInt(image.streams().size());
            for (StreamImage s : image.streams()) {
                byte[] name = s.name().getBytes(StandardCharsets.UTF_8);
                out.putShort(name.length);
                out.put(name);
                out.putLong(s.lastVersion());
                out.putLong(s.deletedBefore());
                out.putByte(s.flags());
                out.putLong(s.metadata().maxAge().map(Duration::toMillis).orElse(-1L));
                out.putLong(s.metadata().maxCount().orElse(-1));
                out.putLong(s.metadata().truncateBefore().orElse(-1));
                out.putInt(s.segments().length);
                for (Segment seg : s.segments()) {
                    long offset = seg.offset;
                    if (offset < 0 || offset >= coveredOffset) {
                        throw new IllegalStateException("segment " + seg.firstVersion + "+" + seg.count + " of stream '"
                                + s.name() + "' is at offset " + offset + ", not below the checkpoint's " + coveredOffset);
                    }
                    out.putLong(seg.firstVersion);
                    out.putInt(seg.count);
                    out.putLong(offset);
                    out.putLong(seg.recordedAt);
                    for (long bits : seg.ids) {
                        out.putLong(bits);
                    }
                }
                out.putInt(s.snapshots().length / 2);
                for (long v : s.snapshots()) {
                    out.putLong(v);
                }
            }
            out.finish();
            ch.force(true);
            size = ch.size();
        }
        Files.move(tmp, dir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        syncDirectory(dir); // make the rename itself durable before the delta file it replaces is emptied
        return size;
    }

    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException ignored) {
            // some file systems cannot open a directory; the rename is still atomic
        }
    }

    // ---- delta file (see the class comment) ----

    /**
     * The frame of the delta file being built: the index changes of the log records {@code [fromOffset, toOffset)},
     * added in log order. Reused from one checkpoint to the next ({@link #reset}): a new buffer grown to the frame's
     * size every checkpoint was hundreds of bytes of garbage per append. Not thread-safe (the checkpoint builds it
     * under its lock).
     */
    static final class DeltaFrame {
        /** bodyLen, then the body from {@code fromOffset} on; grows to the largest frame built, then stays. */
        private ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
        private long fromOffset;
        private long toOffset;
        private int entries;

        DeltaFrame(long fromOffset) {
            reset(fromOffset);
        }

        /** Starts a new, empty frame at {@code from}, keeping the buffer. */
        void reset(long from) {
            fromOffset = from;
            toOffset = from;
            entries = 0;
            buf.clear();
            buf.position(4 + 8 + 8 + 4); // bodyLen, fromOffset, toOffset and entryCount are filled in by finish()
        }

        int entries() {
            return entries;
        }

        private ByteBuffer room(int bytes) {
            if (buf.remaining() < bytes) {
                ByteBuffer bigger = ByteBuffer.allocate(Math.max(buf.capacity() * 2, buf.position() + bytes + 4));
                buf.flip();
                bigger.put(buf);
                buf = bigger;
            }
            return buf;
        }

        private void head(byte kind, long offset, String stream, int rest) {
            if (offset < toOffset) {
                throw new IllegalStateException("delta entry at offset " + offset + " of stream '" + stream
                        + "' is not after the frame's last one (" + (toOffset - 1) + "): entries must come in log order");
            }
            byte[] name = stream.getBytes(StandardCharsets.UTF_8);
            room(1 + 8 + 2 + name.length + rest).put(kind).putLong(offset).putShort((short) name.length).put(name);
            toOffset = offset + 1;
            entries++;
        }

        /** An APPEND record whose segment the log has acknowledged. */
        void append(String stream, Segment seg) {
            head(D_APPEND, seg.offset, stream, 8 + 4 + 8 + 8 * seg.ids.length);
            buf.putLong(seg.firstVersion).putInt(seg.count).putLong(seg.recordedAt);
            for (long bits : seg.ids) {
                buf.putLong(bits);
            }
        }

        /** A control record at {@code offset} (a snapshot's payload is not kept: the index needs its version only). */
        void control(long offset, LogEntry entry) {
            switch (entry) {
                case LogEntry.Metadata m -> {
                    head(D_METADATA, offset, m.stream(), 24);
                    buf.putLong(m.metadata().maxAge().map(Duration::toMillis).orElse(-1L))
                            .putLong(m.metadata().maxCount().orElse(-1)).putLong(m.metadata().truncateBefore().orElse(-1));
                }
                case LogEntry.SoftDelete d -> {
                    head(D_SOFT_DELETE, offset, d.stream(), 8);
                    buf.putLong(d.deletedBefore());
                }
                case LogEntry.Tombstone t -> head(D_TOMBSTONE, offset, t.stream(), 0);
                case LogEntry.SnapshotEntry sn -> {
                    head(D_SNAPSHOT, offset, sn.stream(), 8);
                    buf.putLong(sn.version());
                }
                case LogEntry.Append a -> throw new IllegalArgumentException("an APPEND record of stream '" + a.stream()
                        + "' goes into a delta frame through append(stream, segment)");
            }
        }

        /**
         * Completes the frame as it is written: bodyLen | body | crc32c, ending at {@code endOffset} (the records
         * after the last entry changed nothing in the index). The returned buffer is this frame's own; valid until
         * the next {@link #reset}.
         */
        ByteBuffer finish(long endOffset) {
            room(4);
            int end = buf.position();
            int bodyLen = end - 4;
            buf.putInt(0, bodyLen).putLong(4, fromOffset).putLong(12, Math.max(endOffset, toOffset)).putInt(20, entries);
            CRC32C crc = new CRC32C();
            crc.update(buf.array(), 0, end);
            buf.putInt((int) crc.getValue());
            return buf.flip();
        }
    }

    /**
     * Empties the delta file (header only, fsynced): runs after a new base is durable, whose offsets cover every
     * frame it held. Were this lost in a crash, loading would skip those frames anyway (the base covers them).
     */
    static void resetDelta(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir.resolve(DELTA_FILE), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(ByteBuffer.allocate(DELTA_HEADER_BYTES).putInt(DELTA_MAGIC).putInt(DELTA_FORMAT).flip());
            ch.force(true);
        }
        syncDirectory(dir);
    }

    /**
     * Appends {@code frame} (covering the log up to {@code endOffset}) to the delta file and fsyncs it; returns the
     * file's size. The caller writes frames only after a base it wrote itself ({@link #resetDelta}), in log order.
     */
    static long appendDelta(Path dir, DeltaFrame frame, long endOffset) throws IOException {
        try (FileChannel ch = FileChannel.open(dir.resolve(DELTA_FILE), StandardOpenOption.WRITE,
                StandardOpenOption.APPEND)) {
            ByteBuffer buf = frame.finish(endOffset);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(false);
            return ch.size();
        }
    }

    /**
     * Applies the delta file's frames that continue {@code index} (see the class comment); stops at the first one
     * that does not, or that covers records past {@code logEnd}. Each frame is decoded whole before any of it is
     * applied, so the index never holds half a frame.
     */
    private static void applyDeltas(Path dir, StreamIndex index, long logEnd) {
        Path file = dir.resolve(DELTA_FILE);
        if (!Files.exists(file)) {
            return;
        }
        byte[] all;
        try {
            all = Files.readAllBytes(file);
        } catch (IOException e) {
            return;
        }
        ByteBuffer buf = ByteBuffer.wrap(all);
        if (buf.remaining() < DELTA_HEADER_BYTES || buf.getInt() != DELTA_MAGIC || buf.getInt() != DELTA_FORMAT) {
            return;
        }
        index.deltaValidBytes = buf.position();
        while (buf.remaining() >= 4) {
            int start = buf.position();
            int bodyLen = buf.getInt();
            if (bodyLen < 20 || bodyLen > buf.remaining() - 4) {
                return; // torn tail
            }
            CRC32C crc = new CRC32C();
            crc.update(all, start, 4 + bodyLen);
            ByteBuffer body = buf.slice(buf.position(), bodyLen);
            buf.position(buf.position() + bodyLen);
            if ((int) crc.getValue() != buf.getInt()) {
                return;
            }
            long from = body.getLong();
            long to = body.getLong();
            if (to <= index.coveredOffset) {
                index.deltaValidBytes = buf.position();
                continue; // the base already covers it
            }
            if (from != index.coveredOffset) {
                return; // a gap (or overlap): replay the rest from the log
            }
            if (to > logEnd) {
                return; // records the log no longer has: not valid, so the reopening store cuts the file here
            }
            List<Runnable> changes;
            try {
                changes = decodeFrame(body, index);
            } catch (RuntimeException e) {
                return; // a well-checksummed frame that does not parse: written by something else; replay instead
            }
            changes.forEach(Runnable::run);
            index.coveredOffset = to;
            index.deltaValidBytes = buf.position();
        }
    }

    /**
     * Makes the delta file continue what {@link #read} loaded: cut after its last good frame (a torn or corrupt tail
     * would hide every frame appended after it), or a new empty one if there was none of this format. Returns its
     * size.
     */
    static long continueDelta(Path dir, long validBytes) throws IOException {
        if (validBytes < DELTA_HEADER_BYTES) {
            resetDelta(dir);
            return DELTA_HEADER_BYTES;
        }
        long size = Files.size(dir.resolve(DELTA_FILE));
        if (size <= validBytes) {
            return size; // nothing to cut: no need to open it for writing (a read-only index folder still opens)
        }
        try (FileChannel ch = FileChannel.open(dir.resolve(DELTA_FILE), StandardOpenOption.WRITE)) {
            if (ch.size() > validBytes) {
                ch.truncate(validBytes);
                ch.force(true);
            }
            return ch.size();
        }
    }

    private static List<Runnable> decodeFrame(ByteBuffer body, StreamIndex index) {
        int count = body.getInt();
        List<Runnable> changes = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            byte kind = body.get();
            long offset = body.getLong();
            byte[] nameBytes = new byte[Short.toUnsignedInt(body.getShort())];
            body.get(nameBytes);
            String name = new String(nameBytes, StandardCharsets.UTF_8);
            switch (kind) {
                case D_APPEND -> {
                    long first = body.getLong();
                    int n = body.getInt();
                    long recordedAt = body.getLong();
                    if (n < 1 || n > body.remaining() / 16) {
                        throw new IllegalStateException("bad event count " + n);
                    }
                    long[] bits = new long[2 * n];
                    body.asLongBuffer().get(bits);
                    body.position(body.position() + 16 * n);
                    changes.add(() -> index.addSegment(index.stream(name), new Segment(first, n, recordedAt, bits, offset)));
                }
                case D_METADATA -> {
                    long age = body.getLong();
                    long max = body.getLong();
                    long truncate = body.getLong();
                    StreamMetadata m = metadata(age, max, truncate);
                    changes.add(() -> index.apply(offset, new LogEntry.Metadata(name, m)));
                }
                case D_SOFT_DELETE -> {
                    long before = body.getLong();
                    changes.add(() -> index.apply(offset, new LogEntry.SoftDelete(name, before)));
                }
                case D_TOMBSTONE -> changes.add(() -> index.apply(offset, new LogEntry.Tombstone(name)));
                case D_SNAPSHOT -> {
                    long version = body.getLong();
                    changes.add(() -> index.stream(name).snapshots.put(version, offset));
                }
                default -> throw new IllegalStateException("unknown delta entry kind " + kind);
            }
        }
        if (body.hasRemaining()) {
            throw new IllegalStateException(body.remaining() + " bytes after the last entry");
        }
        return changes;
    }

    private static StreamMetadata metadata(long age, long count, long truncate) {
        return new StreamMetadata(age < 0 ? Optional.empty() : Optional.of(Duration.ofMillis(age)),
                count < 0 ? OptionalLong.empty() : OptionalLong.of(count),
                truncate < 0 ? OptionalLong.empty() : OptionalLong.of(truncate));
    }

    /** Big-endian output through one reused buffer into a file, with a CRC-32C of every byte written. */
    private static final class CheckpointOutput {
        private final FileChannel ch;
        private final ByteBuffer buf = ByteBuffer.allocate(256 * 1024);
        private final CRC32C crc = new CRC32C();

        CheckpointOutput(FileChannel ch) {
            this.ch = ch;
        }

        private void room(int bytes) throws IOException {
            if (buf.remaining() < bytes) {
                flush();
            }
        }

        private void flush() throws IOException {
            buf.flip();
            crc.update(buf.array(), 0, buf.limit());
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            buf.clear();
        }

        void putByte(int v) throws IOException {
            room(1);
            buf.put((byte) v);
        }

        void putShort(int v) throws IOException {
            room(2);
            buf.putShort((short) v);
        }

        void putInt(int v) throws IOException {
            room(4);
            buf.putInt(v);
        }

        void putLong(long v) throws IOException {
            room(8);
            buf.putLong(v);
        }

        void put(byte[] bytes) throws IOException {
            for (int at = 0; at < bytes.length; ) {
                room(1);
                int n = Math.min(buf.remaining(), bytes.length - at);
                buf.put(bytes, at, n);
                at += n;
            }
        }

        /** Writes what is buffered, then the checksum of everything before it. */
        void finish() throws IOException {
            flush();
            buf.putInt((int) crc.getValue());
            buf.flip();
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
        }
    }

    /**
     * Loads the checkpoint in {@code dir} for a log that ends at {@code logEnd}: the base, then the delta frames that
     * continue it, up to the first frame that reaches past the log's end. Empty if there is no base, it fails its
     * checksum or it covers more than the log holds (the caller then rebuilds from the log, which is always correct,
     * only slower). A checkpoint can be ahead of its log when the log lost its unsynced tail (a topic with fsync
     * other than always) or was restored from an older copy while the index folder was kept; such frames describe
     * records that are gone, and later records at those offsets are others.
     */
    static Optional<StreamIndex> read(Path dir, long logEnd) {
        Optional<StreamIndex> base = readBase(dir).filter(ix -> ix.coveredOffset <= logEnd);
        base.ifPresent(ix -> applyDeltas(dir, ix, logEnd));
        return base;
    }

    /**
     * Removes a checkpoint the opening store does not continue, before its first append: the delta file always (its
     * frames could chain onto a later base that happens to end where one of them starts), the base too with
     * {@code dropBase} (one that covers more than the log holds would load again, wrongly, once new records made
     * the log that long). The delta file goes first: a crash between the two leaves a base the next open drops again.
     */
    static void discard(Path dir, boolean dropBase) throws IOException {
        boolean removed = Files.deleteIfExists(dir.resolve(DELTA_FILE));
        if (removed) {
            syncDirectory(dir);
        }
        if (dropBase && Files.deleteIfExists(dir.resolve(FILE))) {
            syncDirectory(dir);
        }
    }

    private static Optional<StreamIndex> readBase(Path dir) {
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
                s.metadata = metadata(age, count, truncate);
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
