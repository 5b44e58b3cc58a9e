package io.tributary.kafka.internal;

import io.tributary.core.ErrorCode;
import io.tributary.core.Header;
import io.tributary.core.Headers;
import io.tributary.core.InvalidRequestException;
import io.tributary.log.ConsumerConfig;
import io.tributary.log.ConsumerGroupMetadata;
import io.tributary.log.LogConsumer;
import io.tributary.log.LogErrors;
import io.tributary.log.LogRecord;
import io.tributary.log.RebalanceListener;
import io.tributary.log.TopicPartition;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.ConcurrentModificationException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.consumer.RetriableCommitFailedException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.WakeupException;
import org.jspecify.annotations.Nullable;

/**
 * {@link LogConsumer} on a {@link KafkaConsumer} in a classic consumer group (or assign-only). Commits are explicit
 * ({@code enable.auto.commit=false}); Kafka's rebalance listener calls ours on the polling thread, lost partitions
 * as revoked ones. {@code poll} returns at most {@code maxPollBytes} of record bytes (the first record always): what
 * Kafka fetched beyond that is fetched again by the next poll.
 *
 * <p>{@link #commitAsync} sends the commit with Kafka's {@code commitAsync} and returns. Kafka runs its callback, which
 * completes our future, on the owner thread inside a later {@code poll}, {@code commitSync} or {@code close}: a caller
 * that keeps polling sees it complete. Waiting on the future ({@code get}/{@code join}) from the owner thread drives
 * the pending commits itself (an empty {@code commitSync}), so such a wait does not hang until a poll that never comes.
 *
 * <p>Not thread-safe, like {@link KafkaConsumer}: one thread calls it; {@link #wakeup()} may come from any thread.
 */
public final class KafkaLogConsumer implements LogConsumer {

    private final ConsumerConfig config;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final TopicCatalog catalog;
    private final KafkaErrors errors;
    private final long timeoutMs;
    private final Consumer<AutoCloseable> onClose;
    private volatile boolean closed;
    private volatile boolean closeRequested;
    /**
     * Wake-ups: Kafka's own {@code wakeup()} fails whichever blocking call runs next (commit, seek, position...), but
     * ours is meant for poll only. So {@link #wakeup()} records the request and passes it to Kafka only while the
     * owner thread is inside {@code poll}; a poll that starts with a request pending returns at once. A processor
     * calls wakeup from every handler completion, so passing them all on would fail (or, retried, starve) its
     * commits and seeks.
     */
    private volatile boolean wakeupPending;
    private volatile boolean inPoll;
    private boolean closing;
    private boolean crashing;
    private boolean subscribed;
    /** Whether {@code assign} or {@code subscribe} gave this consumer something to read (Kafka's getters copy). */
    private boolean reading;
    /** Per partition: what the latest poll returned of it, and records handed back by a seek into those. */
    private final Map<org.apache.kafka.common.TopicPartition, Held> held = new HashMap<>();
    /** How many partitions have records handed back (so a poll knows at once whether to look). */
    private int partitionsWithHandedBack;
    /** Partitions paused only for the duration of {@link #keepGroupAlive()}. */
    private Set<org.apache.kafka.common.TopicPartition> pausedForHandBack = Set.of();
    private @Nullable RuntimeException listenerFailure;
    /** Futures of asynchronous commits whose Kafka callback has not run yet; failed by close. */
    private final ConcurrentLinkedQueue<CommitFuture> commitsInFlight = new ConcurrentLinkedQueue<>();

    KafkaLogConsumer(ConsumerConfig config, Properties properties, TopicCatalog catalog, KafkaErrors errors,
                     long timeoutMs, Consumer<AutoCloseable> onClose) {
        this.config = config;
        this.catalog = catalog;
        this.errors = errors;
        this.timeoutMs = timeoutMs;
        this.onClose = onClose;
        try {
            this.consumer = new KafkaConsumer<>(properties);
        } catch (KafkaException e) {
            throw new InvalidRequestException(ErrorCode.INVALID_CONFIG, "Cannot create a Kafka consumer: "
                    + e.getMessage() + (e.getCause() == null ? "" : " (" + e.getCause().getMessage() + ")")
                    + "; check the tributary.log.kafka.client.* / consumer.* properties", e);
        }
    }

    private static org.apache.kafka.common.TopicPartition kafka(TopicPartition tp) {
        return new org.apache.kafka.common.TopicPartition(tp.topic(), tp.partition());
    }

