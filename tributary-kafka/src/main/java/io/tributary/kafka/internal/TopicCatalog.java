package io.tributary.kafka.internal;

import io.tributary.core.InvalidRequestException;
import io.tributary.core.NotFoundException;
import io.tributary.core.Record;
import io.tributary.log.LogErrors;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.jspecify.annotations.Nullable;

/**
 * What producers must know of a topic before sending, so that an unknown topic, a partition out of range or a record
 * over {@code max.message.bytes} is thrown by the append call itself (as the API promises), not minutes later: the
 * partition count and the size limit, fetched with the admin client. A record is measured as the broker measures it,
 * as a record batch with its framing ({@link KafkaRecordSize}), not by its key, value and headers alone.
 *
 * <p><b>Freshness.</b> The first use of a topic fetches it, waiting (an unknown topic fails right there). After that
 * an append never waits for the admin client, and never reads a clock: {@link #maxAgeMs} after each fetch a timer
 * marks the entry stale, and the next append that sees the mark starts one asynchronous re-fetch and goes on with the
 * entry it has; the re-fetch replaces the entry, or removes it if the topic is gone (so the append after that waits
 * for a fresh look-up and fails with {@code TOPIC_NOT_FOUND}). A cached value that would <em>reject</em> a record is
 * re-fetched at once, waiting, before rejecting (the topic may have grown or its limit been raised). Lookups for
 * consumers ({@link #partitionCount}) re-fetch a stale entry waiting, as they are not on a per-record path. A topic
 * that is not used is never re-fetched. Absent topics are never cached. A fetch that started before a
 * {@link #forget} (the topic was deleted, created or changed through our admin) does not store what it found: it may
 * describe the topic as it was before.
 *
 * <p>The stale marks are set by one daemon timer thread per catalog, stopped by {@link #close()}.
 *
 * <p>Thread-safe.
 */
final class TopicCatalog implements AutoCloseable {

    static final long MAX_AGE_MS = 10_000;

    /** What is known of one topic. {@code stale} is set by a timer; {@code refreshing} lets one re-fetch start. */
    static final class Entry {
        final int partitions;
        final int maxMessageBytes;
        volatile boolean stale;
        final AtomicBoolean refreshing = new AtomicBoolean();

        Entry(int partitions, int maxMessageBytes) {
            this.partitions = partitions;
            this.maxMessageBytes = maxMessageBytes;
        }
    }

    private final Admin admin;
    private final KafkaErrors errors;
    private final long timeoutMs;
    private final long maxAgeMs;
    private final ScheduledExecutorService staleTimer;
    private final Map<String, Entry> entries = new ConcurrentHashMap<>();
    /** Counts {@link #forget} calls: a synchronous fetch stores its entry only if none happened while it ran. */
    private final AtomicLong forgets = new AtomicLong();

    TopicCatalog(Admin admin, KafkaErrors errors, long timeoutMs) {
        this(admin, errors, timeoutMs, MAX_AGE_MS);
    }

