package io.tributary.cli.internal;

import io.tributary.core.Record;
import io.tributary.log.ConsumerConfig;
import io.tributary.log.EventLog;
import io.tributary.log.LogConsumer;
import io.tributary.log.LogProducer;
import io.tributary.log.LogRecord;
import io.tributary.log.NewTopic;
import io.tributary.log.PartitionDescription;
import io.tributary.log.ProducerConfig;
import io.tributary.log.RebalanceListener;
import io.tributary.log.TopicConfig;
import io.tributary.log.TopicPartition;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.jspecify.annotations.Nullable;

/**
 * The demo, end to end on any {@link EventLog}: creates a topic, produces events from several threads, consumes them
 * in a consumer group, and checks that every event arrived exactly once and in order per key.
 *
 * <p><b>Workload.</b> Event {@code e} (0 to events-1) has key {@code entity-<e mod keys>} and, within its key,
 * sequence number {@code e / keys}. Keys are divided among producer threads ({@code key mod producers}), so each
 * key has one producer, which sends that key's events in sequence order: per-key order is then the log's promise to
 * keep. A value holds the sequence number (8 bytes, big-endian), the send time ({@link System#nanoTime()}, 8 bytes)
 * and zero padding to the value size.
 * <p><b>Measured.</b> Produce throughput (events over the time from the first send to the last acknowledgement),
 * end-to-end throughput (to the last event consumed), the latency from send to acknowledgement and from send to
 * consume (HdrHistogram, in-process clock).
 * <p><b>Consumers</b> commit every half second and, on a rebalance, commit the partitions they lose before giving
 * them up, so no event is handed to the check twice. The run waits for the group to settle before producing.
 *
 * <p>One instance runs once; not thread-safe.
 */
public final class DemoWorkload {

    /** The topic the demo creates. */
    public static final String TOPIC = "demo-events";
    /** The demo's consumer group. */
    public static final String GROUP = "demo";
    private static final byte[] KEY_PREFIX = "entity-".getBytes(StandardCharsets.US_ASCII);
    private static final Duration SETTLE = Duration.ofSeconds(30);

    private final DemoSettings settings;
    private final byte[][] keyBytes;
    private final DeliveryCheck check;
    private final Recorder ackLatency = new Recorder(3);
    private final LongAdder acked = new LongAdder();
    private final LongAdder sent = new LongAdder();
    private final AtomicLong lastAckNanos = new AtomicLong();
    private final AtomicLong lastConsumeNanos = new AtomicLong();
    private final AtomicReference<@Nullable Throwable> failure = new AtomicReference<>();
    private final AtomicLongArray consumedThrough;
    private final Map<Integer, Integer> owner = new ConcurrentHashMap<>();
    private final AtomicBoolean faultInjected = new AtomicBoolean();
    private volatile boolean stopConsumers;

    public DemoWorkload(DemoSettings settings) {
        this.settings = settings;
        this.keyBytes = new byte[settings.keys()][];
        for (int k = 0; k < settings.keys(); k++) {
            keyBytes[k] = ("entity-" + k).getBytes(StandardCharsets.US_ASCII);
        }
        this.check = DeliveryCheck.roundRobin(settings.events(), settings.keys());
        this.consumedThrough = new AtomicLongArray(settings.partitions());
    }