    private static List<org.apache.kafka.common.TopicPartition> kafka(Collection<TopicPartition> tps) {
        return tps.stream().map(KafkaLogConsumer::kafka).toList();
    }

    private static TopicPartition ours(org.apache.kafka.common.TopicPartition tp) {
        return new TopicPartition(tp.topic(), tp.partition());
    }

    private static Set<TopicPartition> ours(Collection<org.apache.kafka.common.TopicPartition> tps) {
        Set<TopicPartition> out = new TreeSet<>();
        tps.forEach(tp -> out.add(ours(tp)));
        return out;
    }

    /**
     * Runs a blocking Kafka call. A wake-up is meant for poll, so a call it interrupts is made again; only a wake-up
     * that raced with the end of a poll can land here (see {@link #wakeupPending}), so the retries are bounded.
     */
    private <T> T call(String what, Supplier<T> action) {
        checkOpen();
        boolean swallowedWakeup = false;
        try {
            while (true) {
                try {
                    T result = action.get();
                    if (swallowedWakeup && inPoll && wakeupPending) {
                        // This call ran inside a poll (a rebalance listener committing) and used up the wake-up
                        // meant for that poll: hand it back, or the poll waits its whole timeout with the wake-up
                        // still pending (and later wake-ups, seeing it pending, do not wake Kafka again).
                        consumer.wakeup();
                    }
                    return result;
                } catch (WakeupException e) {
                    // a late wake-up for a poll that already returned, or one meant for the poll this call runs
                    // inside; the request itself is still pending, so it is made again
                    swallowedWakeup = true;
                }
            }
        } catch (KafkaException e) {
            throw errors.translate(e, what, timeoutMs);
        } catch (IllegalStateException e) {
            throw new InvalidRequestException(ErrorCode.INVALID_ARGUMENT, "Cannot " + what + ": " + e.getMessage()
                    + "; a consumer either assigns partitions or subscribes: call unsubscribe() before switching.", e);
        }
    }

    private void run(String what, Runnable action) {
        call(what, () -> {
            action.run();
            return null;
        });
    }

    @Override
    public void assign(Collection<TopicPartition> partitions) {
        run("assign " + partitions, () -> {
            rewindHeld(); // Kafka keeps the position of a partition that stays assigned: it must be the unread one
            consumer.assign(kafka(partitions));
        });
        subscribed = false;
        reading = !partitions.isEmpty();
        forgetHeld();
    }

    @Override
    public void subscribe(Collection<String> topics, RebalanceListener listener) {
        requireGroup("subscribe to " + topics);
        // A partition kept through the change keeps Kafka's position, and a revoke listener commits that position:
        // both must be the first handed-back record, not past it.
        run("rewind handed-back records", this::rewindHeld);
        run("subscribe to " + topics, () -> consumer.subscribe(List.copyOf(topics), new ConsumerRebalanceListener() {
            @Override
            public void onPartitionsRevoked(Collection<org.apache.kafka.common.TopicPartition> partitions) {
                try {
                    notify(() -> listener.onPartitionsRevoked(ours(partitions)));
                } finally {
                    partitions.forEach(KafkaLogConsumer.this::forgetHeld);
                }
            }

            @Override
            public void onPartitionsAssigned(Collection<org.apache.kafka.common.TopicPartition> partitions) {
                notify(() -> listener.onPartitionsAssigned(ours(partitions)));
            }

            @Override
            public void onPartitionsLost(Collection<org.apache.kafka.common.TopicPartition> partitions) {
                // Our API has one way to lose partitions: revoked (commits for them will fail, as they should).
                try {
                    notify(() -> listener.onPartitionsRevoked(ours(partitions)));
                } finally {
                    partitions.forEach(KafkaLogConsumer.this::forgetHeld);
                }
            }

            private void notify(Runnable r) {
                if (crashing) {
                    return; // a dead process runs no callbacks
                }
                try {
                    r.run();
                } catch (RuntimeException e) {
                    listenerFailure = e;
                    throw e;
                }
            }
        }));
        subscribed = true;
        reading = !topics.isEmpty();
        forgetHeld();
    }

    @Override
    public void unsubscribe() {
        run("unsubscribe", consumer::unsubscribe);
        subscribed = false;
        reading = false;
        forgetHeld();
    }

    @Override
    public Set<TopicPartition> assignment() {
        checkOpen();
        return ours(consumer.assignment());
    }

