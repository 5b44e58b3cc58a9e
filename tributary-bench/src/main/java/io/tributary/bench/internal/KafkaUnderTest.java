package io.tributary.bench.internal;

import io.tributary.testbroker.KafkaTestBroker;
import io.tributary.testbroker.KafkaTestBrokerConfig;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.management.InstanceNotFoundException;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.jspecify.annotations.Nullable;

/**
 * The Kafka broker a run measures: one given by address, or a real Kafka 4 broker (KRaft, one combined node) started
 * in this JVM for the run by {@link KafkaTestBroker}, with its data under the run's scratch folder (the same file
 * system as our engine's) and the thread pools and timeouts of a stock {@code server.properties} ({@link #STOCK}), as
 * in the Kafka peer run.
 */
public final class KafkaUnderTest implements AutoCloseable {

    /**
     * Stock Kafka values for what the test broker tunes for fast tests, so the peer is the broker users run: thread
     * pools as in the peer run's {@code server.properties}, and stock liveness timeouts (the test broker's 3 s session
     * is meant for fast failover in tests, and could fence a broker that a loaded 2-core machine stalls).
     */
    static final java.util.Map<String, String> STOCK = java.util.Map.of(
            "num.network.threads", "3",
            "num.io.threads", "8",
            "background.threads", "10",
            "broker.heartbeat.interval.ms", "2000",
            "broker.session.timeout.ms", "9000",
            "replica.lag.time.max.ms", "30000",
            "log.retention.check.interval.ms", "300000");

    /**
     * What the bench changes from stock, none of it on the measured path: the files of a deleted topic go at once
     * ({@code log.segment.delete.delay.ms}, stock 60 s). The suite deletes every trial's topic right after it; with
     * the stock delay, the 100-500 MB of page cache a {@code fsync=never} trial dirtied stayed in files for 60 s,
     * past the kernel's 30 s writeback age, so the disk wrote each trial's log back during some later trial of
     * either client, and the files' deletion itself landed a minute later in yet another. Deleted at once, their
     * dirty pages are dropped unwritten.
     */
    static final java.util.Map<String, String> BENCH = java.util.Map.of(
            "log.segment.delete.delay.ms", "0");

    private final String bootstrapServers;
    private final @Nullable KafkaTestBroker owned;

    private KafkaUnderTest(String bootstrapServers, @Nullable KafkaTestBroker owned) {
        this.bootstrapServers = bootstrapServers;
        this.owned = owned;
    }

    /** Uses {@code bootstrapServers} if given, else starts a broker in this JVM with its data under {@code dir}. */
    public static KafkaUnderTest open(@Nullable String bootstrapServers, Path dir) {
        if (bootstrapServers != null) {
            return new KafkaUnderTest(bootstrapServers, null);
        }
        KafkaTestBroker broker = KafkaTestBroker.start(KafkaTestBrokerConfig.defaults()
                .withDataDirectory(dir)
                .withStartTimeout(Duration.ofSeconds(120))
                .withBrokerProperties(brokerProperties()));
        return new KafkaUnderTest(broker.bootstrapServers(), broker);
    }

    /** {@link #STOCK} and {@link #BENCH}. */
    static java.util.Map<String, String> brokerProperties() {
        java.util.Map<String, String> all = new java.util.HashMap<>(STOCK);
        all.putAll(BENCH);
        return all;
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** The client id of every throughput producer the log bench makes, raw and ours, so {@link #producerMetrics} finds it. */
    public static final String BENCH_PRODUCER = "bench-producer";

    /**
     * What the broker in this JVM has done so far for {@code topic} and in all: from its per-topic meters
     * ({@code kafka.server:type=BrokerTopicMetrics}) the partition batches, records and record-batch bytes produced to
     * the topic; from its request meters ({@code kafka.network:type=RequestMetrics}) the requests of every other type;
     * and the CPU time and allocation of its broker and controller request threads ({@link #REQUEST_THREADS}). Empty
     * where the broker is not in this JVM (given by address). Each trial has a topic of its own, so two readings around
     * a trial ({@link BrokerActivity#since}) count its produce traffic exactly, whoever sent it.
     *
     * @throws IllegalStateException if the broker is in this JVM but a meter cannot be read, e.g. the topic has had
     *                               no produce request yet or a Kafka upgrade renamed the meter: silently empty, such
     *                               a reading would drop every broker figure of the run unnoticed
     */
    public Optional<BrokerActivity> brokerActivity(String topic) {
        return owned == null ? Optional.empty() : Optional.of(read(ManagementFactory.getPlatformMBeanServer(), topic));
    }

    /** {@link #brokerActivity} from {@code server}, whose broker meters must be there. */
    static BrokerActivity read(MBeanServer server, String topic) {
        try {
            long other = 0;
            for (ObjectName n : server.queryNames(new ObjectName("kafka.network:type=RequestMetrics,name=RequestsPerSec,*"),
                    null)) {
                if (!"Produce".equals(n.getKeyProperty("request"))) {
                    other += ((Number) server.getAttribute(n, "Count")).longValue();
                }
            }
            long[] handler = brokerThreads(REQUEST_THREADS.get(0));
            long[] network = brokerThreads(REQUEST_THREADS.get(1));
            return new BrokerActivity(meterCount(server, "TotalProduceRequestsPerSec", topic),
                    meterCount(server, "MessagesInPerSec", topic), meterCount(server, "BytesInPerSec", topic), other,
                    handler[0], network[0], handler[1] + network[1]);
        } catch (InstanceNotFoundException e) {
            throw new IllegalStateException("The broker in this JVM has no meter " + e.getMessage() + " for topic '"
                    + topic + "': read the meters only after the topic's first acknowledged produce request, and check"
                    + " the meter names against the Kafka version in use (" + e + ")", e);
        } catch (JMException e) {
            throw new IllegalStateException("Cannot read the broker's meters of topic '" + topic + "': " + e, e);
        }
    }

    private static long meterCount(MBeanServer server, String meter, String topic) throws JMException {
        // Kafka topic names are letters, digits, '.', '_' and '-': nothing to quote in an ObjectName.
        ObjectName name = new ObjectName("kafka.server:type=BrokerTopicMetrics,name=" + meter + ",topic=" + topic);
        return ((Number) server.getAttribute(name, "Count")).longValue();
    }

    /**
     * The thread name prefixes {@link BrokerActivity} counts as the broker's request threads. In combined KRaft mode
     * (broker and controller in one node, as here) the controller's request handler and network threads have the
     * same names, so these are the broker and controller request threads; during a trial the controller's share is
     * mostly its handling of the broker's own heartbeats (one every {@code broker.heartbeat.interval.ms}, 2 s). The
     * acceptor threads ({@code data-plane-kafka-socket-acceptor-...}) are not among them; {@link ThreadKindCpu}'s
     * {@link ThreadKindCpu#BROKER_REQUESTS} does include them (see there).
     */
    static final List<String> REQUEST_THREADS = List.of("data-plane-kafka-request-handler",
            "data-plane-kafka-network-thread");

    /** CPU ns and allocated bytes so far of the live threads whose name starts with {@code prefix}. */
    private static long[] brokerThreads(String prefix) {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long cpu = 0;
        long allocated = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith(prefix)) {
                cpu += Math.max(0, threads.getThreadCpuTime(t.threadId()));
                allocated += Math.max(0, threads.getThreadAllocatedBytes(t.threadId()));
            }
        }
        return new long[] {cpu, allocated};
    }

