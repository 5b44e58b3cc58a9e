package io.tributary.bench.pipeline;

import io.tributary.core.Record;
import io.tributary.log.AppendResult;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

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

    private static final class LogFeed implements Feed {
        private final LogProducer producer;
        private final Semaphore inFlight;
        private final AtomicLong failures = new AtomicLong();
        private final AtomicReference<@Nullable Throwable> first = new AtomicReference<>();
        // One shared callback: counting acknowledgements must not allocate per record.
        private final BiConsumer<AppendResult, @Nullable Throwable> onDone;

        LogFeed(LogProducer producer, int maxInFlight) {
            this.producer = producer;
            this.inFlight = new Semaphore(maxInFlight);
            this.onDone = (r, e) -> {
                inFlight.release();
                if (e != null) {
                    failures.incrementAndGet();
                    first.compareAndSet(null, e);
                }
            };
        }

        @Override
        public void send(String topic, byte[] key, byte[] value) {
            // Record copies key and value, so the caller may reuse them.
            Record r = Record.of(key, value);
            inFlight.acquireUninterruptibly();
            CompletableFuture<AppendResult> f;
            try {
                f = producer.append(topic, r);
            } catch (RuntimeException e) {
                inFlight.release();
                throw e;
            }
            f.whenComplete(onDone);
        }

        @Override
        public void sendAll(String topic, byte[][] keys, byte[][] values, int count) {
            List<Record> records = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                records.add(Record.of(keys[i], values[i]));
            }
            inFlight.acquireUninterruptibly(count);
            CompletableFuture<List<AppendResult>> f;
            try {
                f = producer.appendAll(topic, records);
            } catch (RuntimeException e) {
                inFlight.release(count);
                throw e;
            }
            f.whenComplete((r, e) -> {
                inFlight.release(count);
                if (e != null) {
                    failures.addAndGet(count);
                    first.compareAndSet(null, e);
                }
            });
        }

        @Override
        public void flush() {
            producer.flush();
        }

        @Override
        public long failures() {
            return failures.get();
        }

        @Override
        public Optional<Throwable> firstFailure() {
            return Optional.ofNullable(first.get());
        }

        @Override
        public void close() {
            producer.close();
        }
    }
}
