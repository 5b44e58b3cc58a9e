package io.tributary.eventstore.internal.embedded;

import io.tributary.core.InvalidRequestException;
import io.tributary.eventstore.EventData;
import io.tributary.eventstore.EventStoreErrors;
import io.tributary.eventstore.StreamInfo;
import io.tributary.eventstore.StreamMetadata;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.ByteArrayInputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.zip.CRC32C;
import org.jspecify.annotations.Nullable;

/**
 * The in-memory index of the embedded store: per stream its appends (one per APPEND record), event ids, state,
 * metadata and snapshots, and a table of every live event id. Built by applying log records in offset order; saved
 * to a checkpoint file so opening a large store reads only the records after the checkpoint.
 *
 * <p>In-memory layout. The index lives for the life of the store and grows with every event, so it holds no object
 * per event or per append, only primitive arrays: a young collection copies what is live in the young generation,
 * and the objects per event kept before (a segment with its ids, its future and the future's {@code Long}, a
 * {@code UUID}, a hash-map node and a reference record) were about 240 bytes in seven objects that every young
 * collection of a busy store found alive and copied (20 MB, 60 ms pauses every few seconds in a 20 s paced run).
 * Arrays are few, and once large, sit in the old generation. What one event costs (one event per append, the worst
 * case):
 * <pre>
 * per stream ({@link StreamState}, arrays doubled as they fill):
 *   appends: long[4] per append   firstVersion | offset (-1 until acknowledged) | recordedAt | firstOrdinal  32 B
 *   ids:     long[2] per event    idMsb | idLsb, by ordinal (the event's place in the stream, from 0)       16 B
 * id table ({@link EventIds}, open addressing, at most 70% full):
 *   per slot: long[2] idMsb | idLsb, int streamSlot+1 (0 = empty), int ordinal                             24 B
 *                                                                                 about 34 B per event on average
 * </pre>
 * so about 80 bytes per event, plus the 48 of the checkpoint's own copy (appends and ids, no id table), plus the
 * arrays' room to grow. Measured on a whole store with 1M one-event appends over 10,000 streams: 180 bytes of heap
 * per event after a full GC (43,000 long[]s in all), against 240 with the objects (seven million of them). An
 * append's in-flight state (its future, what the checkpoint journal needs) is the store's, dropped once acknowledged.
 *
 * <p>Not thread-safe: the store guards its live index with a read-write lock, and the checkpoint's own index (built
 * by {@link #fromImage} and fed acknowledged records) with its checkpoint lock. The one exception is an append's log
 * offset, which the store sets once the log acknowledges the record ({@link StreamState#acknowledge}), holding no
 * index lock; it is written and read with release/acquire semantics, and the arrays it lives in are grown under the
 * stream's monitor, so the write is never lost in a copy.
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
    private static final long[] NO_LONGS = new long[0];
    /** Release/acquire access to an append's offset, the one element written without the index's lock. */
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

    /**
     * One stream: its scalars, and its appends and event ids in growable primitive arrays (layout in the class
     * comment). Append {@code i} is {@code appends[4i .. 4i+3]}; its events are the ordinals
     * {@code [firstOrdinal, firstOrdinal + count)}, where count runs to the next append's first ordinal (or to
     * {@link #eventCount} for the last). Elements below the counts never change once written, except an offset,
     * which goes once from -1 to the log's offset; a tombstone replaces the arrays rather than clearing them, so a
     * {@link #capture} may keep them without copying.
     */
    static final class StreamState {
        private static final int FIRST_VERSION = 0;
        private static final int OFFSET = 1;
        private static final int RECORDED_AT = 2;
        private static final int FIRST_ORDINAL = 3;
        private static final int APPEND_LONGS = 4;

        final String name;
        /** This stream's place in {@link #bySlot}: what the id table refers to. */
        final int slot;
        long lastVersion = StreamInfo.NO_STREAM;
        long deletedBefore;
        boolean softDeleted;
        boolean tombstoned;
        StreamMetadata metadata = StreamMetadata.none();
        /** version -> offset of the SNAPSHOT record (-1 while pending). */
        final TreeMap<Long, Long> snapshots = new TreeMap<>();
        /** Written under the index's write lock and the stream's monitor (growth), read under either. */
        private long[] appends = NO_LONGS;
        private int appendCount;
        private long[] ids = NO_LONGS;
        private int eventCount;
        /**
         * The store's: the future of this stream's latest append while the log has not acknowledged it, else null
         * (set under the write lock, cleared by the acknowledgement), so a read can wait for it.
         */
        volatile @Nullable CompletableFuture<Long> inFlight;
        private static final VarHandle IN_FLIGHT;

        static {
            try {
                IN_FLIGHT = MethodHandles.lookup().findVarHandle(StreamState.class, "inFlight", CompletableFuture.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        /** Forgets {@code acknowledged} as the in-flight append, unless a later append replaced it meanwhile. */
        void clearInFlight(CompletableFuture<Long> acknowledged) {
            IN_FLIGHT.compareAndSet(this, acknowledged, null);
        }

        StreamState(String name, int slot) {
            this.name = name;
            this.slot = slot;
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

        int appendCount() {
            return appendCount;
        }

        long firstVersion(int append) {
            return appends[append * APPEND_LONGS + FIRST_VERSION];
        }

        int count(int append) {
            int next = append + 1 < appendCount ? (int) appends[(append + 1) * APPEND_LONGS + FIRST_ORDINAL] : eventCount;
            return next - firstOrdinal(append);
        }

        long lastVersion(int append) {
            return firstVersion(append) + count(append) - 1;
        }

        /** The append's log offset, or -1 while the log has not acknowledged it. */
        long offset(int append) {
            return (long) LONGS.getAcquire(appends, append * APPEND_LONGS + OFFSET);
        }

        long recordedAt(int append) {
            return appends[append * APPEND_LONGS + RECORDED_AT];
        }

        int firstOrdinal(int append) {
            return (int) appends[append * APPEND_LONGS + FIRST_ORDINAL];
        }

        long idMsb(int ordinal) {
            return ids[2 * ordinal];
        }

        long idLsb(int ordinal) {
            return ids[2 * ordinal + 1];
        }

        /**
         * The stream's appends as of now, to read without the index's lock: the array itself and its counts, no
         * copy. The caller holds the index's lock (read or write) for this call only.
         */
        AppendTable appendTable() {
            return new AppendTable(appends, appendCount, eventCount);
        }

        /**
         * A stream's appends as {@link #appendTable()} found them: {@code rows} is the stream's array then, and rows
         * below {@code count} never change except an offset going once from -1 to the log's, so any thread may read
         * them without a lock. An acknowledgement after the stream outgrew {@code rows} lands in the new array only,
         * so an offset read here may still be -1 for an append acknowledged since; one acknowledged before the table
         * was taken is always seen. Read-only.
         */
        record AppendTable(long[] rows, int count, int eventCount) {
            long firstVersion(int append) {
                return rows[append * APPEND_LONGS + FIRST_VERSION];
            }

            /** How many events append {@code append} holds. */
            int count(int append) {
                int next = append + 1 < count ? (int) rows[(append + 1) * APPEND_LONGS + FIRST_ORDINAL] : eventCount;
                return next - (int) rows[append * APPEND_LONGS + FIRST_ORDINAL];
            }

            /** The append's log offset, or -1 if it was in flight when last written to {@code rows}. */
            long offset(int append) {
                return (long) LONGS.getAcquire(rows, append * APPEND_LONGS + OFFSET);
            }
        }

        /**
         * Records the log's offset for append {@code append}; called by whichever thread completed the log append,
         * holding no index lock (the monitor keeps a concurrent growth of the array from copying it over).
         */
        synchronized void acknowledge(int append, long offset) {
            LONGS.setRelease(appends, append * APPEND_LONGS + OFFSET, offset);
        }

        /** The append holding {@code version}, by binary search; {@code -1 - insertionPoint} if none does. */
        int appendIndexOf(long version) {
            int lo = 0;
            int hi = appendCount - 1;
            while (lo <= hi) {
                int mid = (lo + hi) >>> 1;
                if (version < firstVersion(mid)) {
                    hi = mid - 1;
                } else if (version > lastVersion(mid)) {
                    lo = mid + 1;
                } else {
                    return mid;
                }
            }
            return -1 - lo;
        }

        /** The append holding the event at {@code ordinal}, by binary search. */
        int appendIndexOfOrdinal(int ordinal) {
            int lo = 0;
            int hi = appendCount - 1;
            while (lo < hi) {
                int mid = (lo + hi + 1) >>> 1;
                if (firstOrdinal(mid) <= ordinal) {
                    lo = mid;
                } else {
                    hi = mid - 1;
                }
            }
            return lo;
        }

        long versionOfOrdinal(int ordinal) {
            int a = appendIndexOfOrdinal(ordinal);
            return firstVersion(a) + (ordinal - firstOrdinal(a));
        }

        /** The longest array the JVM reliably allocates. */
        static final int MAX_ARRAY = Integer.MAX_VALUE - 8;
        /** The most events a stream holds: two longs of {@link #ids} each. */
        static final int MAX_EVENTS = MAX_ARRAY / 2;
        /** The most appends a stream holds: {@value #APPEND_LONGS} longs of {@link #appends} each. */
        static final int MAX_APPENDS = MAX_ARRAY / APPEND_LONGS;

        /**
         * Refuses an append of {@code count} events at {@code firstVersion} to stream {@code name}, which holds
         * {@code appends} appends of {@code events} events, if its arrays could not hold it; checked before anything
         * changes, so the index and the log are untouched. The appends run out first when they are small (one event
         * each: about 537 million), the events otherwise (about 1.07 billion).
         */
        static void checkRoom(String name, long firstVersion, int appends, int events, int count) {
            if ((long) events + count > MAX_EVENTS || appends + 1L > MAX_APPENDS) {
                throw new InvalidRequestException(EventStoreErrors.STREAM_TOO_LONG, "Stream '" + name
                        + "' cannot take versions " + firstVersion + ".." + (firstVersion + count - 1)
                        + ": the embedded store's index holds at most " + MAX_EVENTS + " events in at most "
                        + MAX_APPENDS + " appends per stream, and the stream has " + events + " events in " + appends
                        + " appends. Continue in a new stream (e.g. start '" + name + "-2' from a snapshot of this "
                        + "one's state), or append more events per append.");
            }
        }

        /** Adds one append of {@code count} events whose ids the caller then writes with {@link #setId}. */
        private int add(long firstVersion, int count, long recordedAt, long offset) {
            checkRoom(name, firstVersion, appendCount, eventCount, count);
            // within the limits above, neither product overflows an int
            if ((appendCount + 1) * APPEND_LONGS > appends.length || 2 * (eventCount + count) > ids.length) {
                grow(count);
            }
            int a = appendCount;
            int at = a * APPEND_LONGS;
            appends[at + FIRST_VERSION] = firstVersion;
            appends[at + RECORDED_AT] = recordedAt;
            appends[at + FIRST_ORDINAL] = eventCount;
            LONGS.setRelease(appends, at + OFFSET, offset);
            appendCount = a + 1;
            eventCount += count;
            return a;
        }

        /**
         * Grows, under the monitor, to fit one more append of {@code count} events: from room for 4 appends and 4
         * events, doubling (growing from the exact size by half reallocated a short stream's arrays at almost every
         * append, about 300 bytes of garbage per append in the paced run).
         */
        private synchronized void grow(int count) {
            int needAppends = (appendCount + 1) * APPEND_LONGS;
            if (needAppends > appends.length) {
                appends = Arrays.copyOf(appends, grownLength(appends.length, needAppends, 4 * APPEND_LONGS));
            }
            int needIds = 2 * (eventCount + count);
            if (needIds > ids.length) {
                ids = Arrays.copyOf(ids, grownLength(ids.length, needIds, 8));
            }
        }

        /**
         * The new length of an array of {@code length} that must hold {@code needed}: double, at least
         * {@code minimum}, at most {@link #MAX_ARRAY}. Doubling in an int overflowed at 2^30 longs, and the exact
         * size it then fell back to made every later append copy the whole array (8 GB).
         */
        static int grownLength(int length, int needed, int minimum) {
            return Math.max(needed, Math.max(minimum, (int) Math.min(2L * length, MAX_ARRAY)));
        }

        private void setId(int ordinal, long msb, long lsb) {
            ids[2 * ordinal] = msb;
            ids[2 * ordinal + 1] = lsb;
        }

        /** Drops every append; new arrays, so a capture holding the old ones still sees them. */
        private synchronized void clearAppends() {
            appends = NO_LONGS;
            ids = NO_LONGS;
            appendCount = 0;
            eventCount = 0;
        }
    }

    /**
     * The id of every stored event, for idempotent appends: {@value #SHARDS} open-addressing tables (linear probing,
     * deletion by backward shift), chosen by the top bits of the id's hash. A slot is primitives only, the id and
     * where it lives (a stream slot and the event's ordinal in it), so the table adds no object per event for the
     * garbage collector to trace or copy. A table doubles when it is 70% full; split, the append that grows one
     * rehashes 1/{@value #SHARDS} of the ids under the store's write lock (one table of every id stalled every
     * writer 12-90 ms at 25k-200k events in a 20 s paced run). Not thread-safe: guarded like the rest of the index.
     */
    static final class EventIds {
        static final int SHARDS = 64;
        /** {@link #get}'s answer for an id not in the table. */
        static final long ABSENT = -1;
        private static final int INITIAL_SLOTS = 16;

        /** One table: slot {@code i} is {@code keys[2i]} (msb), {@code keys[2i+1]} (lsb), streams[i], ordinals[i]. */
        private static final class Shard {
            long[] keys = new long[2 * INITIAL_SLOTS];
            /** The stream's slot plus one; 0 marks an empty slot (any id, the nil UUID too, can be a key). */
            int[] streams = new int[INITIAL_SLOTS];
            int[] ordinals = new int[INITIAL_SLOTS];
            int size;
        }

        private final Shard[] shards = new Shard[SHARDS];

        EventIds() {
            for (int i = 0; i < SHARDS; i++) {
                shards[i] = new Shard();
            }
        }

        /** Mixes both halves (a time-ordered id varies in few bits of its msb): the shard from the top bits, the slot from the low ones. */
        private static long hash(long msb, long lsb) {
            long h = msb * 0x9E3779B97F4A7C15L ^ lsb;
            h = (h ^ (h >>> 30)) * 0xBF58476D1CE4E5B9L;
            h = (h ^ (h >>> 27)) * 0x94D049BB133111EBL;
            return h ^ (h >>> 31);
        }

        private Shard shard(long h) {
            return shards[(int) (h >>> 58)];
        }

        /** Where the id lives, as {@code streamSlot << 32 | ordinal}, or {@link #ABSENT}. */
        long get(long msb, long lsb) {
            long h = hash(msb, lsb);
            Shard s = shard(h);
            int mask = s.streams.length - 1;
            for (int i = (int) h & mask; s.streams[i] != 0; i = (i + 1) & mask) {
                if (s.keys[2 * i] == msb && s.keys[2 * i + 1] == lsb) {
                    return (long) (s.streams[i] - 1) << 32 | s.ordinals[i];
                }
            }
            return ABSENT;
        }

        static int streamSlotOf(long ref) {
            return (int) (ref >>> 32);
        }

        static int ordinalOf(long ref) {
            return (int) ref;
        }

        /** Adds the id, or moves it to the new place if present. */
        void put(long msb, long lsb, int streamSlot, int ordinal) {
            long h = hash(msb, lsb);
            Shard s = shard(h);
            if (10 * (s.size + 1) > 7 * s.streams.length) {
                rehash(s);
            }
            int mask = s.streams.length - 1;
            int i = (int) h & mask;
            while (s.streams[i] != 0 && (s.keys[2 * i] != msb || s.keys[2 * i + 1] != lsb)) {
                i = (i + 1) & mask;
            }
            if (s.streams[i] == 0) {
                s.size++;
                s.keys[2 * i] = msb;
                s.keys[2 * i + 1] = lsb;
            }
            s.streams[i] = streamSlot + 1;
            s.ordinals[i] = ordinal;
        }

        private static void rehash(Shard s) {
            long[] oldKeys = s.keys;
            int[] oldStreams = s.streams;
            int[] oldOrdinals = s.ordinals;
            int slots = oldStreams.length * 2;
            s.keys = new long[2 * slots];
            s.streams = new int[slots];
            s.ordinals = new int[slots];
            int mask = slots - 1;
            for (int j = 0; j < oldStreams.length; j++) {
                if (oldStreams[j] == 0) {
                    continue;
                }
                long msb = oldKeys[2 * j];
                long lsb = oldKeys[2 * j + 1];
                int i = (int) hash(msb, lsb) & mask;
                while (s.streams[i] != 0) {
                    i = (i + 1) & mask;
                }
                s.keys[2 * i] = msb;
                s.keys[2 * i + 1] = lsb;
                s.streams[i] = oldStreams[j];
                s.ordinals[i] = oldOrdinals[j];
            }
        }

        void remove(long msb, long lsb) {
            Shard s = shard(hash(msb, lsb));
            int mask = s.streams.length - 1;
            int i = (int) hash(msb, lsb) & mask;
            while (s.streams[i] != 0 && (s.keys[2 * i] != msb || s.keys[2 * i + 1] != lsb)) {
                i = (i + 1) & mask;
            }
            if (s.streams[i] == 0) {
                return;
            }
            s.size--;
            // Backward shift: move later entries of the probe run into the hole when their home slot allows it, so
            // lookups, which stop at the first empty slot, still find them; no deletion markers to pile up.
            int hole = i;
            for (int j = (hole + 1) & mask; s.streams[j] != 0; j = (j + 1) & mask) {
                int home = (int) hash(s.keys[2 * j], s.keys[2 * j + 1]) & mask;
                // j may move into the hole only if its home is not cyclically within (hole, j]
                boolean homeAfterHole = hole <= j ? hole < home && home <= j : hole < home || home <= j;
                if (!homeAfterHole) {
                    s.keys[2 * hole] = s.keys[2 * j];
                    s.keys[2 * hole + 1] = s.keys[2 * j + 1];
                    s.streams[hole] = s.streams[j];
                    s.ordinals[hole] = s.ordinals[j];
                    hole = j;
                }
            }
            s.streams[hole] = 0;
        }

        int size() {
            int n = 0;
            for (Shard s : shards) {
                n += s.size;
            }
            return n;
        }

        /** How many ids each table holds (tests: the spread). */
        int[] sizesPerMap() {
            int[] sizes = new int[SHARDS];
            for (int i = 0; i < SHARDS; i++) {
                sizes[i] = shards[i].size;
            }
            return sizes;
        }
    }

    final Map<String, StreamState> streams = new HashMap<>();
    /** Every stream by its slot (slots are never reused: a tombstoned stream keeps its state). */
    private final ArrayList<StreamState> bySlot = new ArrayList<>();
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

    /** An empty index without the id table, for a checkpoint's own index (it never looks ids up). */
    static StreamIndex withoutIds() {
        return new StreamIndex(false);
    }

    /** An index without the id table, holding what {@code image} captured (arrays copied: this index grows them). */
    static StreamIndex fromImage(Image image) {
        StreamIndex ix = new StreamIndex(false);
        for (StreamImage si : image.streams()) {
            StreamState s = ix.stream(si.name());
            s.appends = Arrays.copyOf(si.appends(), si.appendCount() * StreamState.APPEND_LONGS);
            s.appendCount = si.appendCount();
            s.ids = Arrays.copyOf(si.ids(), 2 * si.eventCount());
            s.eventCount = si.eventCount();
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

    StreamState stream(String name) {
        StreamState s = streams.get(name);
        if (s == null) {
            s = new StreamState(name, bySlot.size());
            streams.put(name, s);
            bySlot.add(s);
        }
        return s;
    }

    @Nullable StreamState find(String name) {
        return streams.get(name);
    }

    /** The stream a reference from the id table points into. */
    StreamState streamAt(int slot) {
        return bySlot.get(slot);
    }

    /** Adds an APPEND record's events ({@code offset} -1 until the log acknowledges it); returns its append index. */
    int addAppend(String stream, long firstVersion, long recordedAt, List<EventData> events, long offset) {
        StreamState s = stream(stream);
        int a = s.add(firstVersion, events.size(), recordedAt, offset);
        int ordinal = s.firstOrdinal(a);
        for (int i = 0; i < events.size(); i++) {
            java.util.UUID id = events.get(i).eventId();
            addId(s, ordinal + i, id.getMostSignificantBits(), id.getLeastSignificantBits());
        }
        appended(s, a);
        return a;
    }

    /** Adds an acknowledged APPEND record whose ids are {@code idBits[from .. from + 2 * count)} (msb, lsb pairs). */
    int addAppend(String stream, long firstVersion, int count, long recordedAt, long[] idBits, int from, long offset) {
        StreamState s = stream(stream);
        int a = s.add(firstVersion, count, recordedAt, offset);
        int ordinal = s.firstOrdinal(a);
        for (int i = 0; i < count; i++) {
            addId(s, ordinal + i, idBits[from + 2 * i], idBits[from + 2 * i + 1]);
        }
        appended(s, a);
        coveredOffset = Math.max(coveredOffset, offset + 1);
        return a;
    }

    private void addId(StreamState s, int ordinal, long msb, long lsb) {
        s.setId(ordinal, msb, lsb);
        if (trackIds) {
            ids.put(msb, lsb, s.slot, ordinal);
        }
    }

    private static void appended(StreamState s, int append) {
        s.lastVersion = s.lastVersion(append);
        s.softDeleted = false;
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
        for (int ordinal = 0; trackIds && ordinal < s.eventCount; ordinal++) {
            ids.remove(s.idMsb(ordinal), s.idLsb(ordinal));
        }
        s.clearAppends();
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
            for (int a = 0; a < s.appendCount; a++) {
                sb.append(s.firstVersion(a)).append('+').append(s.count(a)).append('@').append(s.offset(a)).append(',');
            }
            sb.append(" snaps=").append(s.snapshots).append('\n');
        });
        sb.append("ids=").append(ids.size());
        return sb.toString();
    }

    // ---- checkpoint ----

    /**
     * What one stream looked like at {@link #capture()}: its scalars, its appends and ids (the stream's own arrays,
     * not copies, with their counts at the capture: every append below the counts was acknowledged before the capture,
     * and elements below the counts never change, so later growth or appends do not touch them) and its snapshots.
     * Safe to read on any thread the capture was handed to safely.
     */
    record StreamImage(String name, long lastVersion, long deletedBefore, int flags, StreamMetadata metadata,
                       long[] appends, int appendCount, long[] ids, int eventCount, long[] snapshots) {
    }

    /**
     * The whole index as of one moment, for a checkpoint to encode and write without holding the store's lock. Every
     * append in it has its log offset: {@link #capture()} refuses an index with an append in flight.
     */
    record Image(List<StreamImage> streams) {
    }

    /**
     * Takes the index's mutable state: O(streams) work, no copy of the per-stream arrays and no encoding, so the
     * caller holds its lock only for this. The caller holds the index's write lock, and no append may be in flight:
     * the image keeps the stream's arrays, and an acknowledgement after the stream outgrew them (and copied them)
     * would write its offset into the new array only, leaving the image's at -1. The store captures its live index
     * only at open, before any append, and otherwise the checkpoint's own index, which holds acknowledged appends
     * only.
     *
     * @throws IllegalStateException if a stream's latest append is in flight (the log acknowledges a stream's
     *     appends in order, so then none before it is)
     */
    Image capture() {
        List<StreamImage> out = new ArrayList<>(streams.size());
        for (StreamState s : streams.values()) {
            if (s.inFlight != null || s.appendCount > 0 && s.offset(s.appendCount - 1) < 0) {
                int last = s.appendCount - 1;
                throw new IllegalStateException("stream '" + s.name + "' has an append in flight (versions "
                        + (last < 0 ? "?" : s.firstVersion(last) + ".." + s.lastVersion(last))
                        + "): an index is captured only with every append acknowledged, since an acknowledgement after"
                        + " the capture may land in an array the capture no longer shares; capture before appending"
                        + " or capture the checkpoint's own index");
            }
            long[] snaps = new long[s.snapshots.size() * 2];
            int i = 0;
            for (Map.Entry<Long, Long> e : s.snapshots.entrySet()) {
                snaps[i++] = e.getKey();
                snaps[i++] = e.getValue();
            }
            long[] appends;
            synchronized (s) { // the array an acknowledgement writes into, as of now
                appends = s.appends;
            }
            out.add(new StreamImage(s.name, s.lastVersion, s.deletedBefore,
                    (s.softDeleted ? 1 : 0) | (s.tombstoned ? 2 : 0), s.metadata,
                    appends, s.appendCount, s.ids, s.eventCount, snaps));
        }
        return new Image(out);
    }

    /**
     * Encodes {@code image} as a checkpoint covering the log up to {@code coveredOffset} (exclusive) and writes it
     * durably and atomically into {@code dir}: streamed through a fixed buffer into a temp file with a running
     * checksum (no copy of the whole index in memory), fsynced, renamed over the previous checkpoint, and the
     * directory fsynced. Every append of the image must have its log offset by now. Returns the file's size.
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
                out.putInt(s.appendCount());
                long[] appends = s.appends();
                for (int a = 0; a < s.appendCount(); a++) {
                    int at = a * StreamState.APPEND_LONGS;
                    long first = appends[at + StreamState.FIRST_VERSION];
                    int firstOrdinal = (int) appends[at + StreamState.FIRST_ORDINAL];
                    int next = a + 1 < s.appendCount()
                            ? (int) appends[at + StreamState.APPEND_LONGS + StreamState.FIRST_ORDINAL] : s.eventCount();
                    int count = next - firstOrdinal;
                    long offset = (long) LONGS.getAcquire(appends, at + StreamState.OFFSET);
                    if (offset < 0 || offset >= coveredOffset) {
                        throw new IllegalStateException("append " + first + "+" + count + " of stream '"
                                + s.name() + "' is at offset " + offset + ", not below the checkpoint's " + coveredOffset);
                    }
                    out.putLong(first);
                    out.putInt(count);
                    out.putLong(offset);
                    out.putLong(appends[at + StreamState.RECORDED_AT]);
                    for (int k = 2 * firstOrdinal; k < 2 * next; k++) {
                        out.putLong(s.ids()[k]);
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

        /** Append {@code append} of {@code s}, which the log has acknowledged. */
        void append(StreamState s, int append) {
            int first = s.firstOrdinal(append);
            append(s.name, s.firstVersion(append), s.count(append), s.recordedAt(append), s.offset(append), s.ids,
                    2 * first);
        }

        /** An acknowledged APPEND record whose ids are {@code idBits[from .. from + 2 * count)} (msb, lsb pairs). */
        void append(String stream, long firstVersion, int count, long recordedAt, long offset, long[] idBits, int from) {
            head(D_APPEND, offset, stream, 8 + 4 + 8 + 16 * count);
            buf.putLong(firstVersion).putInt(count).putLong(recordedAt);
            for (int k = from; k < from + 2 * count; k++) {
                buf.putLong(idBits[k]);
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
                        + "' goes into a delta frame through append(...)");
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
                    changes.add(() -> index.addAppend(name, first, n, recordedAt, bits, 0, offset));
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
                int appends = in.readInt();
                for (int j = 0; j < appends; j++) {
                    long first = in.readLong();
                    int n = in.readInt();
                    long offset = in.readLong();
                    long recordedAt = in.readLong();
                    if (n < 1 || n > (all.length - 4) / 16) {
                        return Optional.empty(); // cannot be: the checksum passed; written by something else
                    }
                    long[] bits = new long[2 * n];
                    for (int k = 0; k < bits.length; k++) {
                        bits[k] = in.readLong();
                    }
                    index.addAppend(s.name, first, n, recordedAt, bits, 0, offset);
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