    @Override
    public List<LogRecord> poll(Duration timeout) {
        checkOpen();
        if (!reading) {
            throw new InvalidRequestException(LogErrors.NOT_ASSIGNED, "This consumer reads nothing: call assign(...) "
                    + "or subscribe(...) before poll.");
        }
        if (partitionsWithHandedBack > 0 && anyHandedBackToReturn()) {
            // Kafka's poll first: a rebalance in it drops what was handed back of the partitions it revokes.
            keepGroupAlive();
            List<LogRecord> again = takeHandedBack();
            if (!again.isEmpty()) {
                wakeupPending = false; // this poll returns at once, as a wake-up asks
                return again;
            }
        }
        ConsumerRecords<byte[], byte[]> records;
        inPoll = true;
        try {
            Duration wait = timeout;
            if (wakeupPending) {
                // A wake-up asks this poll to return at once. It still polls Kafka, without waiting: handler
                // completions wake the consumer all the time under load, and a member whose polls all skip Kafka's
                // poll is evicted after max.poll.interval.ms.
                wakeupPending = false;
                wait = Duration.ZERO;
            }
            records = consumer.poll(wait);
        } catch (WakeupException e) {
            wakeupPending = false;
            return List.of();
        } catch (KafkaException e) {
            throw pollFailure(e);
        } finally {
            inPoll = false;
        }
        if (records.isEmpty()) {
            return List.of();
        }
        List<LogRecord> out = new ArrayList<>(records.count());
        long bytes = 0;
        // Where each partition cut short by maxPollBytes resumes; rare, so made only when needed.
        @Nullable Map<org.apache.kafka.common.TopicPartition, Long> rewind = null;
        long maxBytes = config.maxPollBytes();
        for (org.apache.kafka.common.TopicPartition tp : records.partitions()) {
            int from = out.size();
            for (ConsumerRecord<byte[], byte[]> r : records.records(tp)) {
                LogRecord lr = toLogRecord(r);
                int size = lr.sizeInBytes();
                if (!out.isEmpty() && (rewind != null || bytes + size > maxBytes)) {
                    if (rewind == null) {
                        rewind = new LinkedHashMap<>();
                    }
                    rewind.put(tp, r.offset());
                    break;
                }
                bytes += size;
                out.add(lr);
            }
            rememberPolled(tp, out, from);
        }
        // Records past maxPollBytes are read again by the next poll: move those partitions back to them.
        if (rewind != null) {
            rewind.forEach(consumer::seek);
        }
        return out;
    }

    private static LogRecord toLogRecord(ConsumerRecord<byte[], byte[]> r) {
        // toArray() returns a shared empty array for a record without headers: no list, no iterator.
        org.apache.kafka.common.header.Header[] kafkaHeaders = r.headers().toArray();
        Headers headers = Headers.empty();
        if (kafkaHeaders.length > 0) {
            List<Header> ours = new ArrayList<>(kafkaHeaders.length);
            for (org.apache.kafka.common.header.Header h : kafkaHeaders) {
                ours.add(new Header(h.key(), h.value() == null ? new byte[0] : h.value()));
            }
            headers = Headers.of(ours);
        }
        return new LogRecord(r.topic(), r.partition(), r.offset(), r.timestamp(), r.key(), r.value(), headers);
    }

    /**
     * What this consumer keeps of one partition beyond Kafka's state; touched by the owner thread only.
     *
     * <p>A processor that cannot buffer everything a poll returned seeks each such partition back to the first record
     * it refused, and pauses it. A Kafka seek drops whatever Kafka had fetched ahead for the partition (up to
     * {@code max.partition.fetch.bytes}, thousands of small records), so each refusal cost a fetch again, and the
     * broker re-read data it had already sent. Instead, a seek into what the latest poll returned hands those records
     * back: the next polls return them first (not while the partition is paused), and Kafka's position and read-ahead
     * stay where they are. {@link #position} and {@link #commitSync()} count the handed-back records as not read.
     * Any other seek, an assignment change or a revocation drops them.
     */
    private static final class Held {
        /** The records the latest poll that returned any of this partition returned of it, in offset order. */
        LogRecord[] polled = NONE;
        /** Records handed back by a seek, in offset order, all before Kafka's position for the partition. */
        final ArrayDeque<LogRecord> handedBack = new ArrayDeque<>();
    }

    private static final LogRecord[] NONE = new LogRecord[0];

    private void rememberPolled(org.apache.kafka.common.TopicPartition tp, List<LogRecord> out, int from) {
        if (out.size() > from) {
            held.computeIfAbsent(tp, k -> new Held()).polled = out.subList(from, out.size()).toArray(NONE);
        }
    }