    TopicCatalog(Admin admin, KafkaErrors errors, long timeoutMs, long maxAgeMs) {
        this.admin = admin;
        this.errors = errors;
        this.timeoutMs = timeoutMs;
        this.maxAgeMs = maxAgeMs;
        // One daemon thread of our own, not the JDK's shared delay scheduler (whose tasks run on the common pool).
        this.staleTimer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon()
                .name("tributary-kafka-topic-catalog").factory());
    }

    /** Drops what is known of the topic; a fetch running now does not store its (possibly older) answer. */
    void forget(String topic) {
        forgets.incrementAndGet(); // before the removal: a fetch storing after the removal sees the new count
        entries.remove(topic);
    }

    /** Stops the stale timer; entries are no longer marked stale after this. Idempotent. */
    @Override
    public void close() {
        staleTimer.shutdownNow();
    }

    /**
     * Checks the topic exists, the partition (if any) is in range and the record fits; throws otherwise. Waits for
     * the admin client only on the topic's first use and before rejecting a record.
     */
    void checkAppend(String topic, int partition, Record record) {
        Entry e = entries.get(topic);
        if (e == null) {
            e = fetchAndCache(topic);
        } else if (e.stale) {
            refreshInBackground(topic, e);
        }
        boolean fits = KafkaRecordSize.fitsWithin(record, e.maxMessageBytes);
        if (partition >= e.partitions || !fits) {
            e = fetchAndCache(topic);
            fits = KafkaRecordSize.fitsWithin(record, e.maxMessageBytes);
        }
        if (partition >= e.partitions || partition < -1) {
            throw new InvalidRequestException(LogErrors.PARTITION_OUT_OF_RANGE, "Partition " + partition
                    + " of topic '" + topic + "' does not exist: the topic has " + e.partitions + " partitions (0 to "
                    + (e.partitions - 1) + "); append to one of those, or add partitions to the topic.");
        }
        if (!fits) {
            throw tooLarge(topic, record, e.maxMessageBytes, "A record");
        }
    }

    /**
     * {@link #checkAppend} for the records of one {@code appendAll} (each placed by the producer): one look-up of the
     * topic for the whole list, and every record checked before the caller sends any.
     *
     * @return the topic's partition count as the entry the records were checked against knows it (up to
     *         {@link #MAX_AGE_MS} old, plus a re-fetch: a topic grown by another tool may have more by now)
     */
    int checkAppendAll(String topic, List<Record> records) {
        Entry e = entries.get(topic);
        if (e == null) {
            e = fetchAndCache(topic);
        } else if (e.stale) {
            refreshInBackground(topic, e);
        }
        int i = 0;
        for (Record record : records) { // iterated, never get(i): a caller's LinkedList would make that quadratic
            if (!KafkaRecordSize.fitsWithin(record, e.maxMessageBytes)) {
                e = fetchAndCache(topic);
                if (!KafkaRecordSize.fitsWithin(record, e.maxMessageBytes)) {
                    throw tooLarge(topic, record, e.maxMessageBytes, "Record " + i + " of the list (counting from 0)");
                }
            }
            i++;
        }
        return e.partitions;
    }

    /**
     * The broker compares {@code max.message.bytes} with the whole record batch, framing included, so the message
     * gives both sizes: the user's bytes alone may well be under the limit.
     */
    private static InvalidRequestException tooLarge(String topic, Record record, int maxMessageBytes, String which) {
        return new InvalidRequestException(LogErrors.RECORD_TOO_LARGE, which + " of " + record.sizeInBytes()
                + " bytes (key + value + headers) takes up to " + KafkaRecordSize.upperBound(record)
                + " bytes in a Kafka record batch (with its framing, which the broker counts), more than"
                + " max.message.bytes=" + maxMessageBytes + " of topic '" + topic
                + "'; make it smaller, or raise the limit with alterTopicConfig('" + topic
                + "', {max.message.bytes: ...}).");
    }

    /** The topic's partition count; a stale entry is re-fetched first (waiting). */
    int partitionCount(String topic) {
        Entry e = entries.get(topic);
        if (e == null || e.stale) {
            e = fetchAndCache(topic);
        }
        return e.partitions;
    }

    /** The cached entry, without fetching; for tests. */
    @Nullable Entry cached(String topic) {
        return entries.get(topic);
    }

    private Entry fetchAndCache(String topic) {
        long forgetsBefore = forgets.get();
        Entry fresh;
        try {
            fresh = describe(topic).get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw errors.translate(ex, "look up topic '" + topic + "'", timeoutMs);
        } catch (java.util.concurrent.TimeoutException ex) {
            throw errors.translate(new org.apache.kafka.common.errors.TimeoutException(ex.getMessage()),
                    "look up topic '" + topic + "'", timeoutMs);
        } catch (Exception ex) {
            if (KafkaErrors.unwrap(ex) instanceof UnknownTopicOrPartitionException) {
                entries.remove(topic);
                throw topicNotFound(topic);
            }
            throw errors.translate(ex, "look up topic '" + topic + "'", timeoutMs);
        }
        cache(topic, fresh, forgetsBefore);
        return fresh;
    }

    /** Starts one re-fetch of a stale entry unless one runs; the caller goes on with {@code stale}. */
    private void refreshInBackground(String topic, Entry stale) {
        if (!stale.refreshing.compareAndSet(false, true)) {
            return;
        }
        describe(topic).whenComplete((fresh, ex) -> {
            if (ex == null) {
                // Only replaces the entry it refreshed: a forget() (topic deleted or changed by us) meanwhile wins.
                if (entries.replace(topic, stale, fresh)) {
                    armStaleTimer(fresh);
                }
            } else if (KafkaErrors.unwrap(ex) instanceof UnknownTopicOrPartitionException) {
                entries.remove(topic, stale);
            } else {
                // The broker did not answer: keep what we know, and try again after another maxAgeMs.
                stale.stale = false;
                stale.refreshing.set(false);
                armStaleTimer(stale);
            }
        });
    }

    /**
     * Stores what a synchronous fetch found, unless the topic was forgotten while it ran (its answer may predate the
     * change). Decided under the map's lock for the topic, so a forget either comes before (and is seen here) or
     * removes what is stored here.
     */
    private void cache(String topic, Entry fresh, long forgetsBefore) {
        Entry stored = entries.compute(topic, (t, current) -> forgets.get() == forgetsBefore ? fresh : current);
        if (stored == fresh) {
            armStaleTimer(fresh);
        }
    }

    private void armStaleTimer(Entry e) {
        try {
            staleTimer.schedule(() -> e.stale = true, maxAgeMs, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closed) {
            // the log is closed: nothing will append any more
        }
    }

    /** Partition count and {@code max.message.bytes} of a topic, with the two admin requests sent at once. */
    private CompletableFuture<Entry> describe(String topic) {
        ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        CompletableFuture<Integer> partitions = admin.describeTopics(List.of(topic)).allTopicNames()
                .toCompletionStage().toCompletableFuture()
                .thenApply(d -> d.get(topic).partitions().size());
        CompletableFuture<Integer> maxBytes = admin.describeConfigs(List.of(r)).all()
                .toCompletionStage().toCompletableFuture()
                .thenApply(c -> {
                    ConfigEntry max = c.get(r).get("max.message.bytes");
                    return max == null || max.value() == null ? Integer.MAX_VALUE : Integer.parseInt(max.value());
                });
        return partitions.thenCombine(maxBytes, Entry::new);
    }

    static NotFoundException topicNotFound(String topic) {
        return new NotFoundException(LogErrors.TOPIC_NOT_FOUND, "Topic '" + topic + "' does not exist; create it with "
                + "LogAdmin.createTopic(NewTopic.of(\"" + topic + "\", 8)) or 'tributary log create-topic " + topic
                + " --partitions 8' (Kafka's auto.create.topics.enable is not relied on).");
    }
}
