package io.tributary.processing.internal;

import io.tributary.core.ErrorCode;
import io.tributary.core.Record;
import io.tributary.core.RetriableException;
import io.tributary.log.AppendResult;
import io.tributary.log.ConsumerConfig;
import io.tributary.log.EventLog;
import io.tributary.log.LogConsumer;
import io.tributary.log.LogProducer;
import io.tributary.log.LogRecord;
import io.tributary.log.ProducerConfig;
import io.tributary.log.TopicPartition;
import io.tributary.processing.DeadLetter;
import io.tributary.processing.DeadLetterAction;
import io.tributary.processing.DeadLetterPolicy;
import io.tributary.processing.ProcessorConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * A processor's side of the dead-letter queue: writes dead and parked entries, knows the open entries of the
 * partitions this instance owns (rebuilt from the dead-letter topic on every assignment, so parking survives
 * restarts and moves with partitions), tails the actions topic, and picks the next operator action to carry out per
 * key.
 *
 * <p><b>Order:</b> per key, entries are worked on one at a time from the lowest original offset. In sequenced mode a
 * key whose lowest entry is dead and has no action waits (it is <em>parked</em>: its new events are written as parked
 * entries); a parked entry at the head of its key (nothing dead before it any more) is handed to the handler
 * without an action, which is how skipping or redriving a dead entry releases its followers.
 *
 * <p><b>Thread-safety:</b> the index and actions are owned by the poll loop thread; the {@code write*} methods run on
 * task threads and only append (the producer is thread-safe). {@link #depth()} and {@link #parkedKeys()} may be read
 * from any thread.
 */
final class DeadLetterDesk implements AutoCloseable {

    private final String processor;
    private final boolean sequenced;
    private final EventLog log;
    private final String topic;
    private final int dlqPartitions;
    private final LogProducer producer;
    private final LogConsumer actionsConsumer;
    private final long checkIntervalNanos;
    private long lastCheckNanos;
    private final DlqLedger actions = new DlqLedger();
    /** Open entries of owned partitions: partition, then key, then original offset. */
    private final Map<TopicPartition, Map<Object, TreeMap<Long, DeadLetter>>> open = new HashMap<>();
    private final Set<String> openIds = new HashSet<>();
    /** Keys with an entry task in flight, per partition (one at a time per key keeps the key's order). */
    private final Map<TopicPartition, Set<Object>> busy = new HashMap<>();
    /**
     * Partitions whose last look at every open key found no entry task to start, with nothing changed since (no entry
     * indexed or finished, no action read, no assignment): {@link #nextEntryTasks} answers them without looking at
     * every key again. The poll loop asks once per dispatch round, and a queue of hundreds of untouched dead entries
     * made each round walk them all (about 1% of an 80,000-order demo's CPU samples with 400 per partition).
     */
    private final Set<TopicPartition> nothingToStart = new HashSet<>();
    /** Open entries and keys of owned partitions, kept as they change rather than counted again after each task. */
    private int openEntries;
    private int openKeys;
    private volatile int depth;
    private volatile int parkedKeys;

    private DeadLetterDesk(EventLog log, ProcessorConfig config, int dlqPartitions, LogProducer producer,
                           LogConsumer actionsConsumer) {
        this.processor = config.name();
        this.sequenced = config.deadLetter().mode() == DeadLetterPolicy.Mode.SEQUENCED;
        this.log = log;
        this.topic = config.deadLetterTopic();
        this.dlqPartitions = dlqPartitions;
        this.producer = producer;
        this.actionsConsumer = actionsConsumer;
        this.checkIntervalNanos = config.deadLetter().actionCheckInterval().toNanos();
    }

    /**
     * Creates the topics where missing (the dead-letter topic with the largest partition count among the source
     * topics), then reads every action requested so far.
     */
    static DeadLetterDesk start(EventLog log, ProcessorConfig config) {
        int partitions = 1;
        for (String t : config.topics()) {
            if (log.admin().topicExists(t)) {
                partitions = Math.max(partitions, log.admin().describeTopic(t).partitionCount());
            }
        }
        String actionsTopic = config.deadLetter().actionsTopicFor(config.name());
        int dlqPartitions = DlqTopics.ensure(log, config.deadLetterTopic(), actionsTopic, partitions);
        LogProducer producer = log.producer(ProducerConfig.defaults().withClientId(config.name() + "-dlq"));
        LogConsumer actionsConsumer;
        try {
            actionsConsumer = log.consumer(ConsumerConfig.defaults().withClientId(config.name() + "-dlq-actions"));
            TopicPartition tp = new TopicPartition(actionsTopic, 0);
            actionsConsumer.assign(List.of(tp));
            actionsConsumer.seekToBeginning(List.of(tp));
        } catch (RuntimeException e) {
            producer.close();
            throw e;
        }
        DeadLetterDesk desk = new DeadLetterDesk(log, config, dlqPartitions, producer, actionsConsumer);
        try {
            desk.catchUpOnActions(new TopicPartition(actionsTopic, 0));
        } catch (RuntimeException e) {
            desk.close();
            throw e;
        }
        return desk;
    }

    /**
     * Reads every action requested so far with the tailing consumer itself, so that no action appended meanwhile
     * falls between this read and the tail.
     */
    private void catchUpOnActions(TopicPartition tp) {
        long end = actionsConsumer.endOffsets(List.of(tp)).get(tp);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (actionsConsumer.position(tp) < end) {
            if (System.nanoTime() > deadline) {
                throw new RetriableException(ErrorCode.TIMEOUT, "Processor '" + processor + "' could not read its "
                        + "dead-letter actions topic '" + tp.topic() + "' up to offset " + end + " within 60 s; "
                        + "check that the log is healthy, then start it again");
            }
            for (LogRecord r : actionsConsumer.poll(Duration.ofMillis(100))) {
                actions.applyActionRecord(r);
            }
        }
        lastCheckNanos = System.nanoTime();
    }

    int depth() {
        return depth;
    }

    int parkedKeys() {
        return parkedKeys;
    }

    // ---- poll thread ----

    /** Rebuilds the open entries of newly assigned partitions from the dead-letter topic. */
    void assigned(Collection<TopicPartition> partitions) {
        Set<TopicPartition> wanted = new HashSet<>(partitions);
        DlqLedger ledger = new DlqLedger();
        DlqTopics.readAll(log, topic, ledger::applyEntryRecord);
        for (TopicPartition tp : wanted) {
            forget(open.put(tp, new HashMap<>()));
            busy.put(tp, new HashSet<>());
            nothingToStart.remove(tp);
        }
        for (DeadLetter d : ledger.open()) {
            if (wanted.contains(d.source())) {
                index(d);
            }
        }
        publish();
    }

    void revoked(Collection<TopicPartition> partitions) {
        for (TopicPartition tp : partitions) {
            Map<Object, TreeMap<Long, DeadLetter>> byKey = open.remove(tp);
            if (byKey != null) {
                byKey.values().forEach(m -> m.values().forEach(d -> openIds.remove(d.id())));
            }
            forget(byKey);
            busy.remove(tp);
            nothingToStart.remove(tp);
        }
        publish();
    }

    /** Whether new events of {@code key} must be parked: sequenced mode and the key has open entries. */
    boolean parked(TopicPartition tp, Object key) {
        if (!sequenced) {
            return false;
        }
        Map<Object, TreeMap<Long, DeadLetter>> byKey = open.get(tp);
        return byKey != null && byKey.containsKey(key);
    }

    /**
     * {@link #parked} for one partition, resolved once: null when no key of it is parked (the usual case), so the
     * poll loop skips the per-key checks altogether. Valid until the desk next changes (completions applied, actions
     * read, partitions assigned or revoked).
     */
    @Nullable Predicate<Object> parkedKeys(TopicPartition tp) {
        if (!sequenced) {
            return null;
        }
        Map<Object, TreeMap<Long, DeadLetter>> byKey = open.get(tp);
        return byKey == null || byKey.isEmpty() ? null : byKey::containsKey;
    }

    /**
     * The dead entry {@code e} is parked behind, or null when {@code e} is in the dead-letter topic already (it was
     * read again after a restart before its partition's commit caught up, and must not be written twice).
     */
    @Nullable String parkBehind(TopicPartition tp, PendingEvent e) {
        if (openIds.contains(DeadLetter.idOf(tp, e.record.offset()))) {
            return null;
        }
        TreeMap<Long, DeadLetter> entries = open.get(tp).get(e.key);
        for (DeadLetter d : entries.values()) {
            if (d.status() == DeadLetter.Status.DEAD) {
                return d.id();
            }
        }
        return entries.firstEntry().getValue().parkedBehind().orElse(entries.firstEntry().getValue().id());
    }

    /** Reads new operator actions, at most once per check interval. */
    void checkActions(long nowNanos) {
        if (nowNanos - lastCheckNanos < checkIntervalNanos) {
            return;
        }
        lastCheckNanos = nowNanos;
        for (LogRecord r : actionsConsumer.poll(Duration.ZERO)) {
            actions.applyActionRecord(r);
            // An action may apply to an entry of any partition.
            nothingToStart.clear();
        }
    }

    /** Entry tasks to start now for partition {@code w}: per key, the next entry with something to do. */
    List<HandlerTask> nextEntryTasks(PartitionWork w, int max) {
        List<HandlerTask> out = new ArrayList<>();
        Map<Object, TreeMap<Long, DeadLetter>> byKey = open.get(w.partition);
        Set<Object> inFlight = busy.get(w.partition);
        if (byKey == null || inFlight == null || nothingToStart.contains(w.partition)) {
            return out;
        }
        for (Map.Entry<Object, TreeMap<Long, DeadLetter>> e : byKey.entrySet()) {
            if (out.size() >= max) {
                // Keys not looked at may have work: look again next round.
                return out;
            }
            if (inFlight.contains(e.getKey())) {
                continue;
            }
            HandlerTask next = nextFor(w, e.getValue());
            if (next != null) {
                out.add(next);
                inFlight.add(e.getKey());
            }
        }
        // Every key looked at: the keys just started are busy until their task completes, which clears this.
        nothingToStart.add(w.partition);
        return out;
    }

    private @Nullable HandlerTask nextFor(PartitionWork w, TreeMap<Long, DeadLetter> entries) {
        for (DeadLetter d : entries.values()) {
            Optional<DlqCodec.PendingAction> a = actions.actionFor(d);
            if (a.isPresent()) {
                return HandlerTask.redrive(w, d, a.get().action().kind());
            }
            if (sequenced) {
                // Only a key's head entry may be worked on; a parked head has nothing dead before it any more.
                return d.status() == DeadLetter.Status.PARKED
                        ? HandlerTask.redrive(w, d, DeadLetterAction.Kind.REDRIVE) : null;
            }
        }
        return null;
    }

    /** Applies a finished task's effect on the entries (poll thread, partition still owned). */
    void completed(HandlerTask t) {
        Map<Object, TreeMap<Long, DeadLetter>> byKey = open.get(t.work.partition);
        if (byKey == null) {
            return;
        }
        boolean redrive = t.kind == HandlerTask.Kind.REDRIVE && t.letter != null;
        if (!redrive && t.written.isEmpty()) {
            // The usual task: handled events, wrote no entry. Nothing of the desk changed.
            return;
        }
        if (redrive) {
            // Its key is free again, and its entry closed or dead again: either may let the key start something.
            nothingToStart.remove(t.work.partition);
            Object key = PartitionWork.keyOf(t.letter.original());
            busy.get(t.work.partition).remove(key);
            if (t.closedEntry) {
                TreeMap<Long, DeadLetter> entries = byKey.get(key);
                if (entries != null) {
                    if (entries.remove(t.letter.original().offset()) != null) {
                        openEntries--;
                    }
                    openIds.remove(t.letter.id());
                    if (entries.isEmpty()) {
                        byKey.remove(key);
                        openKeys--;
                    }
                }
            }
        }
        t.written.forEach(this::index);
        publish();
    }

    private void index(DeadLetter d) {
        Map<Object, TreeMap<Long, DeadLetter>> byKey = open.get(d.source());
        if (byKey == null) {
            return;
        }
        TreeMap<Long, DeadLetter> entries = byKey.get(PartitionWork.keyOf(d.original()));
        if (entries == null) {
            entries = new TreeMap<>();
            byKey.put(PartitionWork.keyOf(d.original()), entries);
            openKeys++;
        }
        if (entries.put(d.original().offset(), d) == null) {
            openEntries++;
        }
        openIds.add(d.id());
        // Only an entry that can start something wakes a partition found idle: one an action applies to, or a parked
        // entry at the head of its key (its dead entry closed while it was being written). A dead entry with no
        // action gives its key nothing to start, in either mode, and a parked entry behind an open head waits for
        // that head, whose closing wakes the partition through completed(). In a run with a steady trickle of
        // poison events, looking at every key again after each new entry was most of what this skipping saves.
        boolean head = entries.firstKey() == d.original().offset();
        if ((d.status() == DeadLetter.Status.PARKED && head) || actions.actionFor(d).isPresent()) {
            nothingToStart.remove(d.source());
        }
    }

    /**
     * Whether the next dispatch round skips partition {@code tp} without looking at its keys (it found nothing to
     * start and nothing changed since); read by the white-box tests of when the desk looks again.
     */
    boolean skipsLook(TopicPartition tp) {
        return nothingToStart.contains(tp);
    }

    /** Takes a partition's entries, dropped from {@link #open}, out of the counts. */
    private void forget(@Nullable Map<Object, TreeMap<Long, DeadLetter>> byKey) {
        if (byKey == null) {
            return;
        }
        openKeys -= byKey.size();
        for (TreeMap<Long, DeadLetter> m : byKey.values()) {
            openEntries -= m.size();
        }
    }

    private void publish() {
        depth = openEntries;
        parkedKeys = sequenced ? openKeys : 0;
    }

    // ---- task threads ----

    /** Writes each event of a failed HANDLE task as a dead entry. */
    void writeDead(HandlerTask t) {
        Throwable cause = java.util.Objects.requireNonNull(t.failure);
        for (LogRecord r : t.records) {
            t.written.add(append(DlqCodec.dead(r, processor, cause, t.attempts, t.firstFailureMillis,
                    t.lastFailureMillis), r.partition()));
        }
        t.deadLettered = true;
    }

    /** Writes the events of a PARK task as parked entries (skipping those already in the topic). */
    void writeParked(HandlerTask t) {
        for (int i = 0; i < t.records.size(); i++) {
            String behind = t.parkBehind.get(i);
            if (behind != null) {
                LogRecord r = t.records.get(i);
                t.written.add(append(DlqCodec.parked(r, processor, behind), r.partition()));
            }
        }
    }

    /** Writes that a REDRIVE task's entry is closed with {@code status}. */
    void writeClosed(HandlerTask t, String status) {
        DeadLetter d = java.util.Objects.requireNonNull(t.letter);
        appendRecord(DlqCodec.closing(d, processor, status), d.source().partition());
        t.closedEntry = true;
    }

    /** Writes a redriven entry that failed again as dead, its attempts and first failure carried over. */
    void writeDeadAgain(HandlerTask t) {
        DeadLetter d = java.util.Objects.requireNonNull(t.letter);
        int attempts = d.failure().map(DeadLetter.Failure::attempts).orElse(0) + t.attempts;
        long first = d.failure().map(f -> f.firstFailureAt().toEpochMilli()).orElse(t.firstFailureMillis);
        t.written.add(append(DlqCodec.dead(d.original(), processor, java.util.Objects.requireNonNull(t.failure),
                attempts, first, t.lastFailureMillis), d.source().partition()));
    }

    /** Appends and waits for the acknowledgement, so a commit past the event never precedes its entry. */
    private AppendResult appendRecord(Record record, int sourcePartition) {
        return producer.append(topic, Math.floorMod(sourcePartition, dlqPartitions), record).join();
    }

    /** Appends an entry record and returns the entry as it now stands in the topic. */
    private DeadLetter append(Record record, int sourcePartition) {
        AppendResult res = appendRecord(record, sourcePartition);
        LogRecord stored = new LogRecord(res.topic(), res.partition(), res.offset(), record.timestamp(), record.key(),
                record.value(), record.headers());
        if (DlqCodec.parse(stored).orElseThrow() instanceof DlqCodec.Opened o) {
            return o.letter();
        }
        throw new IllegalStateException("wrote a closing record where an entry was meant: " + stored);
    }

    @Override
    public void close() {
        try {
            actionsConsumer.close();
        } finally {
            producer.close();
        }
    }
}