    /** Whether a partition that is not paused has records handed back (a processor pauses what it seeks back). */
    private boolean anyHandedBackToReturn() {
        Set<org.apache.kafka.common.TopicPartition> paused = consumer.paused();
        for (Map.Entry<org.apache.kafka.common.TopicPartition, Held> e : held.entrySet()) {
            if (!e.getValue().handedBack.isEmpty() && !paused.contains(e.getKey())) {
                return true;
            }
        }
        return false;
    }

    /** Handed-back records of partitions not paused, within maxPollRecords and maxPollBytes (at least one). */
    private List<LogRecord> takeHandedBack() {
        Set<org.apache.kafka.common.TopicPartition> paused = consumer.paused();
        List<LogRecord> out = new ArrayList<>();
        long bytes = 0;
        int max = config.maxPollRecords();
        long maxBytes = config.maxPollBytes();
        boolean full = false;
        for (Map.Entry<org.apache.kafka.common.TopicPartition, Held> e : held.entrySet()) {
            Held h = e.getValue();
            if (full || h.handedBack.isEmpty() || paused.contains(e.getKey())) {
                continue;
            }
            int from = out.size();
            while (!h.handedBack.isEmpty()) {
                LogRecord r = h.handedBack.peekFirst();
                int size = r.sizeInBytes();
                if (out.size() >= max || (!out.isEmpty() && bytes + size > maxBytes)) {
                    full = true;
                    break;
                }
                bytes += size;
                out.add(h.handedBack.pollFirst());
            }
            if (h.handedBack.isEmpty()) {
                partitionsWithHandedBack--;
            }
            rememberPolled(e.getKey(), out, from);
        }
        return out;
    }

    /**
     * Runs Kafka's poll without taking records, before this poll returns handed-back ones: group membership and
     * rebalances happen inside Kafka's poll, so a caller that keeps seeking back into what it just got must not stop
     * them. Every partition is paused around it (so Kafka returns nothing and keeps its read-ahead); the partitions
     * paused here are hidden from {@link #paused()} meanwhile and resumed after, unless a rebalance listener paused
     * them itself or they were revoked. Records of a partition assigned during this call, which Kafka may return
     * though it is paused for too short a time to be included, are put back with a seek.
     */
    private void keepGroupAlive() {
        Set<org.apache.kafka.common.TopicPartition> toPause = new HashSet<>(consumer.assignment());
        toPause.removeAll(consumer.paused());
        pausedForHandBack = toPause;
        consumer.pause(toPause);
        ConsumerRecords<byte[], byte[]> stray = ConsumerRecords.empty();
        inPoll = true;
        try {
            // Always poll Kafka here, even with a wake-up pending: handler completions wake the consumer all the time
            // under load, and a member whose polls all skip Kafka's poll is evicted after max.poll.interval.ms.
            try {
                stray = consumer.poll(Duration.ZERO);
            } catch (WakeupException e) {
                stray = consumer.poll(Duration.ZERO); // that consumed Kafka's wake-up flag: poll once for real
            }
        } catch (WakeupException e) {
            // a second wake-up for a poll that is returning at once anyway
        } catch (KafkaException e) {
            throw pollFailure(e);
        } finally {
            inPoll = false;
            Set<org.apache.kafka.common.TopicPartition> resume = new HashSet<>(pausedForHandBack);
            pausedForHandBack = Set.of();
            resume.retainAll(consumer.assignment());
            consumer.resume(resume);
        }
        for (org.apache.kafka.common.TopicPartition tp : stray.partitions()) {
            consumer.seek(tp, stray.records(tp).getFirst().offset());
        }
    }

    /** What a failed Kafka poll throws: our rebalance listener's own failure first, else Kafka's, translated. */
    private RuntimeException pollFailure(KafkaException e) {
        RuntimeException fromListener = listenerFailure;
        listenerFailure = null;
        if (fromListener != null) {
            return fromListener;
        }
        return errors.translate(e, "poll " + (subscribed ? "topics " + consumer.subscription()
                : "partitions " + ours(consumer.assignment())), timeoutMs);
    }

    /** Moves Kafka back to the first handed-back record of each partition that has some, then forgets them. */
    private void rewindHeld() {
        if (partitionsWithHandedBack > 0) {
            Set<org.apache.kafka.common.TopicPartition> assigned = consumer.assignment();
            for (Map.Entry<org.apache.kafka.common.TopicPartition, Held> e : held.entrySet()) {
                if (!e.getValue().handedBack.isEmpty() && assigned.contains(e.getKey())) {
                    consumer.seek(e.getKey(), e.getValue().handedBack.getFirst().offset());
                }
            }
        }
        forgetHeld();
    }

