package io.tributary.eventstore.internal.embedded;

import io.tributary.core.CorruptionException;
import io.tributary.core.ErrorCode;
import io.tributary.core.Headers;
import io.tributary.core.InvalidRequestException;
import io.tributary.core.NotFoundException;
import io.tributary.core.Record;
import io.tributary.core.RetriableException;
import io.tributary.core.TributaryException;
import io.tributary.eventstore.AllSlice;
import io.tributary.eventstore.Direction;
import io.tributary.eventstore.DuplicateEventIdException;
import io.tributary.eventstore.EmbeddedEventStoreConfig;
import io.tributary.eventstore.EventData;
import io.tributary.eventstore.EventFilter;
import io.tributary.eventstore.EventStoreErrors;
import io.tributary.eventstore.ExpectedVersion;
import io.tributary.eventstore.RecordedEvent;
import io.tributary.eventstore.Snapshot;
import io.tributary.eventstore.StreamDeletedException;
import io.tributary.eventstore.StreamInfo;
import io.tributary.eventstore.StreamMetadata;
import io.tributary.eventstore.StreamName;
import io.tributary.eventstore.WriteResult;
import io.tributary.eventstore.WrongExpectedVersionException;
import io.tributary.eventstore.internal.AbstractEventStore;
import io.tributary.eventstore.internal.embedded.StreamIndex.EventIds;
import io.tributary.eventstore.internal.embedded.StreamIndex.StreamState;
import io.tributary.log.AppendResult;
import io.tributary.log.EventLog;
import io.tributary.log.LogProducer;
import io.tributary.log.LogRecord;
import io.tributary.log.NewTopic;
import io.tributary.log.ProducerConfig;
import io.tributary.log.TopicConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.LongConsumer;
import org.jspecify.annotations.Nullable;

/**
 * The event store on Tributary's log engine. The store's log is one partition of one topic; every change is one
 * record ({@link LogEntry}), so appends are atomic and totally ordered, and an event's global position is
 * {@code (offset << 20) | index}. Appends are checked against an in-memory {@link StreamIndex} under a write lock,
 * sent asynchronously, and acknowledged once the log has synced them (fsync=always): concurrent appends share one
 * fsync (group commit).
 *
 * <p>The committed watermark is the end of the longest prefix of acknowledged records; reads of {@code $all} and
 * streams never go beyond it, so a reader can never see a later record before an earlier one. The index is
 * checkpointed every {@link EmbeddedEventStoreConfig#checkpointEveryRecords()} records; opening replays only the
 * records after the checkpoint. If the log fails a write, the store stops accepting writes (its in-memory state
 * may be ahead of the log) until it is reopened, which rebuilds the state from the log. Checkpoints are incremental
 * (a delta frame of the records since the last one; a whole new base now and then, see {@link StreamIndex}).
 *
 * <p>Thread-safe.
 */
public final class EmbeddedEventStore extends AbstractEventStore {

    private static final int INDEX_BITS = 20;
    private static final long INDEX_MASK = (1L << INDEX_BITS) - 1;
    private static final int SCAN_BUDGET = 4096;
    /** Most records handed to the log in one group; bounds one appendAll's memory and keeps acks flowing. */
    private static final int MAX_GROUP = 1024;
    /** Longest wait of {@link #close()} for in-flight appends to reach the checkpoint journal. */
    private static final long CLOSE_DRAIN_WAIT_MS = 5_000;

    /**
     * A record sent to the log and not yet part of the durable prefix. Dropped once durable: what the checkpoint
     * needs of it is copied into the {@link DurableRecords journal}, so no object per append outlives its
     * acknowledgement (the index itself holds none, see {@link StreamIndex}).
     */
    private static final class PendingWrite {
        final CompletableFuture<Long> durable;
        final String stream;
        /** An APPEND record: the live index's stream, the append's index in it, and its events (for their ids). */
        final @Nullable PendingAppend append;
        /** A control record (metadata, delete, snapshot); null for an APPEND record. */
        final @Nullable LogEntry control;
        volatile long offset = -1;
        volatile boolean acked;

        PendingWrite(CompletableFuture<Long> durable, String stream, @Nullable PendingAppend append,
                     @Nullable LogEntry control) {
            this.durable = durable;
            this.stream = stream;
            this.append = append;
            this.control = control;
        }
    }

    /** An APPEND record in flight: where it is in the live index, and what the checkpoint journal copies of it. */
    private record PendingAppend(StreamState state, int index, long firstVersion, long recordedAt,
                                 List<EventData> events) {
    }

    /**
     * Durable records in log order, not yet applied to the checkpoint's own index, as primitives in arrays that are
     * reused from one checkpoint to the next: per record {@code offset | firstVersion | count (-1: a control record)
     * | recordedAt}, the ids of its events (msb, lsb pairs) and its stream's name (or control entry). Holding the
     * records' objects instead kept every append's future and ids alive until the next checkpoint. Not thread-safe:
     * the store fills one under its ack lock and the checkpoint swaps it for an empty one there.
     */
    private static final class DurableRecords {
        private static final int HEAD_LONGS = 4;
        private Object[] subjects = new Object[256];
        private long[] heads = new long[256 * HEAD_LONGS];
        private long[] idBits = new long[512];
        private int records;
        private int idLongs;

        void addAppend(long offset, PendingAppend a) {
            int n = a.events().size();
            room(2 * n);
            put(offset, a.firstVersion(), n, a.recordedAt(), a.state().name);
            for (EventData e : a.events()) {
                idBits[idLongs++] = e.eventId().getMostSignificantBits();
                idBits[idLongs++] = e.eventId().getLeastSignificantBits();
            }
        }

        void addControl(long offset, LogEntry control) {
            room(0);
            put(offset, 0, -1, 0, control);
        }

        private void put(long offset, long firstVersion, int count, long recordedAt, Object subject) {
            int at = records * HEAD_LONGS;
            heads[at] = offset;
            heads[at + 1] = firstVersion;
            heads[at + 2] = count;
            heads[at + 3] = recordedAt;
            subjects[records++] = subject;
        }

        private void room(int ids) {
            if (records == subjects.length) {
                subjects = Arrays.copyOf(subjects, records * 2);
                heads = Arrays.copyOf(heads, records * 2 * HEAD_LONGS);
            }
            if (idLongs + ids > idBits.length) {
                idBits = Arrays.copyOf(idBits, Math.max(idLongs + ids, idBits.length * 2));
            }
        }

