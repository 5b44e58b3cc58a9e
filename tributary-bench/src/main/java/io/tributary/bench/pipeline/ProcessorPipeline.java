package io.tributary.bench.pipeline;

import io.tributary.bench.internal.BoundedAppends;
import io.tributary.core.Record;
import io.tributary.log.Durability;
import io.tributary.log.EventLog;
import io.tributary.log.LogProducer;
import io.tributary.log.LogRecord;
import io.tributary.log.NewTopic;
import io.tributary.log.ProducerConfig;
import io.tributary.log.TopicConfig;
import io.tributary.processing.Processor;
import io.tributary.processing.ProcessorConfig;
import io.tributary.processing.ProcessorFailure;
import io.tributary.processing.ProcessorState;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * Our side: records appended through a {@link LogProducer}, handled by a {@link Processor} (per event with
 * {@link Processor#start}, or micro-batches with {@link Processor#startBatched}) over any {@link EventLog}: the
 * embedded engine or the Kafka backend. Exactly what an application would write.
 */
final class ProcessorPipeline implements PipelineSystem {

    private final EventLog log;
    private final String label;
    private final Durability fsync;
    private final ProducerConfig throughputProducer;
    private final ProducerConfig latencyProducer;
    private final UnaryOperator<ProcessorConfig> tuning;
    private final int maxInFlight;

    /**
     * @param log                an open log, closed with this object
     * @param fsync              durability of the topics it creates
     * @param throughputProducer producer settings for throughput runs
     * @param latencyProducer    producer settings for paced latency runs
     * @param tuning             applied to {@link ProcessorConfig#of} (commit interval, batching, buffers)
     * @param maxInFlight        most appends unacknowledged at once
     */
    ProcessorPipeline(EventLog log, String label, Durability fsync, ProducerConfig throughputProducer,
                      ProducerConfig latencyProducer, UnaryOperator<ProcessorConfig> tuning, int maxInFlight) {
        this.log = log;
        this.label = label;
        this.fsync = fsync;
        this.throughputProducer = throughputProducer;
        this.latencyProducer = latencyProducer;
        this.tuning = tuning;
        this.maxInFlight = maxInFlight;
    }

    @Override
    public String label() {
        return label;
    }

    @Override
    public void createTopic(String topic, int partitions) {
        log.admin().createTopic(new NewTopic(topic, partitions,
                TopicConfig.of(Map.of(TopicConfig.FSYNC, fsync.toString()))));
    }

    @Override
    public void deleteTopic(String topic) {
        log.admin().deleteTopic(topic);
    }

    @Override
    public Feed feed(boolean latencyTuning) {
        return new LogFeed(log.producer(latencyTuning ? latencyProducer : throughputProducer), maxInFlight);
    }

    @Override
    public Consumption start(String topic, String group, boolean batched, HandlerWork work) {
        ProcessorConfig config = tuning.apply(ProcessorConfig.of(group, topic));
        Processor p = batched
                ? Processor.startBatched(log, config, events -> handleBatch(events, work))
                : Processor.start(log, config, event -> work.one(event.value()));
        return new Consumption() {
            @Override
            public int assignedPartitions() {
                return p.bufferFill().size();
            }

            @Override
            public long committed() {
                long sum = 0;
                for (long o : p.committedOffsets().values()) {
                    sum += o;
                }
                return sum;
            }

            @Override
            public Optional<String> failure() {
                Optional<String> f = p.failure().map(ProcessorFailure::message);
                return f.isPresent() || p.state() != ProcessorState.FAILED ? f : Optional.of("processor failed");
            }

            @Override
            public void close() {
                p.close();
            }
        };
    }

    private static void handleBatch(List<LogRecord> events, HandlerWork work) {
        long now = System.nanoTime();
        for (LogRecord r : events) {
            work.record(r.value(), now);
        }
        work.batchDone(events.size(), now);
    }

    @Override
    public void close() {
        log.close();
    }

    /** The pipeline suite's feed on our API: keyed records through the shared {@link BoundedAppends}. */
    private static final class LogFeed implements Feed {
        private final BoundedAppends appends;

        LogFeed(LogProducer producer, int maxInFlight) {
            this.appends = new BoundedAppends(producer, maxInFlight);
        }

        @Override
        public void send(String topic, byte[] key, byte[] value) {
            // Record copies key and value, so the caller may reuse them.
            appends.append(topic, -1, Record.of(key, value));
        }

        @Override
        public void sendAll(String topic, byte[][] keys, byte[][] values, int count) {
            List<Record> records = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                records.add(Record.of(keys[i], values[i]));
            }
            appends.appendAll(topic, records);
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
