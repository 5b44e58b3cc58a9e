package io.tributary.bench.internal;

import io.tributary.core.Headers;
import io.tributary.core.Record;
import io.tributary.log.ConsumerConfig;
import io.tributary.log.Durability;
import io.tributary.log.EventLog;
import io.tributary.log.LogConsumer;
import io.tributary.log.LogProducer;
import io.tributary.log.LogRecord;
import io.tributary.log.NewTopic;
import io.tributary.log.ProducerConfig;
import io.tributary.log.TopicConfig;
import io.tributary.log.TopicPartition;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Drives a log through our public EventLog API, exactly as an application would: keyless {@link Record}s stamped
 * with the current time, one shared {@link LogProducer}, a {@link LogConsumer} assigned every partition.
 *
 * <p>Records whose value the workload may change after sending ({@link Sender#send}) are built with
 * {@link Record#of} (a copy, as an application reusing a buffer must). {@code appendBatch} says how the throughput
 * runs' {@link Sender#sendAll} reaches the producer: when 1, one {@link LogProducer#append} per record, of a
 * {@link Record#of} record (a copy, stamped as it is made: the method of the embedded engine's recorded
 * {@code append.*} figures) or, with {@link PerRecord#WRAPPING}, of a {@link Record#wrapping} record (no copy: what
 * the API's documentation tells a producer of one constant payload to use, and what raw kafka-clients does with a
 * {@code ProducerRecord}, which the Kafka backend's comparison holds ours against);
 * else {@link LogProducer#appendAll} of up to that many {@link Record#wrapping} records per call (no copy, as an
 * application handing over an immutable payload would; stamped once per call), the records counting against the
 * in-flight bound until the whole call is acknowledged. The suite names the two kinds of figure apart
 * ({@code append.*} and {@code appendAll<N>.*}).
 */
public final class EventLogClient implements LogClient {

    /** How the per-record throughput runs ({@code appendBatch} 1) build each record of their constant payload. */
    public enum PerRecord {
        /** {@link Record#of}: copies the payload into each record, as the embedded engine's recorded figures did. */
        COPYING,
        /** {@link Record#wrapping}: the payload as it is, never modified, as raw kafka-clients hands it over. */
        WRAPPING
    }

    /** How the per-record throughput runs ({@code appendBatch} 1) learn of each acknowledgement. */
    public enum AppendForm {
        /** {@link LogProducer#append(String, Record)}: a future per record, and the caller's stage on it. */
        FUTURE,
        /**
         * {@link LogProducer#append(String, Record, io.tributary.log.AppendCallback)} with one shared callback, as
         * raw kafka-clients' {@code send(record, callback)} with one; figures named {@code appendCb.*}.
         */
        CALLBACK
    }

    private final EventLog log;
    private final String label;
    private final ProducerConfig throughputConfig;
    private final ProducerConfig latencyConfig;
    private final int appendBatch;
    private final PerRecord perRecord;
    private final AppendForm form;

    /**
     * @param log              an open log; closed with this client
     * @param label            how the report names it
     * @param throughputConfig producer settings for throughput runs (e.g. linger and batch size on Kafka)
     * @param latencyConfig    producer settings for one-in-flight latency runs
     * @param appendBatch      most records per producer call in {@link Sender#sendAll}: 1 appends one by one,
     *                         more uses {@code appendAll}
     */
    public EventLogClient(EventLog log, String label, ProducerConfig throughputConfig, ProducerConfig latencyConfig,
                          int appendBatch) {
        this(log, label, throughputConfig, latencyConfig, appendBatch, PerRecord.COPYING);
    }

    /**
     * @param perRecord how {@code appendBatch} 1 builds each record
     * @see #EventLogClient(EventLog, String, ProducerConfig, ProducerConfig, int)
     */
    public EventLogClient(EventLog log, String label, ProducerConfig throughputConfig, ProducerConfig latencyConfig,
                          int appendBatch, PerRecord perRecord) {
        this(log, label, throughputConfig, latencyConfig, appendBatch, perRecord, AppendForm.FUTURE);
    }

    /**
     * @param form how {@code appendBatch} 1 appends; {@link AppendForm#CALLBACK} only with {@code appendBatch} 1
     * @see #EventLogClient(EventLog, String, ProducerConfig, ProducerConfig, int)
     */
    public EventLogClient(EventLog log, String label, ProducerConfig throughputConfig, ProducerConfig latencyConfig,
                          int appendBatch, PerRecord perRecord, AppendForm form) {
        if (form == AppendForm.CALLBACK && appendBatch != 1) {
            throw new IllegalArgumentException("the callback form appends one record per call; appendBatch "
                    + appendBatch + " must be 1");
        }
        if (appendBatch < 1) {
            throw new IllegalArgumentException("appendBatch " + appendBatch + " must be at least 1");
        }
        this.log = log;
        this.label = label;
        this.throughputConfig = throughputConfig;
        this.latencyConfig = latencyConfig;
        this.appendBatch = appendBatch;
        this.perRecord = perRecord;
        this.form = form;
    }

    public EventLog log() {
        return log;
    }

    @Override
    public String label() {
        return label;
    }

    @Override
    public boolean supports(Durability durability) {
        return true;
    }

    @Override
    public String appendCalls() {
        String made = perRecord == PerRecord.COPYING ? "Record.of, copying" : "Record.wrapping, no copy";
        return appendBatch > 1 ? "appendAll() of " + appendBatch + " records per call (Record.wrapping, no copy)"
                : form == AppendForm.CALLBACK ? "append(topic, record, callback) per record, one shared callback ("
                        + made + ")"
                : "append() per record (" + made + ")";
    }

    /** {@code appendCb} for the callback form, so its figures never share a name with the future form's. */
    @Override
    public String appendWorkload(int appendBatch) {
        return form == AppendForm.CALLBACK ? "appendCb" : LogClient.super.appendWorkload(appendBatch);
    }

    /** The callback form is a second way of appending through a log whose other workloads are measured already. */
    @Override
    public boolean appendThroughputOnly() {
        return form == AppendForm.CALLBACK;
    }

    @Override
    public void createTopic(String topic, int partitions, Durability durability) {
        log.admin().createTopic(new NewTopic(topic, partitions,
                TopicConfig.of(Map.of(TopicConfig.FSYNC, durability.toString()))));
    }

    @Override
    public void deleteTopic(String topic) {
        log.admin().deleteTopic(topic);
    }

    @Override
    public Sender newSender(Tuning tuning, int maxInFlight) {
        return new LogSender(log.producer(tuning == Tuning.THROUGHPUT ? throughputConfig : latencyConfig), maxInFlight,
                appendBatch, perRecord, form);
    }

    @Override
    public Receiver newReceiver(String topic, int partitions) {
        LogConsumer consumer = log.consumer(ConsumerConfig.defaults().withClientId("bench-reader"));
        List<TopicPartition> all = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            all.add(new TopicPartition(topic, p));
        }
        consumer.assign(all);
        consumer.seekToBeginning(all);
        return new Receiver() {
            @Override
            public int poll(Duration timeout, ValueSink sink) {
                List<LogRecord> records = consumer.poll(timeout);
                for (LogRecord r : records) {
                    byte[] v = r.value();
                    if (v != null) {
                        sink.accept(v);
                    }
                }
                return records.size();
            }

            @Override
            public void close() {
                consumer.close();
            }
        };
    }

    @Override
    public void close() {
        log.close();
    }

    /** The log suite's sender: keyless records through the shared {@link BoundedAppends}. */
    private static final class LogSender implements Sender {
        private final BoundedAppends appends;
        private final int appendBatch;
        private final PerRecord perRecord;
        private final AppendForm form;

        LogSender(LogProducer producer, int maxInFlight, int appendBatch, PerRecord perRecord, AppendForm form) {
            this.appends = new BoundedAppends(producer, maxInFlight);
            this.appendBatch = appendBatch;
            this.perRecord = perRecord;
            this.form = form;
        }

        @Override
        public void send(String topic, int partition, byte[] value) {
            appends.append(topic, partition, Record.of(null, value));
        }

        @Override
        public void sendAll(String topic, byte[] value, int count) {
            if (appendBatch == 1 && form == AppendForm.CALLBACK) {
                for (int i = 0; i < count; i++) {
                    Record r = perRecord == PerRecord.COPYING ? Record.of(null, value) : Record.wrapping(null, value);
                    appends.appendWithCallback(topic, -1, r);
                }
                return;
            }
            if (appendBatch == 1) {
                if (perRecord == PerRecord.COPYING) {
                    // The copying Record.of, as the append.* figures recorded before appendAll existed were measured.
                    for (int i = 0; i < count; i++) {
                        appends.append(topic, -1, Record.of(null, value));
                    }
                } else {
                    // Stamped per record like Record.of (and like Kafka's send), but the constant payload as it is.
                    for (int i = 0; i < count; i++) {
                        appends.append(topic, -1, Record.wrapping(null, value));
                    }
                }
                return;
            }
            for (int from = 0; from < count; from += appendBatch) {
                int n = Math.min(appendBatch, count - from);
                // What a user with a batch of records to hand over builds: the records in a list of their own, stamped
                // with the time the batch was made (one clock read per call; raw kafka-clients stamps each record
                // inside send(), and so does Kafka's producer under our appendAll, so ours reads the clock more).
                long now = System.currentTimeMillis();
                Record[] records = new Record[n];
                for (int i = 0; i < n; i++) {
                    records[i] = Record.wrapping(null, value, Headers.empty(), now);
                }
                appends.appendAll(topic, Arrays.asList(records));
            }
        }

        @Override
        public void sendAndWait(String topic, int partition, byte[] value) throws Exception {
            appends.producer().append(topic, partition, Record.of(null, value)).get();
        }

        @Override
        public void flush() {
            appends.flush();
        }

        @Override
        public long failures() {
            return appends.failures();
        }

        @Override
        public Optional<Throwable> firstFailure() {
            return appends.firstFailure();
        }

        @Override
        public void close() {
            appends.close();
        }
    }
}
