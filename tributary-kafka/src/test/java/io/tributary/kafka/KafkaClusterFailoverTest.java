package io.tributary.kafka;

import static io.tributary.kafka.KafkaTestSupport.bytes;
import static io.tributary.kafka.KafkaTestSupport.text;
import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.core.Record;
import io.tributary.log.AppendResult;
import io.tributary.log.ConsumerConfig;
import io.tributary.log.EventLog;
import io.tributary.log.EventLogs;
import io.tributary.log.LogConsumer;
import io.tributary.log.LogProducer;
import io.tributary.log.LogRecord;
import io.tributary.log.NewTopic;
import io.tributary.log.RebalanceListener;
import io.tributary.testbroker.KafkaTestCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Three brokers, replication factor 3, {@code min.insync.replicas=2}: one broker stops while a producer appends and a
 * group member reads. Every acknowledged record survives and is read; the reader carries on.
 */
@Tag("slow")
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class KafkaClusterFailoverTest {

    @Test
    void noAcknowledgedRecordIsLostWhenABrokerStopsWhileProducingAndTheConsumerContinues() throws Exception {
        try (KafkaTestCluster cluster = KafkaTestCluster.start(3);
             EventLog log = EventLogs.open(Map.of(EventLogs.BACKEND, "kafka",
                     "tributary.log.kafka.bootstrap-servers", cluster.bootstrapServers(),
                     "tributary.log.kafka.replication-factor", "3",
                     "tributary.log.kafka.topic.min.insync.replicas", "2"))) {
            String topic = KafkaTestSupport.unique("failover");
            log.admin().createTopic(NewTopic.of(topic, 3));

            Set<String> acked = ConcurrentHashMap.newKeySet();
            Set<String> read = ConcurrentHashMap.newKeySet();
            AtomicBoolean producing = new AtomicBoolean(true);
            AtomicInteger failed = new AtomicInteger();
            CompletableFuture<Void> producer = CompletableFuture.runAsync(() -> {
                try (LogProducer p = log.producer()) {
                    int seq = 0;
                    while (producing.get()) {
                        List<CompletableFuture<AppendResult>> window = new ArrayList<>();
                        List<String> values = new ArrayList<>();
                        for (int i = 0; i < 20; i++, seq++) {
                            String v = "seq-" + seq;
                            values.add(v);
                            window.add(p.append(topic, Record.of(bytes("key-" + seq), bytes(v))));
                        }
                        for (int i = 0; i < window.size(); i++) {
                            try {
                                window.get(i).get(60, TimeUnit.SECONDS);
                                acked.add(values.get(i));
                            } catch (Exception e) {
                                failed.incrementAndGet(); // not acknowledged: no promise made
                            }
                        }
                    }
                }
            }, r -> Thread.ofPlatform().daemon().start(r));
            AtomicBoolean reading = new AtomicBoolean(true);
            CompletableFuture<Void> consumer = CompletableFuture.runAsync(() -> {
                try (LogConsumer c = log.consumer(ConsumerConfig.forGroup(KafkaTestSupport.unique("failover"))
                        .withSessionTimeout(Duration.ofSeconds(6)))) {
                    c.subscribe(List.of(topic), RebalanceListener.NONE);
                    while (reading.get()) {
                        for (LogRecord r : c.poll(Duration.ofMillis(200))) {
                            read.add(text(r.value()));
                        }
                        c.commitSync();
                    }
                }
            }, r -> Thread.ofPlatform().daemon().start(r));

            awaitSize(acked, 300, "300 acknowledged records before the stop");
            cluster.stopNode(1);
            int ackedAtStop = acked.size();
            awaitSize(acked, ackedAtStop + 300, "300 more acknowledged records with one broker down");
            producing.set(false);
            producer.get(90, TimeUnit.SECONDS);

            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!read.containsAll(acked) && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            reading.set(false);
            consumer.get(30, TimeUnit.SECONDS);

            Set<String> missing = new java.util.TreeSet<>(acked);
            missing.removeAll(read);
            assertThat(missing).as("acknowledged records the consumer never saw (of %d acked, %d sends failed)",
                    acked.size(), failed.get()).isEmpty();
            assertThat(log.admin().describeTopic(topic).recordCountEstimate())
                    .as("stored records: every acknowledged one, plus any the producer could not confirm")
                    .isGreaterThanOrEqualTo(acked.size());
        }
    }

    private static void awaitSize(Set<String> set, int size, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (set.size() < size) {
            assertThat(System.nanoTime()).as(what).isLessThan(deadline);
            Thread.sleep(20);
        }
    }
}