        /**
         * Applies every record at or after {@code covered} to {@code index} (and {@code frame}); returns the new
         * covered offset. If it throws, {@code index} may hold some of the records, the last one perhaps in part.
         */
        long applyTo(StreamIndex index, StreamIndex.@Nullable DeltaFrame frame, long covered,
                     @Nullable LongConsumer beforeRecord) {
            int ids = 0;
            for (int r = 0; r < records; r++) {
                int at = r * HEAD_LONGS;
                long offset = heads[at];
                if (beforeRecord != null && offset >= covered) {
                    beforeRecord.accept(offset);
                }
                int count = (int) heads[at + 2];
                int from = ids;
                if (count >= 0) {
                    ids += 2 * count;
                }
                if (offset < covered) {
                    continue; // already in the seed
                }
                if (count >= 0) {
                    String stream = (String) subjects[r];
                    index.addAppend(stream, heads[at + 1], count, heads[at + 3], idBits, from, offset);
                    if (frame != null) {
                        frame.append(stream, heads[at + 1], count, heads[at + 3], offset, idBits, from);
                    }
                } else {
                    LogEntry control = (LogEntry) subjects[r];
                    index.apply(offset, control);
                    if (frame != null) {
                        frame.control(offset, control);
                    }
                }
                covered = offset + 1;
            }
            return covered;
        }

        void clear() {
            Arrays.fill(subjects, 0, records, null);
            records = 0;
            idLongs = 0;
        }
    }

    private final EventLog log;
    private final boolean ownsLog;
    private final EmbeddedEventStoreConfig config;
    private final String topic;
    private final LogProducer producer;
    private final LogReader reader;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final StreamIndex index;
    private final Object ackLock = new Object();
    private final ArrayDeque<PendingWrite> pending = new ArrayDeque<>();
    private final ConcurrentLinkedQueue<Outgoing> outbox = new ConcurrentLinkedQueue<>();
    private final ReentrantLock sendLock = new ReentrantLock();
    private volatile long durableEnd;
    private volatile @Nullable Throwable broken;
    private volatile long lastCheckpointOffset;
    private final AtomicBoolean checkpointing = new AtomicBoolean();
    private final ReentrantLock checkpointLock = new ReentrantLock();
    /**
     * Durable records in log order, not yet applied to {@link #shadow}; filled under {@link #ackLock}. Bounded by the
     * checkpoint interval: each checkpoint swaps it for {@link #journalSpare} and empties it (about
     * {@code checkpointEveryRecords} records of 32 bytes plus 16 per event).
     */
    private DurableRecords journal = new DurableRecords();
    /** The empty journal the next checkpoint swaps in. Guarded by {@link #checkpointLock}. */
    private DurableRecords journalSpare = new DurableRecords();
    /**
     * The checkpoint's own index, exactly what recovery would build from the log up to {@link #shadowCovered}: its
     * own stream states and arrays, no id table. Seeded in
     * {@link #open} by a capture of the live index before any append, then kept up to date from {@link #journal}, so
     * checkpoints need no store lock at all. Guarded by {@link #checkpointLock}.
     */
    private @Nullable StreamIndex shadow;
    private long shadowCovered;
    /**
     * Set when bringing {@link #shadow} up to date failed partway (say, out of memory while one of its arrays grew):
     * it may then hold part of the journal's records, and the rest are gone with the journal, so it no longer is
     * what recovery would build up to {@link #shadowCovered}. The next checkpoint rebuilds it from the log before
     * writing anything; a base written from it as it was would claim to cover records it lacks, and a reopened
     * store would lose those appends. Guarded by {@link #checkpointLock}.
     */
    private boolean shadowStale;
    /**
     * True once this instance wrote a base and emptied the delta file after it, until a write fails: only then may a
     * checkpoint append a delta frame. Guarded by {@link #checkpointLock}, like the sizes below.
     */
    private boolean deltaContinuesBase;
    private long baseBytes;
    private long deltaBytes;
    private int fullCheckpoints;
    private final StreamIndex.DeltaFrame deltaFrame = new StreamIndex.DeltaFrame(0);
    /** Test hook: runs in {@link #checkpoint()} once its index is up to date, before encoding, no store lock held. */
    volatile @Nullable Runnable afterCapture;
    /** Test hook: runs on the thread that completed a log append, before {@link #drain()} moves the watermark. */
    volatile @Nullable Runnable beforeDrain;
    /** Tests: runs in the drain after an append's offset reached the index, just before the watermark moves over it. */
    volatile @Nullable Runnable beforeWatermark;
    /** Test hook: runs in {@link #checkpoint()} before each durable record is applied to its index, with its offset. */
    volatile @Nullable LongConsumer beforeCheckpointApplies;
    /** Test hook: runs in {@link #writeControl} after the record is sent, before waiting for it to be durable. */
    volatile @Nullable Runnable beforeControlWait;
    private final long recoveredRecords;

    private EmbeddedEventStore(EventLog log, boolean ownsLog, EmbeddedEventStoreConfig config, LogReader reader,
                               StreamIndex index, long end, long recoveredRecords) {
        this.log = log;
        this.ownsLog = ownsLog;
        this.config = config;
        this.topic = config.topic();
        this.reader = reader;
        this.index = index;
        this.durableEnd = end;
        this.lastCheckpointOffset = end - recoveredRecords;
        this.recoveredRecords = recoveredRecords;
        this.producer = log.producer(ProducerConfig.defaults().withClientId("tributary-eventstore"));
    }

    /**
     * Opens the store on {@code log}, creating its topic if needed, loading the index checkpoint and replaying the
     * records after it. With {@code ownsLog} the store closes the log when it is closed.
     */
    public static EmbeddedEventStore open(EventLog log, EmbeddedEventStoreConfig config, boolean ownsLog) {
        String topic = config.topic();
        if (!log.admin().topicExists(topic)) {
            log.admin().createTopic(new NewTopic(topic, 1, TopicConfig.of(Map.of(
                    TopicConfig.FSYNC, "always", TopicConfig.RETENTION_MS, "-1"))));
        }
        int partitions = log.admin().describeTopic(topic).partitions().size();
        if (partitions != 1) {
            throw new InvalidRequestException(ErrorCode.INVALID_CONFIG, "Topic '" + topic + "' has " + partitions
                    + " partitions, but an event store needs exactly one (its single ordered log). Use another topic "
                    + "name in EmbeddedEventStoreConfig.topic.");
        }
        LogReader reader = new LogReader(log, topic, config.readerPoolSize());
        try {
            long end = reader.endOffset();
            Path dir = config.indexDirectory();
            Optional<StreamIndex> loaded = StreamIndex.read(dir, end);
            StreamIndex index = loaded.orElseGet(StreamIndex::new);
            long from = Math.max(index.coveredOffset, reader.beginningOffset());
            // The records replayed now go into the first delta frame, so that the checkpoint on disk can be continued
            // (no whole-index rewrite per open) whenever a base loaded and the replay starts where it ended.
            long deltaBytes = keepWhatContinues(dir, loaded.isPresent(), loaded.isPresent()
                    && from == index.coveredOffset, index.deltaValidBytes);
            StreamIndex.DeltaFrame replayFrame = deltaBytes >= 0 ? new StreamIndex.DeltaFrame(from) : null;
            long replayed = replay(reader, index, from, end, replayFrame);
            index.coveredOffset = end;
            EmbeddedEventStore store = new EmbeddedEventStore(log, ownsLog, config, reader, index, end, replayed);
            store.prepareCheckpoints(replayFrame, deltaBytes);
            return store;
        } catch (RuntimeException e) {
            reader.close();
            throw e;
        }
    }

