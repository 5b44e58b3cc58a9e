package io.tributary.kafka.internal;

import io.tributary.core.ConflictException;
import io.tributary.core.CorruptionException;
import io.tributary.core.ErrorCode;
import io.tributary.core.Header;
import io.tributary.core.Headers;
import io.tributary.core.InvalidRequestException;
import io.tributary.core.NotFoundException;
import io.tributary.core.Record;
import io.tributary.core.RetriableException;
import io.tributary.core.TributaryException;
import io.tributary.core.UnauthorizedException;
import io.tributary.log.AppendCallback;
import io.tributary.log.AppendResult;
import io.tributary.log.LogErrors;
import io.tributary.log.LogProducer;
import java.util.AbstractList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Properties;
import java.util.RandomAccess;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.BufferExhaustedException;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.jspecify.annotations.Nullable;

/**
 * {@link LogProducer} on a {@link KafkaProducer} (idempotent, {@code acks=all} unless overridden). Keyed records go
 * to the partition Kafka's default partitioner picks, which is {@code murmur2(key) mod partitions}, the same as
 * {@link io.tributary.log.KeyPartitioner}; keyless ones are spread by Kafka's sticky partitioner (an
 * {@link #appendAll} of keyless records for a topic of one partition names that partition itself: see there).
 *
 * <p>Thread-safe, like {@link KafkaProducer}. Errors known before sending (unknown topic, partition out of range,
 * record over the topic's {@code max.message.bytes} or over what this producer can send, buffer full after
 * {@code maxBlock}) are thrown by {@code append}; the rest fail the returned future. The callback form
 * ({@link #append(String, Record, AppendCallback)}) hands all of them to the callback, and costs one object of ours
 * per distinct callback rather than per record: Kafka calls one shared adapter, which makes the
 * {@link AppendResult} on acknowledgement.
 */
class KafkaLogProducer implements LogProducer {

    private static final System.Logger LOG = System.getLogger(KafkaLogProducer.class.getName());

    /** Longest wait for a topic's metadata before the first append to it, when {@code maxBlock} is shorter. */
    static final long METADATA_WAIT_MS = 30_000;

    /** The partition of a one-partition topic, named by {@link #appendAll} (see there). */
    private static final Integer ONLY_PARTITION = 0;

    final KafkaProducer<byte[], byte[]> producer;
    final KafkaErrors errors;
    private final TopicCatalog catalog;
    private final long maxBlockMs;
    private final long deliveryTimeoutMs;
    private final Consumer<AutoCloseable> onClose;
    private final java.util.Set<String> topicsWithMetadata = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private @Nullable Long lastTimestamp;
    /** See {@link #acknowledgementFor}. */
    private @Nullable Acknowledgement lastAcknowledgement;
    private volatile boolean closed;
    /** A user's producer interceptor sees the arrays and may write to them: then each record gets its own copies. */
    private final boolean copyArrays;
    /**
     * The largest record Kafka's producer accepts in {@code send()}, as it measures records
     * ({@link KafkaRecordSize#upperBound}): the lower of {@code max.request.size} and {@code buffer.memory}. We set both to
     * {@code ProducerConfig.bufferMemoryBytes}, so that is the setting to raise, unless the user passed a lower
     * {@code max.request.size} through.
     */
    private final int maxRecordBytes;
    /** The setting that gives {@link #maxRecordBytes}, as the error tells the user to raise it. */
    private final String maxRecordSetting;
    /**
     * Whether this producer's settings let {@link #appendAll} tell the records of a one-partition call apart by the
     * order of their successes, without a callback object per record: see {@link #keepsSuccessOrder}.
     */
    private final boolean keepsSuccessOrder;
    /**
     * How many {@link #appendAll} calls shared one callback ({@link Batch#byArrival}): for tests that must know the
     * path was taken. One uncontended add per call, not per record.
     */
    final java.util.concurrent.atomic.LongAdder callsByArrival = new java.util.concurrent.atomic.LongAdder();