    private void forgetHeld() {
        held.clear();
        partitionsWithHandedBack = 0;
    }

    private void forgetHeld(org.apache.kafka.common.TopicPartition tp) {
        Held h = held.remove(tp);
        if (h != null && !h.handedBack.isEmpty()) {
            partitionsWithHandedBack--;
        }
    }

    /** The offset of the first handed-back record of the partition, if any. */
    private OptionalLong handedBackFrom(org.apache.kafka.common.TopicPartition tp) {
        Held h = held.get(tp);
        return h == null || h.handedBack.isEmpty() ? OptionalLong.empty()
                : OptionalLong.of(h.handedBack.getFirst().offset());
    }

    @Override
    public void seek(TopicPartition partition, long offset) {
        requireAssigned(partition);
        var tp = kafka(partition);
        String what = "seek " + partition + " to offset " + offset;
        Held h = held.get(tp);
        if (h != null && h.polled.length > 0 && offset >= h.polled[0].offset()
                && offset <= h.polled[h.polled.length - 1].offset() + 1) {
            // Back into (or just past) what the latest poll returned: those offsets were just read, so they are in
            // range, and the records are handed back instead of fetched again (see Held).
            boolean had = !h.handedBack.isEmpty();
            for (int i = h.polled.length - 1; i >= 0 && h.polled[i].offset() >= offset; i--) {
                h.handedBack.addFirst(h.polled[i]);
            }
            h.polled = NONE; // a second seek takes the checked way below
            if (!had && !h.handedBack.isEmpty()) {
                partitionsWithHandedBack++;
            }
            return;
        }
        long start = call(what, () -> consumer.beginningOffsets(List.of(tp))).get(tp);
        long end = call(what, () -> consumer.endOffsets(List.of(tp))).get(tp);
        if (offset < start || offset > end) {
            throw new InvalidRequestException(LogErrors.OFFSET_OUT_OF_RANGE, "Cannot seek " + partition + " (topic '"
                    + partition.topic() + "') to offset " + offset + ": the partition holds offsets " + start + " to "
                    + end + " (" + end + " is the end: the next record appended). Seek within that range, or use "
                    + "seekToBeginning / seekToEnd / seekToTimestamp.");
        }
        run(what, () -> consumer.seek(tp, offset));
        forgetHeld(tp);
    }

    @Override
    public void seekToBeginning(Collection<TopicPartition> partitions) {
        requireAssigned(partitions);
        run("seek " + partitions + " to the beginning", () -> consumer.seekToBeginning(kafka(partitions)));
        partitions.forEach(p -> forgetHeld(kafka(p)));
    }

    @Override
    public void seekToEnd(Collection<TopicPartition> partitions) {
        requireAssigned(partitions);
        run("seek " + partitions + " to the end", () -> consumer.seekToEnd(kafka(partitions)));
        partitions.forEach(p -> forgetHeld(kafka(p)));
    }

    @Override
    public void seekToTimestamp(Collection<TopicPartition> partitions, long timestamp) {
        requireAssigned(partitions);
        String what = "seek " + partitions + " to timestamp " + timestamp;
        Map<org.apache.kafka.common.TopicPartition, Long> query = new HashMap<>();
        partitions.forEach(p -> query.put(kafka(p), timestamp));
        Map<org.apache.kafka.common.TopicPartition, OffsetAndTimestamp> found = call(what, () -> consumer.offsetsForTimes(query));
        Map<org.apache.kafka.common.TopicPartition, Long> ends = call(what, () -> consumer.endOffsets(query.keySet()));
        for (var tp : query.keySet()) {
            OffsetAndTimestamp o = found.get(tp);
            long target = o == null ? ends.get(tp) : o.offset();
            run(what, () -> consumer.seek(tp, target));
            forgetHeld(tp);
        }
    }

    @Override
    public long position(TopicPartition partition) {
        requireAssigned(partition);
        OptionalLong handedBack = handedBackFrom(kafka(partition));
        if (handedBack.isPresent()) {
            return handedBack.getAsLong();
        }
        return call("get the position of " + partition, () -> consumer.position(kafka(partition)));
    }

    @Override
    public void pause(Collection<TopicPartition> partitions) {
        requireAssigned(partitions);
        run("pause " + partitions, () -> consumer.pause(kafka(partitions)));
        if (!pausedForHandBack.isEmpty()) {
            pausedForHandBack.removeAll(kafka(partitions)); // paused by the caller now: stays paused
        }
    }