    /**
     * Leaves on disk only a checkpoint this open continues, before the first append: with {@code continues}, the
     * delta file cut after the last frame that loaded (a torn tail, or frames of records the log no longer has, would
     * otherwise stay there, and the latter load again once new records made the log that long); otherwise the delta
     * file removed, and the base too if it did not load. Returns the delta file's size, or -1 if the checkpoint is
     * not continued (the first checkpoint then writes a base).
     */
    private static long keepWhatContinues(Path dir, boolean loaded, boolean continues, long deltaValidBytes) {
        if (continues) {
            try {
                return StreamIndex.continueDelta(dir, deltaValidBytes);
            } catch (IOException | RuntimeException e) {
                // the frames past the cut may still be there: remove the delta file below, keep the base
            }
        }
        try {
            StreamIndex.discard(dir, !loaded);
            return -1;
        } catch (IOException e) {
            throw new RetriableException(ErrorCode.STORAGE_FAILURE, "The embedded event store could not remove the "
                    + "index checkpoint in '" + dir + "' that it cannot continue (" + e.getMessage() + "); left "
                    + "there, it could later load against records it does not describe. Make the folder writable, "
                    + "or delete '" + StreamIndex.FILE + "' and '" + StreamIndex.DELTA_FILE + "' in it, and open "
                    + "the store again.", e);
        }
    }

    private static long replay(LogReader reader, StreamIndex index, long from, long end,
                               StreamIndex.@Nullable DeltaFrame frame) {
        long next = from;
        long count = 0;
        while (next < end) {
            List<LogRecord> records = reader.range(next, end, 1000);
            if (records.isEmpty()) {
                break;
            }
            for (LogRecord r : records) {
                LogEntry entry = LogEntry.decode(r.offset(), value(r));
                if (frame == null) {
                    index.apply(r.offset(), entry);
                } else if (entry instanceof LogEntry.Append a) {
                    int at = index.addAppend(a.stream(), a.firstVersion(), a.recordedAt(), a.events(), r.offset());
                    frame.append(index.stream(a.stream()), at);
                    index.coveredOffset = r.offset() + 1;
                } else {
                    index.apply(r.offset(), entry);
                    frame.control(r.offset(), entry);
                }
                count++;
            }
            next = records.getLast().offset() + 1;
        }
        return count;
    }

    private static byte[] value(LogRecord r) {
        byte[] v = r.value();
        if (v == null) {
            throw new CorruptionException(ErrorCode.CORRUPT_DATA, "Event store log record at offset " + r.offset()
                    + " has no value; the topic holds records the event store did not write. Use a topic of its own.");
        }
        return v;
    }

    @Override
    public String backend() {
        return "embedded";
    }

    /** How many log records the last open replayed after the checkpoint (bounded recovery, for tests and metrics). */
    public long recoveredRecords() {
        return recoveredRecords;
    }

    // ---- writes ----

    @Override
    public WriteResult append(String stream, ExpectedVersion expected, List<EventData> events) {
        validateAppend(stream, events);
        ensureWritable();
        CompletableFuture<Long> durable = null;
        long firstVersion = 0;
        Repeat repeat;
        lock.writeLock().lock();
        try {
            StreamState s = index.find(stream);
            if (s != null && s.tombstoned) {
                throw new StreamDeletedException(stream);
            }
            repeat = idempotentRepeat(stream, s, expected, events);
            if (repeat == null) {
                long current = s == null ? StreamInfo.NO_STREAM : s.effectiveVersion();
                if (!expected.isMetBy(current)) {
                    throw new WrongExpectedVersionException(stream, expected, current);
                }
                firstVersion = (s == null ? StreamInfo.NO_STREAM : s.lastVersion) + 1;
                long now = System.currentTimeMillis();
                byte[] key = stream.getBytes(StandardCharsets.UTF_8); // the record key, and the name in its value
                byte[] value = LogEntry.encode(new LogEntry.Append(stream, firstVersion, now, events), key);
                int at = index.addAppend(stream, firstVersion, now, events, -1);
                StreamState added = s != null ? s : index.stream(stream);
                durable = new CompletableFuture<>();
                added.inFlight = durable;
                // the index's own name string: the checkpoint journal keeps it until the next checkpoint
                send(added.name, key, value, now, durable, new PendingAppend(added, at, firstVersion, now, events), null);
            }
        } finally {
            lock.writeLock().unlock();
        }
        flushOutbox();
        if (repeat != null) {
            return repeated(stream, repeat);
        }
        long offset = await(durable, stream);
        // no signalAppended() here: drain() signalled when it moved the watermark over this record, and a second
        // signal per append only made every appender contend for the signal's monitor
        int count = events.size();
        return new WriteResult(stream, firstVersion + count - 1, offset << INDEX_BITS, (offset << INDEX_BITS) + count - 1,
                false);
    }

    /** An exact repeat of an earlier append: the stream and the ordinals of its first and last events in it. */
    private record Repeat(StreamState stream, int firstOrdinal, int lastOrdinal) {
    }

    /**
     * Null if none of the ids was written; where the earlier events are if this is an exact repeat of an earlier
     * append at the same position; otherwise a {@link DuplicateEventIdException}.
     */
    private @Nullable Repeat idempotentRepeat(String stream, @Nullable StreamState s, ExpectedVersion expected,
                                              List<EventData> events) {
        long[] refs = null; // almost always none: nothing allocated for the common case
        int found = 0;
        for (int i = 0; i < events.size(); i++) {
            UUID id = events.get(i).eventId();
            long ref = index.ids.get(id.getMostSignificantBits(), id.getLeastSignificantBits());
            if (ref != EventIds.ABSENT) {
                if (refs == null) {
                    refs = new long[events.size()];
                }
                refs[found++] = ref;
            }
        }
        if (refs == null) {
            return null;
        }
        StreamState holder = index.streamAt(EventIds.streamSlotOf(refs[0]));
        int firstOrdinal = EventIds.ordinalOf(refs[0]);
        long firstVersion = holder.versionOfOrdinal(firstOrdinal);
        boolean exact = found == events.size() && holder == s && expected.placesFirstEventAt(firstVersion);
        for (int i = 1; exact && i < found; i++) {
            exact = EventIds.streamSlotOf(refs[i]) == s.slot
                    && s.versionOfOrdinal(EventIds.ordinalOf(refs[i])) == firstVersion + i;
        }
        if (exact) {
            return new Repeat(s, firstOrdinal, EventIds.ordinalOf(refs[found - 1]));
        }
        UUID id = new UUID(holder.idMsb(firstOrdinal), holder.idLsb(firstOrdinal));
        throw new DuplicateEventIdException(stream, id, "which is already stored in stream '"
                + holder.name + "' at version " + firstVersion
                + " (another position, or the batch differs from the one written)");
    }