    KafkaLogProducer(Properties properties, TopicCatalog catalog, KafkaErrors errors, long maxBlockMs,
                     Consumer<AutoCloseable> onClose) {
        this.catalog = catalog;
        this.errors = errors;
        this.maxBlockMs = maxBlockMs;
        this.deliveryTimeoutMs = Long.parseLong(properties.getProperty(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "120000"));
        this.onClose = onClose;
        this.copyArrays = properties.containsKey(ProducerConfig.INTERCEPTOR_CLASSES_CONFIG);
        this.keepsSuccessOrder = keepsSuccessOrder(properties);
        long maxRequest = longProperty(properties, ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 1_048_576);
        long bufferMemory = longProperty(properties, ProducerConfig.BUFFER_MEMORY_CONFIG, 33_554_432);
        this.maxRecordBytes = (int) Math.min(Integer.MAX_VALUE, Math.min(maxRequest, bufferMemory));
        this.maxRecordSetting = maxRequest < bufferMemory
                ? "the producer's max.request.size=" + maxRequest + " (a Kafka property passed through); raise it"
                : "the producer's buffer (ProducerConfig.bufferMemoryBytes=" + bufferMemory + ", which also sets Kafka's "
                        + "max.request.size); raise it with ProducerConfig.withBufferMemoryBytes(...)";
        try {
            this.producer = new KafkaProducer<>(properties);
        } catch (KafkaException e) {
            throw new InvalidRequestException(ErrorCode.INVALID_CONFIG, "Cannot create a Kafka producer: "
                    + e.getMessage() + (e.getCause() == null ? "" : " (" + e.getCause().getMessage() + ")")
                    + "; check the tributary.log.kafka.client.* / producer.* properties", e);
        }
    }

    @Override
    public CompletableFuture<AppendResult> append(String topic, Record record) {
        return send(topic, -1, record);
    }

    @Override
    public CompletableFuture<AppendResult> append(String topic, int partition, Record record) {
        if (partition < 0) {
            throw new InvalidRequestException(LogErrors.PARTITION_OUT_OF_RANGE, "Partition " + partition + " of topic '"
                    + topic + "' is negative; partitions are numbered from 0.");
        }
        return send(topic, partition, record);
    }

    @Override
    public void append(String topic, Record record, AppendCallback callback) {
        sendTo(topic, -1, record, callback);
    }

    @Override
    public void append(String topic, int partition, Record record, AppendCallback callback) {
        Objects.requireNonNull(callback, "callback");
        if (partition < 0) {
            tell(callback, null, new InvalidRequestException(LogErrors.PARTITION_OUT_OF_RANGE, "Partition "
                    + partition + " of topic '" + topic + "' is negative; partitions are numbered from 0."));
            return;
        }
        sendTo(topic, partition, record, callback);
    }

    /**
     * The callback form: the same checks as {@link #send}, each failure handed to the callback on this thread; then
     * one {@code send()} with the shared {@link Acknowledgement} of this callback, so nothing of ours is made per
     * record until Kafka acknowledges it (then one {@link AppendResult}). A failure Kafka reports inside
     * {@code send()} (buffer full after {@code maxBlock}) reaches the callback through Kafka itself, on this thread;
     * one it throws instead (closed, interrupted) is handed over here, so the callback sees every outcome once.
     */
    private void sendTo(String topic, int partition, Record record, AppendCallback callback) {
        Acknowledgement ack = acknowledgementFor(Objects.requireNonNull(callback, "callback"));
        try {
            checkOpen();
            checkCanAppend(topic);
            catalog.checkAppend(topic, partition, record);
            checkFitsProducer(topic, record, -1, -1);
            awaitMetadata(topic);
        } catch (TributaryException e) {
            tell(callback, null, e);
            return;
        }
        ProducerRecord<byte[], byte[]> pr = toKafka(topic, partition, record);
        try {
            producer.send(pr, ack);
        } catch (IllegalStateException e) {
            tell(callback, null, closedOr(e, what(topic, partition)));
        } catch (KafkaException e) {
            tell(callback, null, errors.translate(e, what(topic, partition), maxBlockMs));
        }
    }

    /**
     * The adapter of the callback most recently used, made anew only when the callback changes: a caller that passes
     * one callback to every append (the way Kafka's users share one) costs no allocation of ours per record. Racy on
     * purpose, as {@link #boxed}: an adapter's fields are final, so a thread that reads another's gets it complete,
     * and the identity check catches one made for another callback.
     */
    private Acknowledgement acknowledgementFor(AppendCallback callback) {
        Acknowledgement last = lastAcknowledgement;
        if (last == null || last.callback != callback) {
            last = new Acknowledgement(callback);
            lastAcknowledgement = last;
        }
        return last;
    }

    private static String what(String topic, int partition) {
        return "append to topic '" + topic + "'" + (partition < 0 ? "" : " partition " + partition);
    }