    /**
     * Runs the demo on {@code log}, printing progress to {@code progress}. Throws the first error the log reported
     * (e.g. a failed append); a delivery problem is not an exception but a failed {@link DemoReport#verdict()}.
     */
    public DemoReport run(EventLog log, PrintWriter progress) throws InterruptedException {
        log.admin().createTopic(new NewTopic(TOPIC, settings.partitions(),
                TopicConfig.defaults().with(TopicConfig.FSYNC, settings.durability().toString())));
        List<ConsumerLoop> loops = new ArrayList<>();
        List<Thread> consumerThreads = new ArrayList<>();
        long deadline = System.nanoTime() + settings.timeout().toNanos();
        ProgressLine line = new ProgressLine(progress, Duration.ofSeconds(2), this::status);
        try {
            for (int i = 0; i < settings.consumers(); i++) {
                ConsumerLoop loop = new ConsumerLoop(i, log.consumer(ConsumerConfig.forGroup(GROUP)
                        .withClientId("demo-consumer-" + i).withMaxPollRecords(2_000)));
                loops.add(loop);
                consumerThreads.add(Thread.ofPlatform().name("demo-consumer-" + i).start(loop));
            }
            boolean settled = awaitSettledGroup();
            if (!settled) {
                progress.println("demo: the consumer group did not settle within " + SETTLE.toSeconds()
                        + " s; producing anyway (latencies include the rebalance).");
            }
            long start = System.nanoTime();
            produce(log);
            Throwable produceFailure = failure.get();
            long produceEnd = lastAckNanos.get();
            if (produceFailure == null) {
                awaitConsumed(log, deadline);
            }
            stopConsumers = true;
            for (Thread t : consumerThreads) {
                t.join(Duration.ofSeconds(30));
            }
            Throwable any = failure.get();
            if (any instanceof RuntimeException re) {
                throw re;
            }
            if (any instanceof Error err) {
                throw err;
            }
            if (any != null) {
                throw new IllegalStateException("The demo failed: " + any, any);
            }
            Histogram endToEnd = new Histogram(3);
            for (ConsumerLoop loop : loops) {
                endToEnd.add(loop.latency);
            }
            long lastConsumed = Math.max(lastConsumeNanos.get(), start);
            return new DemoReport(settings, log.backend(), settled, produceEnd - start, lastConsumed - start,
                    acked.sum(), LatencySummary.ofNanos(ackLatency.getIntervalHistogram()),
                    LatencySummary.ofNanos(endToEnd), check.verdict());
        } finally {
            line.stop();
            stopConsumers = true;
            for (Thread t : consumerThreads) {
                t.join(Duration.ofSeconds(30));
            }
        }
    }

    private String status() {
        return "demo: produced " + Units.count(acked.sum()) + "/" + Units.count(settings.events())
                + " acknowledged, consumed " + Units.count(check.received()) + "/" + Units.count(settings.events());
    }

    /** Waits until every partition has an owner and, where there are enough partitions, every consumer has one. */
    private boolean awaitSettledGroup() throws InterruptedException {
        long until = System.nanoTime() + SETTLE.toNanos();
        int busyConsumers = Math.min(settings.consumers(), settings.partitions());
        while (System.nanoTime() < until) {
            if (owner.size() == settings.partitions() && owner.values().stream().distinct().count() == busyConsumers) {
                return true;
            }
            Thread.sleep(20);
        }
        return false;
    }

    private void produce(EventLog log) throws InterruptedException {
        try (LogProducer producer = log.producer(ProducerConfig.defaults().withClientId("demo-producer"))) {
            List<Thread> threads = new ArrayList<>();
            for (int p = 0; p < settings.producers(); p++) {
                int id = p;
                threads.add(Thread.ofPlatform().name("demo-producer-" + p).start(() -> produceShare(producer, id)));
            }
            for (Thread t : threads) {
                t.join();
            }
            producer.flush();
        }
    }

    /** Sends the events of the keys {@code k} with {@code k mod producers == id}, in event order. */
    private void produceShare(LogProducer producer, int id) {
        Semaphore inFlight = new Semaphore(settings.maxInFlight());
        byte[] value = new byte[settings.valueBytes()];
        int keys = settings.keys();
        long events = settings.events();
        try {
            for (long seq = 0; seq * keys < events && failure.get() == null; seq++) {
                for (int k = id; k < keys; k += settings.producers()) {
                    long e = seq * keys + k;
                    if (e >= events || failure.get() != null) {
                        break;
                    }
                    inFlight.acquire();
                    long sentAt = System.nanoTime();
                    putLong(value, 0, seq);
                    putLong(value, 8, sentAt);
                    // Record copies the arrays, so one value buffer per thread is enough.
                    producer.append(TOPIC, Record.of(keyBytes[k], value)).whenComplete((r, error) -> {
                        long now = System.nanoTime();
                        inFlight.release();
                        if (error != null) {
                            failure.compareAndSet(null, error.getCause() != null ? error.getCause() : error);
                        } else {
                            ackLatency.recordValue(now - sentAt);
                            acked.increment();
                            lastAckNanos.accumulateAndGet(now, Math::max);
                        }
                    });
                    sent.increment();
                }
            }
            inFlight.acquire(settings.maxInFlight());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            failure.compareAndSet(null, e);
        }
    }

    /** Waits until consumers have read every partition to the end offset it had after producing. */
    private void awaitConsumed(EventLog log, long deadline) throws InterruptedException {
        List<PartitionDescription> ends = log.admin().describeTopic(TOPIC).partitions();
        while (System.nanoTime() < deadline && failure.get() == null) {
            boolean done = true;
            for (PartitionDescription p : ends) {
                if (consumedThrough.get(p.partition()) < p.endOffset()) {
                    done = false;
                    break;
                }
            }
            if (done) {
                return;
            }
            Thread.sleep(5);
        }
    }