    /**
     * The result of an exact repeat, once the earlier append is durable: it may still be in flight, and then the
     * stream's latest append is too (the log acknowledges in order), so waiting for that one is enough.
     */
    private WriteResult repeated(String stream, Repeat r) {
        StreamState s = r.stream();
        while (true) {
            long firstPosition;
            long lastPosition;
            long lastVersion;
            lock.readLock().lock();
            try {
                if (s.tombstoned) {
                    throw new StreamDeletedException(stream); // tombstoned since the check: its events are gone
                }
                firstPosition = position(s, r.firstOrdinal());
                lastPosition = position(s, r.lastOrdinal());
                lastVersion = s.versionOfOrdinal(r.lastOrdinal());
            } finally {
                lock.readLock().unlock();
            }
            if (firstPosition >= 0 && lastPosition >= 0) {
                return new WriteResult(stream, lastVersion, firstPosition, lastPosition, true);
            }
            CompletableFuture<Long> inFlight = s.inFlight;
            if (inFlight != null) {
                await(inFlight, stream);
            } else {
                // acknowledged between the two looks (the offset is set before the future is dropped), or the log
                // failed the write: then the store says so
                ensureWritable();
            }
        }
    }

    /** The global position of the event at {@code ordinal} of {@code s}, or -1 while its append is in flight. */
    private static long position(StreamState s, int ordinal) {
        int a = s.appendIndexOfOrdinal(ordinal);
        long offset = s.offset(a);
        return offset < 0 ? -1 : (offset << INDEX_BITS) | (ordinal - s.firstOrdinal(a));
    }

    /** A record queued for the log, in the order its append was checked (the order it must have in the log). */
    private record Outgoing(Record record, PendingWrite write) {
    }

    /**
     * Queues one record; {@code durable} completes with its offset once it and every earlier record are acked. The
     * caller holds the write lock, so the queue order is the order appends were checked against the index; the
     * record is sent by {@link #flushOutbox()}, which the caller runs after releasing the lock.
     */
    private void send(String stream, byte[] key, byte[] value, long timestamp, CompletableFuture<Long> durable,
                      @Nullable PendingAppend append, @Nullable LogEntry control) {
        PendingWrite pw = new PendingWrite(durable, stream, append, control);
        synchronized (ackLock) {
            pending.addLast(pw);
        }
        // Wrapping, not copying: both arrays are made here for this record and never written again, and the log only
        // reads them (copies them into its batch) — a copy of each per append was pure garbage for the young GC.
        outbox.offer(new Outgoing(Record.wrapping(key, value, Headers.empty(), timestamp), pw));
    }

    /**
     * Group commit at the store: whichever thread gets the send lock hands every queued record to the log in one
     * {@code appendAll} (one log batch, one CRC, one acknowledgement callback for the group) instead of one append
     * each, and without holding the store's write lock, so other appends are checked meanwhile. Records leave the
     * queue in order under the send lock, so the log order is the order the appends were checked.
     */
    private void flushOutbox() {
        while (!outbox.isEmpty() && sendLock.tryLock()) {
            try {
                Outgoing first = outbox.poll();
                if (first == null) {
                    continue;
                }
                Outgoing o = outbox.poll();
                if (o == null) {
                    // Paced appends mostly find the queue holding only their own record (the log's sync thread then
                    // gathers them into one write and one fsync): appendAll's per-call placement arrays, result list
                    // and chunking, and the group list itself, were per-append garbage for a group of one. The
                    // store's topic has one partition.
                    Throwable b = broken;
                    if (b != null) {
                        failQueued(List.of(first), b); // queued before the failure was seen; the log may be unusable now
                    } else {
                        sendOne(first.write(), first.record());
                    }
                    continue;
                }
                List<Outgoing> group = new ArrayList<>(16); // the default 10 grew under load: more garbage
                group.add(first);
                group.add(o);
                while (group.size() < MAX_GROUP && (o = outbox.poll()) != null) {
                    group.add(o);
                }
                Throwable b = broken;
                if (b != null) {
                    failQueued(group, b); // queued before the failure was seen; the log may be unusable now
                    continue;
                }
                List<Record> records = new ArrayList<>(group.size());
                for (Outgoing g : group) {
                    records.add(g.record());
                }
                CompletableFuture<List<AppendResult>> f;
                try {
                    f = producer.appendAll(topic, records);
                } catch (RuntimeException e) {
                    fail(e);
                    continue;
                }
                f.whenComplete((results, err) -> {
                    if (err != null) {
                        fail(err);
                        return;
                    }
                    for (int i = 0; i < group.size(); i++) {
                        PendingWrite pw = group.get(i).write();
                        pw.offset = results.get(i).offset();
                        pw.acked = true;
                    }
                    runHook(beforeDrain);
                    drain();
                });
            } finally {
                sendLock.unlock();
            }
        }
    }

    /**
     * {@link #flushOutbox()} for a group of one record; the caller holds the send lock. The callback form of the
     * log's append: the log's acknowledging thread moves the watermark and completes the append's own future
     * directly, without a log future and a stage chained on it (one future per append, not two).
     */
    private void sendOne(PendingWrite pw, Record record) {
        try {
            producer.append(topic, 0, record, (result, err) -> {
                if (err != null) {
                    fail(err);
                    return;
                }
                pw.offset = result.offset();
                pw.acked = true;
                runHook(beforeDrain);
                drain();
            });
        } catch (RuntimeException e) {
            // Not from the log: the embedded producer tells the callback even what the log throws (then never tells
            // it again, even if the record is written after all); a producer that lets one out may have queued the
            // record, so the store stops rather than guess.
            fail(e);
        }
    }

    private static void runHook(@Nullable Runnable hook) {
        if (hook != null) {
            hook.run();
        }
    }