    /**
     * The live {@link #BENCH_PRODUCER}'s own figures of how it batched (Kafka's {@code producer-metrics}, read through
     * JMX as both sides' producers register them): {@link #PRODUCER_METRICS} by name, in that order, or empty where no
     * such producer is open. The {@code -avg} metrics are averages over Kafka's sample windows (two of 30 s by
     * default, so a trial of a few seconds is all of them), the primed record's request included; the
     * {@code -total} one counts since the producer started.
     */
    public static Map<String, Double> producerMetrics() {
        Map<String, Double> out = new LinkedHashMap<>();
        try {
            ObjectName name = new ObjectName("kafka.producer:type=producer-metrics,client-id=" + BENCH_PRODUCER);
            for (String metric : PRODUCER_METRICS) {
                Object v = ManagementFactory.getPlatformMBeanServer().getAttribute(name, metric);
                if (v instanceof Number n) {
                    out.put(metric, n.doubleValue());
                }
            }
        } catch (InstanceNotFoundException e) {
            return Map.of();
        } catch (JMException e) {
            throw new IllegalStateException("Cannot read the metrics of producer '" + BENCH_PRODUCER + "': " + e, e);
        }
        return java.util.Collections.unmodifiableMap(out);
    }

    /** The producer metrics a trial reports: how many records and bytes each request and batch carried, and waits. */
    static final List<String> PRODUCER_METRICS = List.of("records-per-request-avg", "batch-size-avg", "request-size-avg",
            "record-size-avg", "record-queue-time-avg", "request-latency-avg", "record-retry-total");

    /**
     * The broker's counts ({@link #brokerActivity}): partition batches produced to a topic (Kafka counts a produce
     * request once per partition it carries), their records and record-batch bytes, requests of every other type
     * (any topic, any client, the broker's heartbeats to its own controller among them), and the CPU ns and allocated
     * bytes of the broker and controller request threads ({@link #REQUEST_THREADS}).
     */
    public record BrokerActivity(long batches, long records, long bytes, long otherRequests, long handlerCpuNs,
                                 long networkCpuNs, long allocatedBytes) {
        public BrokerActivity {
            if (batches < 0 || records < 0 || bytes < 0 || otherRequests < 0 || handlerCpuNs < 0 || networkCpuNs < 0
                    || allocatedBytes < 0) {
                throw new IllegalArgumentException("broker counts must not be negative: " + batches + " batches, "
                        + records + " records, " + bytes + " bytes, " + otherRequests + " other requests, "
                        + handlerCpuNs + " + " + networkCpuNs + " ns, " + allocatedBytes + " bytes allocated");
            }
        }

        /** What happened since {@code before}, an earlier reading for the same topic. */
        public BrokerActivity since(BrokerActivity before) {
            return new BrokerActivity(batches - before.batches, records - before.records, bytes - before.bytes,
                    otherRequests - before.otherRequests, handlerCpuNs - before.handlerCpuNs,
                    networkCpuNs - before.networkCpuNs, allocatedBytes - before.allocatedBytes);
        }

        public double recordsPerBatch() {
            return batches == 0 ? Double.NaN : (double) records / batches;
        }

        public double bytesPerRecord() {
            return records == 0 ? Double.NaN : (double) bytes / records;
        }

        /** Microseconds of the broker's and controller's request handler threads' CPU per record received. */
        public double handlerMicrosPerRecord() {
            return records == 0 ? Double.NaN : handlerCpuNs / 1e3 / records;
        }

        public double networkMicrosPerRecord() {
            return records == 0 ? Double.NaN : networkCpuNs / 1e3 / records;
        }

        public double allocatedBytesPerRecord() {
            return records == 0 ? Double.NaN : (double) allocatedBytes / records;
        }
    }

    @Override
    public void close() {
        if (owned != null) {
            owned.close();
        }
    }
}