    @Override
    public void resume(Collection<TopicPartition> partitions) {
        requireAssigned(partitions);
        run("resume " + partitions, () -> consumer.resume(kafka(partitions)));
        if (!pausedForHandBack.isEmpty()) {
            pausedForHandBack.removeAll(kafka(partitions));
        }
    }

    @Override
    public Set<TopicPartition> paused() {
        checkOpen();
        if (pausedForHandBack.isEmpty()) {
            return ours(consumer.paused());
        }
        Set<org.apache.kafka.common.TopicPartition> byCaller = new HashSet<>(consumer.paused());
        byCaller.removeAll(pausedForHandBack);
        return ours(byCaller);
    }

    @Override
    public void commitSync() {
        requireGroup("commit offsets");
        if (partitionsWithHandedBack == 0) {
            run("commit the positions of " + ours(consumer.assignment()), consumer::commitSync);
            return;
        }
        // Kafka's positions are past the handed-back records, which were not returned again yet: commit theirs.
        // Built inside run(...): position() is a Kafka call too, and its failures (a late wake-up included) must be
        // handled and translated like the commit's.
        run("commit the positions of " + ours(consumer.assignment()), () -> {
            Map<org.apache.kafka.common.TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
            for (var tp : consumer.assignment()) {
                OptionalLong handedBack = handedBackFrom(tp);
                if (handedBack.isPresent()) {
                    offsets.put(tp, new OffsetAndMetadata(handedBack.getAsLong()));
                } else {
                    try {
                        offsets.put(tp, new OffsetAndMetadata(consumer.position(tp, Duration.ZERO)));
                    } catch (org.apache.kafka.common.errors.TimeoutException e) {
                        // no position yet (nothing read): Kafka's own commitSync() leaves such partitions out too
                    }
                }
            }
            consumer.commitSync(offsets);
        });
    }

    @Override
    public void commitSync(Map<TopicPartition, Long> offsets) {
        Map<org.apache.kafka.common.TopicPartition, OffsetAndMetadata> kafkaOffsets = checkCommit(offsets);
        run("commit offsets " + new TreeMap<>(offsets), () -> consumer.commitSync(kafkaOffsets));
    }

    /**
     * Checks ownership in the call (as {@link #commitSync(Map)}) and hands the commit to Kafka's {@code commitAsync}:
     * Kafka sends commits in call order, and a later {@code commitSync} returns only after the earlier asynchronous
     * ones completed, so commits take effect in call order. The offsets are the caller's, sent as given: a processor
     * takes them from {@link #position}, which counts handed-back records as unread, so they never pass the first
     * handed-back record. The future fails with the translated error ({@code NOT_PARTITION_OWNER} after a
     * rebalance, {@code UNAVAILABLE} for a retriable broker error), or with {@code CLOSED} if the consumer closed
     * before Kafka answered (the commit may or may not be stored).
     */
    @Override
    public CompletableFuture<Void> commitAsync(Map<TopicPartition, Long> offsets) {
        Map<org.apache.kafka.common.TopicPartition, OffsetAndMetadata> kafkaOffsets = checkCommit(offsets);
        if (offsets.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        String what = "commit offsets " + new TreeMap<>(offsets);
        CommitFuture done = new CommitFuture(Thread.currentThread(), Set.copyOf(kafkaOffsets.keySet()));
        commitsInFlight.add(done);
        try {
            run(what, () -> consumer.commitAsync(kafkaOffsets, (committed, error) -> {
                commitsInFlight.remove(done);
                if (error == null) {
                    done.complete(null);
                } else {
                    Throwable cause = error instanceof RetriableCommitFailedException && error.getCause() != null
                            ? error.getCause() : error;
                    done.completeExceptionally(errors.translate(cause, what, timeoutMs));
                }
            }));
        } catch (RuntimeException e) {
            commitsInFlight.remove(done);
            throw e;
        }
        return done;
    }

    /**
     * The future of one asynchronous commit. Kafka completes it only inside a call on the owner thread, so a wait on
     * it from that thread first asks Kafka to finish the pending commits (an empty {@code commitSync} does that).
     */
    private final class CommitFuture extends CompletableFuture<Void> {
        private final Thread owner;
        private final Set<org.apache.kafka.common.TopicPartition> partitions;

        CommitFuture(Thread owner, Set<org.apache.kafka.common.TopicPartition> partitions) {
            this.owner = owner;
            this.partitions = partitions;
        }

        private static Duration remaining(long deadlineNanos) {
            return Duration.ofNanos(Math.max(0, deadlineNanos - System.nanoTime()));
        }

        private void drive(long timeoutMs) {
            if (isDone() || Thread.currentThread() != owner || closed || closing) {
                return;
            }
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.max(0, timeoutMs));
            try {
                call("wait for pending commits", () -> {
                    // A commit made while the group coordinator is unknown waits for it, and only a call that looks
                    // it up sends the commit (the empty commitSync below waits only for sent ones): reading the
                    // committed offsets does, and its answer comes after the commit's on the same connection.
                    consumer.committed(partitions, remaining(deadline));
                    consumer.commitSync(Map.of(), remaining(deadline));
                    return null;
                });
            } catch (RuntimeException e) {
                // the commits' own callbacks report their failures; this only made Kafka run them
            }
        }

        @Override
        public Void get() throws InterruptedException, ExecutionException {
            drive(KafkaLogConsumer.this.timeoutMs);
            return super.get();
        }

        @Override
        public Void get(long timeout, TimeUnit unit) throws InterruptedException, ExecutionException, TimeoutException {
            long deadline = System.nanoTime() + unit.toNanos(timeout);
            drive(unit.toMillis(timeout));
            return super.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        }

        @Override
        public Void join() {
            drive(KafkaLogConsumer.this.timeoutMs);
            return super.join();
        }
    }