    /** Moves the watermark over the acknowledged prefix and completes those writes, in order. */
    private void drain() {
        // The first write done, then a list for the rest: a list per drain was garbage per append on a paced
        // workload, where each sync mostly acknowledges one append.
        PendingWrite first = null;
        List<PendingWrite> more = null;
        synchronized (ackLock) {
            while (!pending.isEmpty() && pending.peekFirst().acked) {
                PendingWrite pw = pending.pollFirst();
                PendingAppend a = pw.append;
                if (a != null) {
                    a.state().acknowledge(a.index(), pw.offset); // readers find the events before the watermark covers them
                    // The watermark moves before the future is cleared: a read that finds no future takes the
                    // watermark next and must find it past this append. Cleared first, a read after a conflict
                    // could see neither the future nor the watermark and skip the winner's append (the kit's
                    // aReadAfterAConflictSeesTheWinningVersion caught it, 1 stale read in 69 conflicts).
                    runHook(beforeWatermark);
                    durableEnd = pw.offset + 1;
                    a.state().clearInFlight(pw.durable);
                    journal.addAppend(pw.offset, a); // in log order: the checkpoint replays these onto its own index
                } else {
                    if (pw.control != null) {
                        journal.addControl(pw.offset, pw.control);
                    }
                    durableEnd = pw.offset + 1;
                }
                if (first == null) {
                    first = pw;
                } else {
                    if (more == null) {
                        more = new ArrayList<>(Math.min(pending.size() + 1, MAX_GROUP)); // sized once, not grown
                    }
                    more.add(pw);
                }
            }
            if (pending.isEmpty()) {
                ackLock.notifyAll();
            }
        }
        if (first == null) {
            return;
        }
        first.durable.complete(first.offset);
        if (more != null) {
            for (PendingWrite pw : more) {
                pw.durable.complete(pw.offset);
            }
        }
        signalAppended();
        maybeCheckpoint();
    }

    private void fail(Throwable t) {
        broken = t;
        List<PendingWrite> failed;
        synchronized (ackLock) {
            failed = new ArrayList<>(pending);
            pending.clear();
            ackLock.notifyAll();
        }
        for (PendingWrite pw : failed) {
            pw.durable.completeExceptionally(t);
        }
    }

    /** Fails records that were queued but not sent because the store stopped writing. */
    private void failQueued(List<Outgoing> group, Throwable t) {
        synchronized (ackLock) {
            for (Outgoing o : group) {
                pending.remove(o.write());
            }
            ackLock.notifyAll();
        }
        for (Outgoing o : group) {
            o.write().durable.completeExceptionally(t);
        }
    }

    private long await(CompletableFuture<Long> durable, String stream) {
        try {
            return durable.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RetriableException(ErrorCode.TIMEOUT, "Interrupted while waiting for the append to stream '"
                    + stream + "' to become durable; it may or may not be stored. Re-append the same events with the "
                    + "same expected version: the store deduplicates them.", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof TributaryException te) {
                throw te;
            }
            throw new RetriableException(ErrorCode.STORAGE_FAILURE, "The log failed to store the append to stream '"
                    + stream + "': " + cause + ". Reopen the event store and retry.", cause);
        }
    }

    private void ensureWritable() {
        ensureOpen();
        Throwable b = broken;
        if (b != null) {
            throw new RetriableException(ErrorCode.STORAGE_FAILURE, "The embedded event store stopped writing after "
                    + "the log failed a write (" + b + "). Close it and open it again: reopening rebuilds its state from "
                    + "the log; then retry.", b);
        }
    }