    private static void putLong(byte[] b, int at, long v) {
        for (int i = 7; i >= 0; i--) {
            b[at + i] = (byte) v;
            v >>>= 8;
        }
    }

    private static long getLong(byte[] b, int at) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (b[at + i] & 0xFF);
        }
        return v;
    }

    /** The key index of {@code entity-<k>}, or -1 if the key is not of that form. */
    static int keyIndex(byte @Nullable [] key) {
        if (key == null || key.length <= KEY_PREFIX.length || key.length > KEY_PREFIX.length + 9) {
            return -1;
        }
        for (int i = 0; i < KEY_PREFIX.length; i++) {
            if (key[i] != KEY_PREFIX[i]) {
                return -1;
            }
        }
        int k = 0;
        for (int i = KEY_PREFIX.length; i < key.length; i++) {
            int d = key[i] - '0';
            if (d < 0 || d > 9) {
                return -1;
            }
            k = k * 10 + d;
        }
        return k;
    }

    /** One consumer of the group, on its own thread. */
    private final class ConsumerLoop implements Runnable, RebalanceListener {
        private final int id;
        private final LogConsumer consumer;
        private final Histogram latency = new Histogram(3);
        /** Next offset after the last record handed to the check, per owned partition: what is committed. */
        private final Map<TopicPartition, Long> processed = new HashMap<>();
        private @Nullable LogRecord heldBack;

        ConsumerLoop(int id, LogConsumer consumer) {
            this.id = id;
            this.consumer = consumer;
        }

        @Override
        public void run() {
            try (consumer) {
                consumer.subscribe(List.of(TOPIC), this);
                long lastCommit = System.nanoTime();
                while (!stopConsumers) {
                    List<LogRecord> records = consumer.poll(Duration.ofMillis(100));
                    long now = System.nanoTime();
                    for (LogRecord r : records) {
                        deliver(r, now);
                        processed.put(r.topicPartition(), r.offset() + 1);
                        consumedThrough.accumulateAndGet(r.partition(), r.offset() + 1, Math::max);
                    }
                    if (!records.isEmpty()) {
                        lastConsumeNanos.accumulateAndGet(now, Math::max);
                    }
                    if (now - lastCommit > 500_000_000L && !processed.isEmpty()) {
                        consumer.commitSync(Map.copyOf(processed));
                        lastCommit = now;
                    }
                }
                LogRecord held = heldBack;
                if (held != null) {
                    process(held, System.nanoTime());
                }
                if (!processed.isEmpty()) {
                    consumer.commitSync(Map.copyOf(processed));
                }
            } catch (RuntimeException e) {
                failure.compareAndSet(null, e);
            }
        }

        /** Hands a record to the check, through the configured fault (injected once in the whole run). */
        private void deliver(LogRecord r, long now) {
            LogRecord held = heldBack;
            if (held != null && held.partition() == r.partition() && Arrays.equals(held.key(), r.key())) {
                process(r, now);
                process(held, now);
                heldBack = null;
                return;
            }
            DeliveryFault fault = settings.fault();
            if (fault != DeliveryFault.NONE && faultInjected.compareAndSet(false, true)) {
                switch (fault) {
                    case DUPLICATE -> {
                        process(r, now);
                        process(r, now);
                    }
                    case DROP -> {
                        // withheld from the check on purpose
                    }
                    case REORDER -> heldBack = r;
                    case NONE -> process(r, now);
                }
                return;
            }
            process(r, now);
        }

        private void process(LogRecord r, long now) {
            byte[] value = r.value();
            long seq = value == null || value.length < DemoSettings.MIN_VALUE_BYTES ? -1 : getLong(value, 0);
            long sentAt = value == null || value.length < DemoSettings.MIN_VALUE_BYTES ? now : getLong(value, 8);
            check.observe(keyIndex(r.key()), seq, r.partition());
            latency.recordValue(Math.max(0, now - sentAt));
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            Map<TopicPartition, Long> done = new HashMap<>(processed);
            done.keySet().retainAll(partitions);
            if (!done.isEmpty()) {
                consumer.commitSync(done);
            }
            processed.keySet().removeAll(partitions);
            for (TopicPartition tp : partitions) {
                owner.remove(tp.partition(), id);
            }
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            for (TopicPartition tp : partitions) {
                owner.put(tp.partition(), id);
            }
        }
    }
}