    /** Fails the futures of commits Kafka never answered, once it is closed. */
    private void failCommitsInFlight() {
        CommitFuture f;
        while ((f = commitsInFlight.poll()) != null) {
            f.completeExceptionally(new InvalidRequestException(ErrorCode.CLOSED, "The consumer closed before Kafka "
                    + "confirmed an asynchronous commit; it may or may not be stored: read committed(...) with a new "
                    + "consumer, or call commitSync before close to know."));
        }
    }

    /** The checks every commit makes in the call: a group, and only owned partitions. */
    private Map<org.apache.kafka.common.TopicPartition, OffsetAndMetadata> checkCommit(Map<TopicPartition, Long> offsets) {
        requireGroup("commit offsets");
        Set<TopicPartition> owned = assignment();
        Set<TopicPartition> notOwned = new TreeSet<>(offsets.keySet());
        notOwned.removeAll(owned);
        if (!notOwned.isEmpty()) {
            throw new InvalidRequestException(LogErrors.NOT_PARTITION_OWNER, "Cannot commit offsets for " + notOwned
                    + ": this member of group '" + config.groupId().orElseThrow() + "' does not own them (it owns "
                    + owned + "); nothing was committed. Commit only partitions you were assigned.");
        }
        Map<org.apache.kafka.common.TopicPartition, OffsetAndMetadata> kafkaOffsets = new HashMap<>();
        for (var e : offsets.entrySet()) {
            if (e.getValue() == null || e.getValue() < 0) {
                throw new InvalidRequestException(ErrorCode.INVALID_ARGUMENT, "Cannot commit offset " + e.getValue()
                        + " for " + e.getKey() + ": a committed offset is the next offset to read, 0 or more; "
                        + "nothing was committed");
            }
            kafkaOffsets.put(kafka(e.getKey()), new OffsetAndMetadata(e.getValue()));
        }
        return kafkaOffsets;
    }

    @Override
    public Map<TopicPartition, Long> committed(Set<TopicPartition> partitions) {
        requireGroup("read committed offsets");
        Map<org.apache.kafka.common.TopicPartition, OffsetAndMetadata> raw = call("read committed offsets of " + partitions,
                () -> consumer.committed(Set.copyOf(kafka(partitions))));
        Map<TopicPartition, Long> out = new HashMap<>();
        raw.forEach((tp, om) -> {
            if (om != null) {
                out.put(ours(tp), om.offset());
            }
        });
        return out;
    }

    @Override
    public Map<TopicPartition, Long> beginningOffsets(Collection<TopicPartition> partitions) {
        checkTopics(partitions);
        return toOurs(call("read the beginning offsets of " + partitions, () -> consumer.beginningOffsets(kafka(partitions))));
    }

    @Override
    public Map<TopicPartition, Long> endOffsets(Collection<TopicPartition> partitions) {
        checkTopics(partitions);
        return toOurs(call("read the end offsets of " + partitions, () -> consumer.endOffsets(kafka(partitions))));
    }

    private static Map<TopicPartition, Long> toOurs(Map<org.apache.kafka.common.TopicPartition, Long> m) {
        Map<TopicPartition, Long> out = new HashMap<>();
        m.forEach((tp, o) -> out.put(ours(tp), o));
        return out;
    }