    /** Runs a rare write (metadata, delete, snapshot): the record is made durable while holding the write lock. */
    private long writeControl(LogEntry entry) {
        CompletableFuture<Long> durable = new CompletableFuture<>();
        // The checkpoint journal keeps the entry until the next checkpoint, and its index needs only a snapshot's
        // stream and version: don't hold the snapshot's payload (it may be large) in memory until then.
        LogEntry journalled = entry instanceof LogEntry.SnapshotEntry sn
                ? new LogEntry.SnapshotEntry(sn.stream(), sn.version(), sn.recordedAt(), sn.type(), NO_DATA)
                : entry;
        byte[] key = entry.stream().getBytes(StandardCharsets.UTF_8);
        send(entry.stream(), key, LogEntry.encode(entry, key), System.currentTimeMillis(), durable, null, journalled);
        flushOutbox(); // if another thread is sending, it sends this record before it lets go of the send lock
        Runnable hook = beforeControlWait;
        if (hook != null) {
            hook.run();
        }
        // Not interruptible: once sent, the record becomes durable (or the log fails) whatever this thread is told, and
        // the caller must then apply it to the index. Giving up on an interrupt would leave a durable tombstone,
        // deletion or metadata change that this instance does not know of, until a reopen applies it.
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return await(durable, entry.stream());
                } catch (RetriableException e) {
                    if (!(e.getCause() instanceof InterruptedException)) {
                        throw e;
                    }
                    interrupted = true;
                    Thread.interrupted(); // await() set it again; clear it to wait on
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void setStreamMetadata(String stream, StreamMetadata metadata) {
        StreamName.validate(stream);
        ensureWritable();
        lock.writeLock().lock();
        try {
            StreamState s = index.find(stream);
            if (s != null && s.tombstoned) {
                throw new StreamDeletedException(stream);
            }
            writeControl(new LogEntry.Metadata(stream, metadata));
            index.stream(stream).metadata = metadata;
        } finally {
            lock.writeLock().unlock();
        }
        signalAppended();
    }

    /** The stream's state if it may be deleted under {@code expected}; caller holds the write lock. */
    private static StreamInfo requireDeletable(String stream, @Nullable StreamState s, ExpectedVersion expected) {
        StreamInfo info = s == null ? new StreamInfo(stream, StreamInfo.NO_STREAM, StreamInfo.State.ABSENT) : s.info();
        if (info.state() == StreamInfo.State.TOMBSTONED) {
            throw new StreamDeletedException(stream);
        }
        if (!expected.isMetBy(info.lastVersion())) {
            throw new WrongExpectedVersionException(stream, expected, info.lastVersion());
        }
        return info;
    }

    @Override
    public void deleteStream(String stream, ExpectedVersion expected) {
        StreamName.validate(stream);
        ensureWritable();
        lock.writeLock().lock();
        try {
            StreamState s = index.find(stream);
            StreamInfo info = requireDeletable(stream, s, expected);
            if (s != null && info.state() == StreamInfo.State.ACTIVE) {
                writeControl(new LogEntry.SoftDelete(stream, s.lastVersion + 1));
                index.softDelete(s, s.lastVersion + 1);
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public void tombstoneStream(String stream, ExpectedVersion expected) {
        StreamName.validate(stream);
        ensureWritable();
        lock.writeLock().lock();
        try {
            StreamState s = index.find(stream);
            requireDeletable(stream, s, expected);
            writeControl(new LogEntry.Tombstone(stream));
            index.tombstone(index.stream(stream));
        } finally {
            lock.writeLock().unlock();
        }
        signalAppended();
    }

    @Override
    public void saveSnapshot(Snapshot snapshot) {
        String stream = StreamName.validate(snapshot.stream());
        ensureWritable();
        lock.writeLock().lock();
        try {
            StreamState s = index.find(stream);
            if (s != null && s.tombstoned) {
                throw new StreamDeletedException(stream);
            }
            if (s == null || s.softDeleted || s.lastVersion < snapshot.version()) {
                throw new NotFoundException(EventStoreErrors.STREAM_NOT_FOUND, "Cannot store a snapshot of stream '"
                        + stream + "' at version " + snapshot.version() + ": the stream "
                        + (s != null && !s.softDeleted && s.lastVersion >= 0 ? "is only at version " + s.lastVersion : "does not exist")
                        + ". Snapshot a version you have read.");
            }
            long offset = writeControl(new LogEntry.SnapshotEntry(stream, snapshot.version(), snapshot.recordedAt(),
                    snapshot.type(), snapshot.data()));
            s.snapshots.put(snapshot.version(), offset);
        } finally {
            lock.writeLock().unlock();
        }
    }

    // ---- reads ----

    private static boolean visible(StreamState s, long version, long recordedAt, long now) {
        return !s.tombstoned && version >= s.deletedBefore && s.metadata.isVisible(version, recordedAt, s.lastVersion, now);
    }

    private static List<RecordedEvent> eventsOf(long offset, LogEntry.Append a) {
        List<RecordedEvent> out = new ArrayList<>(a.events().size());
        for (int i = 0; i < a.events().size(); i++) {
            EventData e = a.events().get(i);
            out.add(new RecordedEvent(a.stream(), a.firstVersion() + i, (offset << INDEX_BITS) | i, e.eventId(),
                    e.type(), e.dataUnsafe(), e.metadata(), a.recordedAt()));
        }
        return out;
    }

    @Override
    public List<RecordedEvent> readStream(String stream, Direction direction, long fromVersion, int maxCount) {
        StreamName.validate(stream);
        checkMaxCount(maxCount);
        ensureOpen();
        boolean forward = direction == Direction.FORWARD;
        awaitPendingAppend(stream);
        long end = durableEnd;
        // The stream's appends as of now, taken under the lock; read after it, one at a time and only as many as the
        // page needs (a Span per append from fromVersion to the end, built under the lock, was a million objects to
        // read 10 events from the start of a stream of a million appends). Rows below the table's counts never
        // change, and every append the watermark read above covers has its offset in the table's array.
        StreamState.AppendTable table;
        int next;
        lock.readLock().lock();
        try {
            StreamState s = index.find(stream);
            if (s == null) {
                return List.of();
            }
            if (s.tombstoned) {
                throw new StreamDeletedException(stream);
            }
            table = s.appendTable();
            int at = s.appendIndexOf(fromVersion);
            next = forward ? (at >= 0 ? at : -1 - at) : (at >= 0 ? at : -2 - at);
        } finally {
            lock.readLock().unlock();
        }
        int step = forward ? 1 : -1;
        List<RecordedEvent> out = new ArrayList<>();
        while (out.size() < maxCount && next >= 0 && next < table.count()) {
            // Read a chunk of appends likely to fill the page; events hidden by metadata may need another chunk.
            List<Span> chunk = new ArrayList<>();
            int versions = 0;
            while (next >= 0 && next < table.count() && versions < maxCount - out.size()) {
                Span span = Span.of(table, next);
                next += step;
                long off = span.offset();
                if (off < 0 || off >= end) {
                    if (forward) {
                        next = table.count(); // not durable yet, nor anything after it
                        break;
                    }
                    continue;
                }
                chunk.add(span);
                versions += span.count();
            }
            List<Long> offsets = chunk.stream().map(Span::offset).sorted().toList();
            Map<Long, LogRecord> records = reader.at(offsets);
            long now = System.currentTimeMillis();
            lock.readLock().lock();
            try {
                StreamState s = index.find(stream);
                if (s == null || s.tombstoned) {
                    throw new StreamDeletedException(stream);
                }
                for (Span span : chunk) {
                    LogRecord r = records.get(span.offset());
                    if (r == null) {
                        throw new CorruptionException(ErrorCode.CORRUPT_DATA, "Stream '" + stream + "' versions "
                                + span.firstVersion() + ".." + (span.firstVersion() + span.count() - 1)
                                + " should be at log offset " + span.offset() + " of topic '" + topic
                                + "', which the log no longer has. Restore the log from a backup.");
                    }
                    List<RecordedEvent> evs = eventsOf(r.offset(), (LogEntry.Append) LogEntry.decode(r.offset(), value(r)));
                    if (!forward) {
                        evs = evs.reversed();
                    }
                    for (RecordedEvent e : evs) {
                        boolean inRange = forward ? e.version() >= fromVersion : e.version() <= fromVersion;
                        if (inRange && out.size() < maxCount && visible(s, e.version(), e.recordedAt(), now)) {
                            out.add(e);
                        }
                    }
                }
            } finally {
                lock.readLock().unlock();
            }
        }
        return out;
    }

    /**
     * One append of a stream as a read found it in the stream's {@link StreamState.AppendTable}: its versions and its
     * log offset (-1 while in flight; every append the watermark read before the table was taken covers has its offset).
     */
    private record Span(long firstVersion, int count, long offset) {
        static Span of(StreamState.AppendTable table, int append) {
            return new Span(table.firstVersion(append), table.count(append), table.offset(append));
        }
    }

    /**
     * Appends are checked against versions not yet durable; a read waits for the stream's last append to become
     * durable, so a reader that lost a race sees the winner's events (read-your-writes, and no retry livelock).
     */
    private void awaitPendingAppend(String stream) {
        CompletableFuture<Long> last = null;
        lock.readLock().lock();
        try {
            StreamState s = index.find(stream);
            if (s != null) {
                last = s.inFlight; // set while the stream's latest append is in flight
            }
        } finally {
            lock.readLock().unlock();
        }
        if (last != null) {
            try {
                last.get(30, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
                // the failed or slow append is reported to its writer; this read returns what is durable
            }
        }
    }

    @Override
    public StreamInfo streamInfo(String stream) {
        StreamName.validate(stream);
        ensureOpen();
        lock.readLock().lock();
        try {
            StreamState s = index.find(stream);
            return s == null ? new StreamInfo(stream, StreamInfo.NO_STREAM, StreamInfo.State.ABSENT) : s.info();
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public AllSlice readAll(long afterPosition, int maxCount, EventFilter filter) {
        checkMaxCount(maxCount);
        ensureOpen();
        long end = durableEnd;
        long startOffset = afterPosition < 0 ? 0 : afterPosition >>> INDEX_BITS;
        List<RecordedEvent> out = new ArrayList<>();
        long scannedTo; // every record below this offset has been considered
        if (filter.stream().isPresent()) {
            List<Long> offsets = new ArrayList<>();
            lock.readLock().lock();
            try {
                StreamState s = index.find(filter.stream().get());
                if (s != null) {
                    for (int a = 0; a < s.appendCount(); a++) {
                        long off = s.offset(a);
                        if (off >= startOffset && off >= 0 && off < end) {
                            offsets.add(off);
                        }
                    }
                }
            } finally {
                lock.readLock().unlock();
            }
            offsets.sort(Comparator.naturalOrder());
            if (offsets.size() > SCAN_BUDGET) {
                offsets = offsets.subList(0, SCAN_BUDGET);
            }
            List<LogRecord> records = new ArrayList<>(new TreeMap<>(reader.at(offsets)).values());
            scannedTo = offsets.size() == SCAN_BUDGET ? offsets.getLast() + 1 : end;
            if (collect(records, afterPosition, maxCount, filter, out)) {
                return new AllSlice(out, out.getLast().position(), false);
            }
        } else {
            long next = startOffset;
            int budget = SCAN_BUDGET;
            while (next < end && budget > 0) {
                List<LogRecord> records = reader.range(next, end, Math.min(500, budget));
                if (records.isEmpty()) {
                    break;
                }
                budget -= records.size();
                if (collect(records, afterPosition, maxCount, filter, out)) {
                    return new AllSlice(out, out.getLast().position(), false);
                }
                next = records.getLast().offset() + 1;
            }
            scannedTo = Math.min(next, end);
        }
        long nextPosition = Math.max(afterPosition, (scannedTo << INDEX_BITS) - 1);
        return new AllSlice(out, nextPosition, scannedTo >= end);
    }

    /** Adds matching visible events after {@code after}; true when {@code out} is full (stop there). */
    private boolean collect(List<LogRecord> records, long after, int maxCount, EventFilter filter, List<RecordedEvent> out) {
        long now = System.currentTimeMillis();
        for (LogRecord r : records) {
            if (!(LogEntry.decode(r.offset(), value(r)) instanceof LogEntry.Append a)) {
                continue;
            }
            if (!filter.matches(a.stream(), a.events().getFirst().type()) && filter.eventTypes().isEmpty()) {
                continue;
            }
            lock.readLock().lock();
            try {
                StreamState s = index.find(a.stream());
                for (RecordedEvent e : eventsOf(r.offset(), a)) {
                    if (e.position() > after && s != null && filter.matches(e.stream(), e.type())
                            && visible(s, e.version(), e.recordedAt(), now)) {
                        out.add(e);
                        if (out.size() == maxCount) {
                            return true;
                        }
                    }
                }
            } finally {
                lock.readLock().unlock();
            }
        }
        return false;
    }

    @Override
    public long committedPosition() {
        ensureOpen();
        return (durableEnd << INDEX_BITS) - 1;
    }

    @Override
    public StreamMetadata streamMetadata(String stream) {
        StreamName.validate(stream);
        ensureOpen();
        lock.readLock().lock();
        try {
            StreamState s = index.find(stream);
            return s == null ? StreamMetadata.none() : s.metadata;
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public Optional<Snapshot> latestSnapshot(String stream, long maxVersion) {
        StreamName.validate(stream);
        ensureOpen();
        long offset;
        lock.readLock().lock();
        try {
            StreamState s = index.find(stream);
            if (s == null || s.tombstoned) {
                return Optional.empty();
            }
            Map.Entry<Long, Long> e = s.snapshots.floorEntry(maxVersion);
            if (e == null || e.getKey() < s.deletedBefore) {
                return Optional.empty();
            }
            offset = e.getValue();
        } finally {
            lock.readLock().unlock();
        }
        LogRecord r = reader.at(List.of(offset)).get(offset);
        if (r == null) {
            return Optional.empty();
        }
        LogEntry.SnapshotEntry sn = (LogEntry.SnapshotEntry) LogEntry.decode(offset, value(r));
        return Optional.of(new Snapshot(stream, sn.version(), sn.type(), sn.data(), sn.recordedAt()));
    }

    // ---- checkpoint, close, consistency ----

    private static final byte[] NO_DATA = new byte[0];

    private void maybeCheckpoint() {
        if (durableEnd - lastCheckpointOffset < config.checkpointEveryRecords() || isClosed()
                || !checkpointing.compareAndSet(false, true)) {
            return;
        }
        // A platform thread, not a virtual one: encoding a large index is long CPU work, and a virtual thread would
        // hold one of the (on 2 cores, two) carrier threads the appending virtual threads run on until it finished.
        Thread.ofPlatform().daemon().name("tributary-eventstore-checkpoint").start(() -> {
            try {
                checkpointLock.lock();
                try {
                    // close() may have written the final checkpoint while this thread was starting: writing after
                    // close() returned could race a reopened store on the same files.
                    if (!isClosed()) {
                        writeCheckpoint();
                    }
                } finally {
                    checkpointLock.unlock();
                }
            } catch (IOException | RuntimeException e) {
                // The log is the truth; a missing checkpoint only makes the next open replay more. Retry next time.
                lastCheckpointOffset = durableEnd;
            } finally {
                checkpointing.set(false);
            }
        });
    }

    /**
     * Writes the index checkpoint now, covering every durable record. The checkpoint keeps its own index, fed in log
     * order with the records that became durable since the last checkpoint, so it covers exactly the log up to its
     * last record and takes no store lock. Usually it appends only those records' changes to the delta file; when
     * the delta file outgrew the base, or the checkpoint found at open could not be continued (none, or unreadable),
     * it writes that whole index as a new base instead (see {@link StreamIndex}). Does nothing if the log failed a
     * write meanwhile.
     */
    public void checkpoint() throws IOException {
        checkpointLock.lock(); // one writer of the checkpoint file at a time (close may race a background one)
        try {
            writeCheckpoint();
        } finally {
            checkpointLock.unlock();
        }
    }

    private void writeCheckpoint() throws IOException {
        StreamIndex sh = shadow;
        if (sh == null) {
            return; // only before prepareCheckpoints ran in open()
        }
        if (shadowStale) {
            sh = rebuildShadow();
        }
        // A delta frame only after a base this instance wrote (frames must continue the base on disk: the records
        // this instance replayed at open are in no frame), and a new base once the delta file outgrew the last one,
        // so the bytes written stay proportional to the records appended and opening stays bounded.
        boolean full = !deltaContinuesBase || deltaBytes > baseBytes;
        try {
            applyJournalAndWrite(sh, full);
        } catch (Throwable t) {
            // Whatever failed (the journal, the hook, the write), the checkpoint's index may have moved past the end
            // of the last frame on disk: a frame after it would start after a gap and never load, nor would any
            // frame after that, so the next checkpoint writes a base.
            deltaContinuesBase = false;
            throw t;
        }
    }

    private void applyJournalAndWrite(StreamIndex sh, boolean full) throws IOException {
        long from = shadowCovered;
        StreamIndex.DeltaFrame frame = null;
        if (!full) {
            frame = deltaFrame;
            frame.reset(from);
        }
        // Bring the checkpoint's index up to every durable record, in log order, as recovery would apply them.
        DurableRecords durable;
        synchronized (ackLock) {
            durable = journal;
            journal = journalSpare;
        }
        boolean applied = false;
        try {
            shadowCovered = durable.applyTo(sh, frame, shadowCovered, beforeCheckpointApplies);
            applied = true;
        } finally {
            if (!applied) {
                shadowStale = true; // part of the records applied, the rest about to be dropped: see shadowStale
            }
            durable.clear();
            journalSpare = durable;
        }
        if (broken != null) {
            if (shadowCovered != from) {
                deltaContinuesBase = false; // the records just applied are in no frame
            }
            return;
        }
        Runnable hook = afterCapture;
        if (hook != null) {
            hook.run();
        }
        long covered = shadowCovered;
        if (deltaContinuesBase && covered == from) {
            lastCheckpointOffset = covered;
            return; // nothing new since the last checkpoint
        }
        Path dir = config.indexDirectory();
        if (frame == null) {
            deltaContinuesBase = false; // until the new base is durable and the delta file emptied after it
            baseBytes = StreamIndex.write(dir, sh.capture(), covered);
            StreamIndex.resetDelta(dir);
            deltaBytes = 0;
            deltaContinuesBase = true;
            fullCheckpoints++;
        } else {
            // a frame may be half written if this fails: the caller makes the next checkpoint a base
            deltaBytes = StreamIndex.appendDelta(dir, frame, covered);
        }
        lastCheckpointOffset = covered;
    }

    /**
     * Replaces a {@link #shadowStale stale} checkpoint index with one rebuilt from the log up to the durable end,
     * as recovery would build it; the journal's records up to there are in it, so they are dropped, and those after
     * it come into the journal as usual. Reads the whole log: a failure path only. The next write is a base.
     */
    private StreamIndex rebuildShadow() {
        long end;
        synchronized (ackLock) {
            end = durableEnd;
            journal.clear();
        }
        StreamIndex rebuilt = StreamIndex.withoutIds();
        replay(reader, rebuilt, reader.beginningOffset(), end, null);
        rebuilt.coveredOffset = end;
        shadow = rebuilt;
        shadowCovered = end;
        shadowStale = false;
        deltaContinuesBase = false; // the frames on disk end where the stale index's last write did
        return rebuilt;
    }

    /**
     * Runs once in {@link #open}, before any append: seeds the checkpoint's own index with the live one as opened (no
     * lock needed yet, and no capture under the write lock later), and, when the checkpoint on disk is continued
     * ({@code deltaBytes >= 0}: open already cut the delta file after its last good frame), appends the frame of the
     * records the open replayed, so the next checkpoint is a delta frame too. Otherwise, or if that fails, the first
     * checkpoint writes a new base.
     */
    private void prepareCheckpoints(StreamIndex.@Nullable DeltaFrame replayFrame, long deltaBytes) {
        checkpointLock.lock();
        try {
            shadow = StreamIndex.fromImage(index.capture());
            shadowCovered = durableEnd;
            if (replayFrame == null || deltaBytes < 0) {
                return;
            }
            Path dir = config.indexDirectory();
            try {
                this.deltaBytes = deltaBytes;
                if (replayFrame.entries() > 0) {
                    this.deltaBytes = StreamIndex.appendDelta(dir, replayFrame, durableEnd);
                }
                baseBytes = java.nio.file.Files.size(dir.resolve(StreamIndex.FILE));
                deltaContinuesBase = true;
            } catch (IOException | RuntimeException e) {
                deltaContinuesBase = false; // the first checkpoint writes a base; the log has everything meanwhile
            }
        } finally {
            checkpointLock.unlock();
        }
    }

    /** How many full (base) checkpoints this instance wrote; the others were delta frames. For tests. */
    int fullCheckpoints() {
        checkpointLock.lock();
        try {
            return fullCheckpoints;
        } finally {
            checkpointLock.unlock();
        }
    }

    /**
     * A canonical description of the index (every stream's state, versions, offsets and snapshots), to compare the
     * index loaded from a checkpoint with one rebuilt from the whole log.
     */
    public String indexFingerprint() {
        lock.readLock().lock();
        try {
            return index.fingerprint();
        } finally {
            lock.readLock().unlock();
        }
    }

    /** The fingerprint of an index rebuilt from every record of the log, ignoring any checkpoint. */
    public String rebuiltIndexFingerprint() {
        StreamIndex rebuilt = new StreamIndex();
        replay(reader, rebuilt, reader.beginningOffset(), durableEnd, null);
        return rebuilt.fingerprint();
    }

    /**
     * Waits, at most {@link #CLOSE_DRAIN_WAIT_MS}, until every record sent is drained into the checkpoint journal, so
     * the final checkpoint covers it: the producer's flush returns once the log completed the appends, which can be
     * before their callbacks ran drain() (or before an append that passed its checks sent its record at all).
     * Bounded: a record still pending after that is only replayed at the next open.
     */
    private void awaitPendingDrained() {
        long deadline = System.nanoTime() + CLOSE_DRAIN_WAIT_MS * 1_000_000;
        synchronized (ackLock) {
            long left;
            while (!pending.isEmpty() && (left = deadline - System.nanoTime()) > 0) {
                try {
                    ackLock.wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /**
     * Flushes, checkpoints and closes the producer, the reader and (if owned) the log. Refused on a thread of the
     * embedded log that acknowledges appends (one running a write's completion or a hook on it): the flush there
     * would wait for acknowledgements only that thread can make, so the producer refuses it, and closing the log
     * would wait for that thread to end. It used to go on: the refused flush was swallowed, then the producer's close
     * threw the same refusal, so the reader and the log were never closed (the data folder stayed locked).
     */
    @Override
    public void close() {
        if (isClosed()) {
            return;
        }
        try {
            producer.flush(); // before anything is closed: a refusal leaves the store open and usable
        } catch (IllegalStateException e) {
            throw new IllegalStateException("The event store of " + config.indexDirectory() + " cannot be closed on "
                    + Thread.currentThread().getName() + ", a thread of the embedded log that acknowledges appends: "
                    + "closing waits for acknowledgements only that thread makes. Close it from the application's own "
                    + "thread (e.g. hand the close to an executor); the store is still open.", e);
        } catch (RuntimeException e) {
            // as after the flush below: not reported, the next open replays what was not checkpointed
        }
        if (!markClosed()) {
            return;
        }
        try {
            producer.flush();
            awaitPendingDrained();
            if (broken == null) {
                checkpoint();
            }
        } catch (IOException | RuntimeException e) {
            // the next open replays from the previous checkpoint instead; nothing is lost
        }
        // each part in its own try: one that throws must not leave the others (the log's files and lock) open
        RuntimeException first = null;
        for (Runnable part : ownsLog ? List.<Runnable>of(producer::close, reader::close, log::close)
                : List.<Runnable>of(producer::close, reader::close)) {
            try {
                part.run();
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