    /**
     * Kafka's callback for the callback form of append, one per {@link AppendCallback} (shared by all its appends).
     * Kafka calls it on its I/O thread, in send order per partition, or on the appending thread inside {@code send()}
     * for a failure known before sending; the outcome goes straight to the user's callback on the same thread.
     */
    private final class Acknowledgement implements Callback {
        final AppendCallback callback;

        Acknowledgement(AppendCallback callback) {
            this.callback = callback;
        }

        @Override
        public void onCompletion(@Nullable RecordMetadata md, @Nullable Exception ex) {
            if (ex == null && md != null) {
                tell(callback, new AppendResult(md.topic(), md.partition(), md.offset(), md.timestamp()), null);
                return;
            }
            tell(callback, null, failed(md, ex));
        }
    }

    /**
     * Calls the user's {@code callback}, logging (WARNING) what it throws instead of letting it out. Kafka calls
     * {@link Acknowledgement} for a record it refuses inside {@code send()} (buffer full after {@code maxBlock})
     * without catching: a throw would escape {@code send()}, skip Kafka's own error handling (its metrics,
     * interceptors' {@code onSendError}, moving a transaction to its error state, so a commit could go ahead with
     * the record missing), and, if it were a {@link KafkaException} or {@link IllegalStateException}, be caught by
     * {@link #sendTo} and told to the callback a second time. Our own refusals run the callback inside
     * {@code append} too, whose caller was promised the callback, not a throw.
     */
    private static void tell(AppendCallback callback, @Nullable AppendResult result, @Nullable TributaryException error) {
        try {
            callback.onCompletion(result, error);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "An AppendCallback threw on being told " + (error == null
                    ? "the result " + result : "the error " + error.code()) + "; ignored (a callback should not "
                    + "throw): " + e, e);
        }
    }

    /**
     * Every record is checked (topic, the topic's {@code max.message.bytes}, what this producer can send) before any
     * is sent, then each goes to Kafka with its own {@code send()}, as {@link #append(String, Record)} would place
     * it; Kafka batches them as it batches single sends. What this saves over {@code append} per record is ours, not
     * Kafka's: one topic look-up per call, and per record a small callback slot instead of a future, a caller's
     * completion stage and an {@link AppendResult} (Kafka's own {@link RecordMetadata} is kept, and made into an
     * {@code AppendResult} only when the list is read). A failure inside {@code send()} after the checks (buffer full
     * after {@code maxBlock}, producer closed) is thrown, saying how many records were already handed to Kafka.
     *
     * <p>Keyless records for a topic of one partition (as the {@link TopicCatalog} knows it) are sent to partition 0
     * by name, with the {@link Batch} itself as every record's callback: no callback slot per record, which Kafka
     * would otherwise hold, with the record, until the record is acknowledged (young collections copy what is held:
     * with the buffer full, as many slots as records fit in it, {@code buffer.memory} divided by the size of one
     * record in Kafka's batch). The n-th success of such a call is taken for its n-th record: with idempotence
     * Kafka reports one partition's successes in the order the records were sent ({@link #keepsSuccessOrder}).
     * Failures have no such order (Kafka fails expired unsent batches before expired sent ones, and aborts the
     * incomplete ones in no set order), which is harmless only because a failure never writes a record's result and
     * any failure fails the whole call: only successes must be in order, and each is checked to come after the one
     * before, the call failing with {@code INTERNAL} if not (see {@link Batch#onCompletion}). Naming the partition
     * changes nothing for a topic that has one: it is the partition Kafka's partitioner would choose. A topic grown
     * by another tool since the catalog looked (at most {@link TopicCatalog#MAX_AGE_MS} and a re-fetch ago) still
     * gets such calls' records in partition 0 until the catalog sees the new count, as Kafka's own producer does until
     * its metadata refresh ({@code metadata.max.age.ms}, 5 minutes). Keyed records (the key decides the partition),
     * and every record of a producer with a Kafka interceptor (which may send a record elsewhere than named), with its
     * own {@code partitioner.class} (which {@code append} uses, so naming the partition would bypass it) or with
     * idempotence turned off, go through Kafka's partitioner with a slot each: see {@link #tellsApartByArrival}.
     */
    @Override
    public CompletableFuture<List<AppendResult>> appendAll(String topic, List<Record> records) {
        checkOpen();
        checkCanAppend(topic);
        // An unknown topic fails even with nothing to append, as embedded.
        int partitions = catalog.checkAppendAll(topic, records);
        int count = records.size();
        if (count == 0) {
            return CompletableFuture.completedFuture(List.of());
        }
        // Iterated, never get(i): a caller's LinkedList would make that quadratic.
        int index = 0;
        boolean keyless = true;
        for (Record record : records) {
            checkFitsProducer(topic, record, index, count);
            keyless &= record.sharedKey() == null;
            index++;
        }
        awaitMetadata(topic);
        Batch batch = new Batch(topic, count, tellsApartByArrival(keepsSuccessOrder, keyless, partitions));
        if (batch.byArrival) {
            callsByArrival.increment();
        }
        try {
            sendEach(batch, topic, records, count);
        } finally {
            batch.sending = false;
        }
        return batch;
    }

    /**
     * Whether a producer of these (Kafka) properties reports the successes of one partition's records in the order
     * they were sent, to partitions we name: idempotence on (Kafka's default and ours; only an explicit
     * {@code enable.idempotence=false} passed through turns it off, and without it a batch retried after a later one
     * succeeded succeeds after it), no {@code interceptor.classes} (an interceptor may send a record to another topic
     * or partition than the one named) and no {@code partitioner.class} (a user's partitioner, which {@code append}
     * uses, would be bypassed by naming the partition).
     */
    static boolean keepsSuccessOrder(Properties properties) {
        Object idempotence = properties.get(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG);
        boolean idempotent = idempotence == null || !"false".equalsIgnoreCase(idempotence.toString().trim());
        return idempotent && !properties.containsKey(ProducerConfig.INTERCEPTOR_CLASSES_CONFIG)
                && !properties.containsKey(ProducerConfig.PARTITIONER_CLASS_CONFIG);
    }

    /**
     * Whether {@link #appendAll} tells its records apart by the order of their successes, with the call's
     * {@link Batch} as every record's callback, rather than by a {@link Slot} each: only for keyless records (a key
     * decides its own partition) to a topic of one partition, from a producer that {@link #keepsSuccessOrder}.
     */
    static boolean tellsApartByArrival(boolean keepsSuccessOrder, boolean keyless, int partitions) {
        return keepsSuccessOrder && keyless && partitions == 1;
    }

    /**
     * The send loop of {@link #appendAll}: each record with its own {@link Slot}, or, for a batch told apart by
     * acknowledgement order, to partition 0 with the batch as callback.
     */
    private void sendEach(Batch batch, String topic, List<Record> records, int count) {
        Integer partition = batch.byArrival ? ONLY_PARTITION : null;
        boolean transactional = this instanceof KafkaTransactionalProducer;
        int i = 0;
        for (Record record : records) {
            ProducerRecord<byte[], byte[]> pr = new ProducerRecord<>(topic, partition, boxed(record.timestamp()),
                    copyArrays ? record.key() : record.sharedKey(), copyArrays ? record.value() : record.sharedValue(),
                    kafkaHeaders(record.headers()));
            try {
                producer.send(pr, batch.byArrival ? batch : new Slot(batch, i));
            } catch (IllegalStateException e) {
                throw partlySent(closedOr(e, batch.what()), topic, i, count, transactional);
            } catch (KafkaException e) {
                throw partlySent(errors.translate(e, batch.what(), maxBlockMs), topic, i, count, transactional);
            }
            // As for append: a failure Kafka reported inside send() was known before sending; the records before
            // this one are on their way (appendAll is not atomic), the rest are not sent.
            TributaryException failedInSend = batch.failedInsideSend;
            if (failedInSend != null) {
                throw partlySent(failedInSend, topic, i, count, transactional);
            }
            i++;
        }
    }

    /**
     * The error of an {@code appendAll} that failed inside {@code send()} of record {@code failed}, of the same kind
     * and code, saying which records Kafka already has (they may be stored: a retry of the whole call would store
     * them twice) and which were not sent. A transactional producer's {@code send()} can fail after buffering the
     * record (Kafka adds the partition to the transaction after appending the record to its buffer, and that step
     * throws when the transaction is in an error state), and its failures inside {@code send()} leave the
     * transaction to be aborted: then the failed record may have been sent too, so the error says to abort and
     * append the whole list again in a new transaction, where "retry with records failed..n-1" could store record
     * {@code failed} twice. Package-private for tests of the message.
     */
    static TributaryException partlySent(TributaryException e, String topic, int failed, int count,
                                         boolean transactional) {
        String message = e.getMessage() + (transactional
                ? (failed == 0 ? "" : " Records 0.." + (failed - 1) + " of the list were sent to topic '" + topic + "'.")
                        + " Record " + failed + " of the list (counting from 0) may have been sent to topic '" + topic
                        + "' (a transactional producer can fail a record after buffering it)"
                        + (failed == count - 1 ? "." : "; records " + (failed + 1) + ".." + (count - 1) + " were not sent.")
                        + " Abort the transaction and append the whole list again in a new one: retrying in this "
                        + "transaction, or with records " + failed + ".." + (count - 1) + " only, could store record "
                        + failed + " twice."
                : failed == 0
                ? " No record of the list was sent to topic '" + topic + "'; the call may be retried as it is."
                : " Records 0.." + (failed - 1) + " of the list (" + failed + " of " + count + ") were sent to topic '"
                        + topic + "' and may be stored; retrying the call would duplicate them: retry with records "
                        + failed + ".." + (count - 1) + " only.");
        return switch (e) {
            case NotFoundException n -> new NotFoundException(n.code(), message, n);
            case ConflictException c -> new ConflictException(c.code(), message, c);
            case InvalidRequestException r -> new InvalidRequestException(r.code(), message, r);
            case RetriableException r -> new RetriableException(r.code(), message, r);
            case CorruptionException c -> new CorruptionException(c.code(), message, c);
            case UnauthorizedException u -> new UnauthorizedException(u.code(), message, u);
        };
    }

    /**
     * Throws {@code RECORD_TOO_LARGE} for a record Kafka's producer would refuse inside {@code send()} (over
     * {@code max.request.size} or {@code buffer.memory}, by its own measure), naming the setting to raise; the topic's
     * {@code max.message.bytes} is checked by the {@link TopicCatalog}.
     */
    private void checkFitsProducer(String topic, Record record, int index, int count) {
        if (!KafkaRecordSize.fitsWithin(record, maxRecordBytes)) {
            int size = KafkaRecordSize.upperBound(record);
            String which = count < 0 ? "A record" : "Record " + index + " of the list (counting from 0)";
            throw new InvalidRequestException(LogErrors.RECORD_TOO_LARGE, which + " for topic '" + topic + "' takes "
                    + size + " bytes in a Kafka request (key + value + headers + " + (size - record.sizeInBytes())
                    + " bytes of Kafka framing), more than this producer can send: " + maxRecordBytes + " bytes, "
                    + maxRecordSetting + " above the largest record, or make the record smaller."
                    + (count < 0 ? "" : " No record of the list was sent."));
        }
    }

    private static long longProperty(Properties properties, String name, long kafkaDefault) {
        Object v = properties.get(name);
        if (v == null) {
            return kafkaDefault;
        }
        try {
            return Long.parseLong(v.toString().trim());
        } catch (NumberFormatException e) {
            return kafkaDefault; // KafkaProducer's constructor has already refused a value it cannot read
        }
    }

    private CompletableFuture<AppendResult> send(String topic, int partition, Record record) {
        checkOpen();
        checkCanAppend(topic);
        catalog.checkAppend(topic, partition, record);
        checkFitsProducer(topic, record, -1, -1);
        awaitMetadata(topic);
        ProducerRecord<byte[], byte[]> pr = toKafka(topic, partition, record);
        Delivery delivery = new Delivery();
        // Kafka reports some failures inside send() itself, on this thread (buffer full after max.block.ms, metadata
        // not available in time, record too large for the client): those were known before sending.
        try {
            producer.send(pr, delivery);
        } catch (IllegalStateException e) {
            throw closedOr(e, what(topic, partition));
        } catch (KafkaException e) {
            throw errors.translate(e, what(topic, partition), maxBlockMs);
        }
        if (delivery.isCompletedExceptionally()) {
            try {
                delivery.get();
            } catch (ExecutionException e) {
                if (e.getCause() instanceof TributaryException te) {
                    throw te;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return delivery;
    }

    /** Kafka's record for ours; {@code partition < 0} lets Kafka's partitioner choose. */
    private ProducerRecord<byte[], byte[]> toKafka(String topic, int partition, Record record) {
        // The record's own arrays, not copies: Kafka copies them into its batch before send() returns, and never
        // writes to them (ByteArraySerializer hands them over as they are). Only an interceptor could: copies then.
        return new ProducerRecord<>(topic, partition < 0 ? null : partition, boxed(record.timestamp()),
                copyArrays ? record.key() : record.sharedKey(), copyArrays ? record.value() : record.sharedValue(),
                kafkaHeaders(record.headers()));
    }

    /**
     * The timestamp as the {@code Long} a {@link ProducerRecord} takes, reusing the last one while it repeats (it
     * does for every record appended within the same millisecond): one allocation per millisecond, not per record.
     * Racy on purpose: a thread that reads another's {@code Long} gets a complete immutable object, at worst the
     * wrong one for its value, which the comparison catches.
     */
    private Long boxed(long timestamp) {
        Long last = lastTimestamp;
        if (last == null || last != timestamp) {
            last = timestamp;
            lastTimestamp = last;
        }
        return last;
    }

    /** Kafka's headers for ours; {@code null} (Kafka's own empty headers) for none, the common case. */
    private static @Nullable List<org.apache.kafka.common.header.Header> kafkaHeaders(Headers headers) {
        if (headers.isEmpty()) {
            return null;
        }
        List<Header> all = headers.all();
        org.apache.kafka.common.header.Header[] out = new org.apache.kafka.common.header.Header[all.size()];
        for (int i = 0; i < out.length; i++) {
            Header h = all.get(i);
            out[i] = new RecordHeader(h.name(), h.value());
        }
        return Arrays.asList(out);
    }

    /**
     * One append in flight: the future its caller holds, completed directly by Kafka's callback, so an append costs
     * one object of ours besides the {@link ProducerRecord}. It has no field of its own besides the producer: it is
     * kept alive, with the caller's stages on it, for as long as Kafka holds the record (up to {@code bufferMemory} of
     * records), so every young collection meanwhile copies it, and each field would be paid per record in flight.
     * What an error names comes from Kafka's metadata of the failure (topic, and partition once chosen), which timeout
     * it quotes from the kind of failure and the thread Kafka calls back on; see {@link #failed}.
     */
    private final class Delivery extends CompletableFuture<AppendResult> implements Callback {

        @Override
        public void onCompletion(@Nullable RecordMetadata md, @Nullable Exception ex) {
            if (ex == null && md != null) {
                complete(new AppendResult(md.topic(), md.partition(), md.offset(), md.timestamp()));
            } else {
                completeExceptionally(failed(md, ex));
            }
        }
    }

    /**
     * Our error for a failure Kafka reported to its callback: Kafka names the record's topic (and partition, once
     * chosen; -1 before) in the metadata of a failure. Which of its timeouts the message quotes (used only there):
     * <ul>
     * <li>a buffer full ({@link BufferExhaustedException}) comes only from inside {@code send()}: always
     *     {@code max.block.ms}, whichever thread appended. Telling it by the thread would be wrong for an append made
     *     on Kafka's I/O thread (from an {@link AppendCallback}, or a dependent stage of a future Kafka completed),
     *     whose {@code send()} fails there and would have quoted {@code delivery.timeout.ms}.</li>
     * <li>any other timeout: {@code delivery.timeout.ms} when reported on Kafka's I/O thread (a queued record
     *     expired), {@code max.block.ms} otherwise (inside {@code send()}). The one case this gets wrong, a metadata
     *     wait inside a {@code send()} made on the I/O thread, is still told right by Kafka's own message, which the
     *     error keeps: "Topic ... not present in metadata after N ms".</li>
     * </ul>
     * Both tests cost nothing per append, where a field naming the appending thread would be kept per record in
     * flight.
     */
    private TributaryException failed(@Nullable RecordMetadata md, @Nullable Exception ex) {
        // Kafka passes metadata with every failure (topic, partition or -1), and an exception with every null
        // metadata; both fallbacks are defensive, one null check each, so that a future kafka-clients that broke
        // this would still give the caller an error rather than a NullPointerException on Kafka's I/O thread.
        String what = md == null ? "append" : what(md.topic(), md.partition());
        Exception error = ex != null ? ex : new IllegalStateException("Kafka reported neither metadata nor an error");
        return errors.translate(error, what, insideSend(error) ? maxBlockMs : deliveryTimeoutMs);
    }

    /** Whether Kafka reported {@code error} inside {@code send()}, as far as the timeout quoted goes; see {@link #failed}. */
    private static boolean insideSend(Exception error) {
        return error instanceof BufferExhaustedException
                || !Thread.currentThread().getName().startsWith(KafkaProducer.NETWORK_THREAD_PREFIX);
    }

    /**
     * The records of one {@code appendAll} in flight: the future its caller holds, completed when every record is
     * acknowledged or failed (exceptionally with the first failure if any failed). Kafka's callbacks keep each
     * record's {@link RecordMetadata} (which Kafka allocates anyway) in list order; the countdown that completes the
     * future publishes them. Callbacks run on Kafka's I/O thread, or on the appending thread for a failure inside
     * {@code send()}; each writes only its own entry, and the atomic countdown orders them.
     *
     * <p>Which record a callback is for: its {@link Slot} says, or, when {@link #byArrival} (every record sent to the
     * one partition: see {@link #appendAll}), the batch is every record's callback and the n-th callback is taken for
     * record n. That is right for successes only, which Kafka reports in send order with idempotence; failures come
     * in no set order, so one may take another record's entry, but a failure writes no entry and fails the call, so
     * no entry is ever read then. The order of successes is checked ({@link #lastOffset}), never assumed silently.
     * Kafka runs one partition's callbacks one after another, on its I/O thread, so the entry a success writes is
     * written before the next one counts down. A failure inside {@code send()} can run alongside them on the
     * appending thread, but then the call throws and this future is never handed out.
     *
     * <p>Package-private for tests of the order check.
     */
    final class Batch extends CompletableFuture<List<AppendResult>> implements Callback {
        private final String topic;
        /** Whether records are told apart by the order of their acknowledgements rather than by {@link Slot}s. */
        final boolean byArrival;
        /**
         * When {@link #byArrival}: the offset of the call's last success with a known offset, -1 before the first.
         * Written and read only by Kafka's I/O thread, the one thread that reports successes.
         */
        private long lastOffset = -1;
        private final @Nullable RecordMetadata[] placed;
        private final AtomicInteger remaining;
        private final AtomicReference<@Nullable TributaryException> firstError = new AtomicReference<>();
        /**
         * The appending thread: Kafka calls back either on it, inside {@code send()} (a failure known before sending),
         * or later on its I/O thread. One per call, so comparing threads costs no volatile write per record.
         */
        private final Thread appender = Thread.currentThread();
        /**
         * Whether the appending thread is still in the send loop; written and read by that thread only. The thread
         * alone does not tell "inside send()" when {@code appendAll} was called on Kafka's I/O thread (from an
         * {@link AppendCallback} or a dependent stage): its later acknowledgements come on that same thread.
         */
        boolean sending = true;
        /** A failure Kafka reported inside {@code send()}; written and read by the appending thread only. */
        @Nullable TributaryException failedInsideSend;

        Batch(String topic, int count, boolean byArrival) {
            this.topic = topic;
            this.byArrival = byArrival;
            this.placed = new RecordMetadata[count];
            this.remaining = new AtomicInteger(count);
        }

        /**
         * Kafka's callback for every record when {@link #byArrival}: the n-th call is taken for record n, which holds
         * for successes (see the class). A success that is not after the call's previous one (offset not above the
         * last known, or another partition) means that order did not hold: the results cannot be matched to the
         * records, so the call fails with {@code INTERNAL} rather than hand out wrong offsets. Kafka reports a
         * success with offset -1 (a batch the broker already had, whose offset it no longer knows): that one is
         * not checked, as the slot path would hand it out as it is.
         */
        @Override
        public void onCompletion(@Nullable RecordMetadata md, @Nullable Exception ex) {
            int left = remaining.decrementAndGet();
            if (ex == null && md != null) {
                long offset = md.offset();
                if (md.partition() != ONLY_PARTITION || (offset >= 0 && offset <= lastOffset)) {
                    firstError.compareAndSet(null, outOfOrder(md, placed.length - 1 - left));
                }
                lastOffset = Math.max(lastOffset, offset);
            }
            record(placed.length - 1 - left, md, ex);
            if (left == 0) {
                finish();
            }
        }

        private TributaryException outOfOrder(RecordMetadata md, int index) {
            return new CorruptionException(ErrorCode.INTERNAL, "Kafka acknowledged the records of an append of "
                    + placed.length + " records to topic '" + topic + "' out of the order they were sent: "
                    + "acknowledgement " + index + " (counting from 0) was a success at topic '" + md.topic()
                    + "' partition " + md.partition() + " offset " + md.offset() + ", not after the call's previous "
                    + "success" + (lastOffset < 0 ? " (none had a known offset yet)"
                            : " at partition " + ONLY_PARTITION + " offset " + lastOffset)
                    + ". The results cannot be matched to the records, so none is given. This is a bug in Tributary "
                    + "(it relies on that order for keyless records to a one-partition topic); please report it with "
                    + "the producer's settings. The records were sent and may be stored: read the topic before "
                    + "appending them again.");
        }

        /** A {@link Slot}'s record is acknowledged or failed. */
        void done(int index, @Nullable RecordMetadata md, @Nullable Exception ex) {
            record(index, md, ex);
            if (remaining.decrementAndGet() == 0) {
                finish();
            }
        }

        private void record(int index, @Nullable RecordMetadata md, @Nullable Exception ex) {
            if (ex != null) {
                // Thread first: another thread must not read the appender's plain field.
                boolean insideSend = Thread.currentThread() == appender && sending;
                // A buffer full comes only from inside send(): maxBlock, as in failed().
                long timeoutMs = insideSend || ex instanceof BufferExhaustedException ? maxBlockMs : deliveryTimeoutMs;
                TributaryException error = errors.translate(ex, what(), timeoutMs);
                if (insideSend) {
                    failedInsideSend = error;
                }
                firstError.compareAndSet(null, error);
            } else {
                placed[index] = md;
            }
        }

        private void finish() {
            TributaryException error = firstError.get();
            if (error != null) {
                completeExceptionally(error);
            } else {
                complete(new Placements(topic, placed));
            }
        }

        String what() {
            return "append " + placed.length + " records to topic '" + topic + "'";
        }
    }

    /** Kafka's callback for one record of a {@link Batch}: which record it was. */
    private record Slot(Batch batch, int index) implements Callback {
        @Override
        public void onCompletion(@Nullable RecordMetadata md, @Nullable Exception ex) {
            batch.done(index, md, ex);
        }
    }

    /**
     * The results of a completed {@link Batch} in list order, each made when read; immutable (every record was
     * acknowledged, so no entry is {@code null}).
     */
    private static final class Placements extends AbstractList<AppendResult> implements RandomAccess {
        private final String topic;
        private final @Nullable RecordMetadata[] placed;

        Placements(String topic, @Nullable RecordMetadata[] placed) {
            this.topic = topic;
            this.placed = placed;
        }

        @Override
        public AppendResult get(int index) {
            RecordMetadata md = Objects.requireNonNull(placed[index], "acknowledged");
            return new AppendResult(topic, md.partition(), md.offset(), md.timestamp());
        }

        @Override
        public int size() {
            return placed.length;
        }
    }

    private TributaryException closedOr(IllegalStateException e, String what) {
        if (closed) {
            return closedError();
        }
        if (this instanceof KafkaTransactionalProducer) {
            return new ConflictException(LogErrors.TRANSACTION_FAILED, "Cannot " + what + ": " + e.getMessage()
                    + "; a transactional producer appends only between beginTransaction() and commitTransaction() or "
                    + "abortTransaction().", e);
        }
        return new InvalidRequestException(ErrorCode.INVALID_ARGUMENT, "Cannot " + what + ": " + e.getMessage(), e);
    }

    @Override
    public void flush() {
        checkOpen();
        try {
            producer.flush();
        } catch (KafkaException e) {
            throw errors.translate(e, "flush the producer", deliveryTimeoutMs);
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            // Records still buffered are acknowledged or failed within delivery.timeout.ms; waiting longer cannot help.
            producer.close(java.time.Duration.ofMillis(deliveryTimeoutMs));
        } finally {
            onClose.accept(this);
        }
    }

    /**
     * Kafka's {@code max.block.ms} bounds both the wait for buffer space and the wait for a topic's metadata on its
     * first send. Our {@code maxBlock} is about buffer space only (it may be 0: fail at once when full), so the
     * metadata is fetched here first, once per topic, with a wait of its own.
     */
    private void awaitMetadata(String topic) {
        if (topicsWithMetadata.contains(topic)) {
            return;
        }
        long waitMs = Math.max(maxBlockMs, METADATA_WAIT_MS);
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(waitMs);
        while (true) {
            try {
                producer.partitionsFor(topic);
                topicsWithMetadata.add(topic);
                return;
            } catch (org.apache.kafka.common.errors.TimeoutException e) {
                if (System.nanoTime() > deadline) {
                    throw errors.translate(e, "append to topic '" + topic + "'", waitMs);
                }
                try {
                    Thread.sleep(5);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw errors.translate(ie, "append to topic '" + topic + "'", waitMs);
                }
            } catch (KafkaException e) {
                throw errors.translate(e, "append to topic '" + topic + "'", waitMs);
            }
        }
    }

    /** A hook for producers whose appends have preconditions (a transaction in progress). */
    void checkCanAppend(String topic) {
    }

    void checkOpen() {
        if (closed) {
            throw closedError();
        }
    }

    private static InvalidRequestException closedError() {
        return new InvalidRequestException(ErrorCode.CLOSED, "This producer is closed; create a new one with "
                + "EventLog.producer().");
    }
}