    /** Unknown topics fail fast here instead of after Kafka's metadata wait ({@code default.api.timeout.ms}). */
    private void checkTopics(Collection<TopicPartition> partitions) {
        checkOpen();
        for (String topic : new TreeSet<>(partitions.stream().map(TopicPartition::topic).toList())) {
            catalog.partitionCount(topic);
        }
    }

    @Override
    public int partitionCount(String topic) {
        checkOpen();
        return catalog.partitionCount(topic);
    }

    @Override
    public Optional<ConsumerGroupMetadata> groupMetadata() {
        checkOpen();
        if (config.groupId().isEmpty() || !subscribed) {
            return Optional.empty();
        }
        org.apache.kafka.clients.consumer.ConsumerGroupMetadata m = consumer.groupMetadata();
        return Optional.of(new ConsumerGroupMetadata(m.groupId(), m.generationId(), m.memberId()));
    }

    @Override
    public void wakeup() {
        // Pending first, then the check: a poll sets inPoll first, then reads pending, so one of the two sees the other.
        wakeupPending = true;
        if (inPoll) {
            consumer.wakeup();
        }
    }

    @Override
    public void close() {
        if (closed || closing) {
            return;
        }
        // Still open while Kafka's close runs: it calls the rebalance listener, which may commit (as on a rebalance).
        closing = true;
        boolean ownerBusy = false;
        try {
            consumer.close();
        } catch (WakeupException e) {
            consumer.close();
        } catch (ConcurrentModificationException e) {
            ownerBusy = true; // closeFromOwner: the owner thread closes it on its next call, answering the commits
            throw e;
        } catch (KafkaException e) {
            RuntimeException fromListener = listenerFailure;
            listenerFailure = null;
            throw fromListener != null ? fromListener : errors.translate(e, "close the consumer", timeoutMs);
        } finally {
            closed = true;
            closing = false;
            if (!ownerBusy) {
                failCommitsInFlight();
            }
            onClose.accept(this);
        }
    }

    /**
     * Makes this member fall silent as if its process died: the connection closes without a leave-group request and
     * without calling the rebalance listener, so the group notices only after the session timeout. For crash tests.
     */
    public void crash() {
        if (closed || closing) {
            return;
        }
        crashing = true;
        closing = true;
        try {
            consumer.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.REMAIN_IN_GROUP)
                    .withTimeout(Duration.ZERO));
        } finally {
            closed = true;
            closing = false;
            failCommitsInFlight();
            onClose.accept(this);
        }
    }

    /**
     * Closes on behalf of the log (any thread). If the owning thread is inside a call right now, the consumer is
     * woken and closed by that thread on its next call.
     */
    void closeFromOwner() {
        if (closed) {
            return;
        }
        try {
            close();
        } catch (ConcurrentModificationException e) {
            closed = false;
            closing = false;
            closeRequested = true;
            consumer.wakeup();
        }
    }

    private void checkOpen() {
        if (closeRequested && !closed) {
            close();
        }
        if (closed) {
            throw new InvalidRequestException(ErrorCode.CLOSED, "This consumer is closed; create a new one with "
                    + "EventLog.consumer(config).");
        }
    }

    private void requireGroup(String what) {
        checkOpen();
        if (config.groupId().isEmpty()) {
            throw new InvalidRequestException(LogErrors.GROUP_ID_REQUIRED, "Cannot " + what + ": this consumer has no "
                    + "group; create it with ConsumerConfig.forGroup(\"<group>\") (or withGroupId) to use a consumer group.");
        }
    }

    private void requireAssigned(TopicPartition partition) {
        checkOpen();
        if (!consumer.assignment().contains(kafka(partition))) {
            requireAssigned(List.of(partition));
        }
    }

    private void requireAssigned(Collection<TopicPartition> partitions) {
        checkOpen();
        Set<org.apache.kafka.common.TopicPartition> kafkaAssigned = consumer.assignment();
        boolean all = true;
        for (TopicPartition p : partitions) {
            if (!kafkaAssigned.contains(kafka(p))) {
                all = false;
                break;
            }
        }
        if (all) {
            return;
        }
        Set<TopicPartition> assigned = ours(kafkaAssigned);
        Set<TopicPartition> missing = new TreeSet<>(partitions);
        missing.removeAll(assigned);
        if (!missing.isEmpty()) {
            throw new InvalidRequestException(LogErrors.NOT_ASSIGNED, "Partitions " + missing + " are not assigned to "
                    + "this consumer (it has " + assigned + "); assign them, or in a group wait until poll assigns them.");
        }
    }
}
