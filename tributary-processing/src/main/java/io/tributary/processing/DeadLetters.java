package io.tributary.processing;

import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import io.tributary.core.NotFoundException;
import io.tributary.core.UuidV7;
import io.tributary.log.EventLog;
import io.tributary.log.LogProducer;
import io.tributary.log.PartitionDescription;
import io.tributary.log.ProducerConfig;
import io.tributary.processing.internal.DlqCodec;
import io.tributary.processing.internal.DlqLedger;
import io.tributary.processing.internal.DlqTopics;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Operator actions on a processor's dead-letter queue: {@link #list()}, {@link #inspect(String)},
 * {@link #redrive(DeadLetterSelection)}, {@link #skip(DeadLetterSelection)} and {@link #purge(DeadLetterSelection)},
 * for one entry, a key, or all. Works from any process that can open the log (the CLI uses it), whether or not the
 * processor runs.
 *
 * <p><b>Durability:</b> every read folds the dead-letter and actions topics afresh, so it sees what any process wrote.
 * An action is a record in the actions topic, acknowledged before the call returns; the processor instance owning the
 * entries' partitions carries it out within {@link DeadLetterPolicy#actionCheckInterval()}, or at its next start.
 * Until then {@link DeadLetter#pendingAction()} shows it.
 *
 * <p><b>Ordering:</b> an action applies to the entries it selects when requested. Redriven entries reach the handler in
 * their original order per key, a key's dead entries before its parked followers; later events of the key stay
 * parked until all its entries are done.
 *
 * <p><b>Thread-safety:</b> immutable and thread-safe; each call opens and closes what it needs.
 */
public final class DeadLetters {

    private static final ErrorCode ENTRY_NOT_FOUND = ErrorCode.of("DLQ_ENTRY_NOT_FOUND");
    private static final ErrorCode DLQ_NOT_FOUND = ErrorCode.of("DLQ_NOT_FOUND");
    private static final ErrorCode ENTRY_OUT_OF_ORDER = ErrorCode.of("DLQ_ENTRY_OUT_OF_ORDER");

    private final EventLog log;
    private final String processor;
    private final String topic;
    private final String actionsTopic;

    private DeadLetters(EventLog log, String processor, DeadLetterPolicy policy) {
        this.log = Objects.requireNonNull(log, "log");
        this.processor = Objects.requireNonNull(processor, "processor");
        this.topic = policy.topicFor(processor);
        this.actionsTopic = policy.actionsTopicFor(processor);
    }

    /** The dead-letter queue of the processor named {@code processor}, at its default topic {@code <name>.dlq}. */
    public static DeadLetters of(EventLog log, String processor) {
        return new DeadLetters(log, processor, DeadLetterPolicy.sequenced());
    }

    /** The dead-letter queue of a processor with this config (honours {@link DeadLetterPolicy#topic()}). */
    public static DeadLetters of(EventLog log, ProcessorConfig config) {
        return new DeadLetters(log, config.name(), config.deadLetter());
    }

    /** The dead-letter queue of the processor named {@code processor} whose dead-letter policy is {@code policy}. */
    public static DeadLetters of(EventLog log, String processor, DeadLetterPolicy policy) {
        return new DeadLetters(log, processor, policy);
    }

    /** The dead-letter topic. */
    public String topic() {
        return topic;
    }

    /** Every open entry, in original order (topic, partition, offset); empty if nothing was ever dead-lettered. */
    public List<DeadLetter> list() {
        return read().open();
    }

    /** The open entries {@code selection} selects, in original order. */
    public List<DeadLetter> list(DeadLetterSelection selection) {
        return list().stream().filter(selection::matches).toList();
    }

    /** One open entry; {@code DLQ_ENTRY_NOT_FOUND} if it is not open (never dead-lettered, or already done). */
    public DeadLetter inspect(String id) {
        return list().stream().filter(d -> d.id().equals(id)).findFirst().orElseThrow(() -> notFound(id));
    }

    /** Open entries, dead and parked. */
    public int depth() {
        return list().size();
    }

    /** Keys with open entries (in sequenced mode, the keys whose new events are being parked). */
    public int parkedKeys() {
        Set<List<Object>> keys = new HashSet<>();
        for (DeadLetter d : list()) {
            keys.add(List.of(d.source(), d.key() == null ? List.of() : java.nio.ByteBuffer.wrap(d.key())));
        }
        return keys.size();
    }

    /** Asks the processor to hand the selected entries to its handler again ({@link DeadLetterAction.Kind#REDRIVE}). */
    public DeadLetterAction redrive(DeadLetterSelection selection) {
        return request(DeadLetterAction.Kind.REDRIVE, selection);
    }

    /** Asks the processor to give up on the selected dead entries ({@link DeadLetterAction.Kind#SKIP}). */
    public DeadLetterAction skip(DeadLetterSelection selection) {
        return request(DeadLetterAction.Kind.SKIP, selection);
    }

    /** Asks the processor to drop the selected entries unhandled ({@link DeadLetterAction.Kind#PURGE}). */
    public DeadLetterAction purge(DeadLetterSelection selection) {
        return request(DeadLetterAction.Kind.PURGE, selection);
    }

    private DeadLetterAction request(DeadLetterAction.Kind kind, DeadLetterSelection selection) {
        Objects.requireNonNull(selection, "selection");
        if (!log.admin().topicExists(topic)) {
            throw new NotFoundException(DLQ_NOT_FOUND, "Processor '" + processor + "' has no dead-letter topic '"
                    + topic + "': nothing was dead-lettered yet, or the processor uses another topic (pass it with "
                    + "--topic, or use DeadLetters.of(log, config)).");
        }
        DlqLedger ledger = read();
        List<DeadLetter> open = ledger.open();
        List<DeadLetter> selected = open.stream().filter(selection::matches).toList();
        if (selected.isEmpty() && !(selection instanceof DeadLetterSelection.All)) {
            if (selection instanceof DeadLetterSelection.Entry e) {
                throw notFound(e.id());
            }
            throw new NotFoundException(ENTRY_NOT_FOUND, "Processor '" + processor + "' has no open dead-letter "
                    + "entries for " + selection.describe() + "; list them with 'tributary dlq list " + processor
                    + "'.");
        }
        if (selection instanceof DeadLetterSelection.Entry && kind == DeadLetterAction.Kind.REDRIVE) {
            DeadLetter d = selected.getFirst();
            for (DeadLetter other : open) {
                if (other.status() == DeadLetter.Status.DEAD && other.source().equals(d.source())
                        && other.original().offset() < d.original().offset()
                        && java.util.Arrays.equals(other.key(), d.key())) {
                    throw new InvalidRequestException(ENTRY_OUT_OF_ORDER, "Entry " + d.id() + " of processor '"
                            + processor + "' is parked behind dead entry " + other.id() + " of the same key; "
                            + "redriving it first would break the key's order. Redrive " + other.id()
                            + " (or the whole key with --key) instead; its parked followers follow it.");
                }
            }
        }
        Map<Integer, Long> watermark = new HashMap<>();
        for (PartitionDescription p : log.admin().describeTopic(topic).partitions()) {
            watermark.put(p.partition(), p.endOffset());
        }
        DeadLetterAction action = new DeadLetterAction(UuidV7.next().toString(), kind, selection, Instant.now(),
                selected.size());
        if (selected.isEmpty()) {
            return action;
        }
        try (LogProducer producer = log.producer(ProducerConfig.defaults().withClientId(processor + "-dlq-admin"))) {
            for (DlqCodec.PendingAction done : ledger.actions()) {
                if (open.stream().noneMatch(done::appliesTo)) {
                    // Finished (every entry it selected was closed): a tombstone lets compaction drop it.
                    producer.append(actionsTopic, 0, new io.tributary.core.Record(
                            done.action().id().getBytes(java.nio.charset.StandardCharsets.UTF_8), null,
                            io.tributary.core.Headers.empty(), System.currentTimeMillis())).join();
                }
            }
            producer.append(actionsTopic, 0, DlqCodec.actionRecord(action, watermark)).join();
        }
        return action;
    }

    private NotFoundException notFound(String id) {
        return new NotFoundException(ENTRY_NOT_FOUND, "Processor '" + processor + "' has no open dead-letter entry '"
                + id + "' in topic '" + topic + "' (it was never dead-lettered, or was already redriven, skipped or "
                + "purged); list the open ones with 'tributary dlq list " + processor + "'.");
    }

    private DlqLedger read() {
        DlqLedger ledger = new DlqLedger();
        if (log.admin().topicExists(topic)) {
            DlqTopics.readAll(log, topic, ledger::applyEntryRecord);
        }
        if (log.admin().topicExists(actionsTopic)) {
            DlqTopics.readAll(log, actionsTopic, ledger::applyActionRecord);
        }
        return ledger;
    }
}
