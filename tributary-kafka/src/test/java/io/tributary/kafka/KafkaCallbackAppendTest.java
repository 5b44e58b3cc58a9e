package io.tributary.kafka;

import static io.tributary.kafka.KafkaTestSupport.bytes;
import static io.tributary.kafka.KafkaTestSupport.text;
import static io.tributary.kafka.KafkaTestSupport.unique;
import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.core.Record;
import io.tributary.core.TributaryException;
import io.tributary.log.AppendCallback;
import io.tributary.log.AppendResult;
import io.tributary.log.ConsumerConfig;
import io.tributary.log.EventLog;
import io.tributary.log.LogConsumer;
import io.tributary.log.LogProducer;
import io.tributary.log.LogRecord;
import io.tributary.log.NewTopic;
import io.tributary.log.TopicPartition;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The callback form of append on Kafka, where one adapter is reused for consecutive appends with the same callback
 * object: threads that pass different callbacks replace it under each other, and every outcome must still reach the
 * callback that its own append passed.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class KafkaCallbackAppendTest {

    private static final int THREADS = 4;
    private static final int PER_THREAD = 500;

    /** One shared callback: counts its calls and keeps every result it was told. */
    private static final class Recording implements AppendCallback {
        final AtomicInteger calls = new AtomicInteger();
        final ConcurrentLinkedQueue<AppendResult> results = new ConcurrentLinkedQueue<>();
        final AtomicInteger errors = new AtomicInteger();

        @Override
        public void onCompletion(@Nullable AppendResult result, @Nullable TributaryException error) {
            calls.incrementAndGet();
            if (result != null) {
                results.add(result);
            } else {
                errors.incrementAndGet();
            }
        }
    }

    @Test
    void tellsEachOutcomeToTheCallbackItsAppendPassedWhenThreadsAlternateTwoSharedCallbacks() throws Exception {
        Recording even = new Recording();
        Recording odd = new Recording();
        try (EventLog log = KafkaTestSupport.openLog()) {
            String topic = unique("callback-threads");
            log.admin().createTopic(NewTopic.of(topic, THREADS));
            try (LogProducer p = log.producer()) {
                // Thread t appends "t-i" to partition t, passing `even` for even i and `odd` for odd i: the shared
                // adapter changes hands on nearly every append, across threads.
                CountDownLatch start = new CountDownLatch(1);
                ExecutorService pool = Executors.newFixedThreadPool(THREADS);
                try {
                    List<Future<?>> done = new ArrayList<>();
                    for (int t = 0; t < THREADS; t++) {
                        int thread = t;
                        done.add(pool.submit(() -> {
                            start.await();
                            for (int i = 0; i < PER_THREAD; i++) {
                                p.append(topic, thread, Record.of(null, bytes(thread + "-" + i)), i % 2 == 0 ? even : odd);
                            }
                            return null;
                        }));
                    }
                    start.countDown();
                    for (Future<?> f : done) {
                        f.get(60, TimeUnit.SECONDS);
                    }
                } finally {
                    pool.shutdownNow();
                }
                p.flush();
            }
            int half = THREADS * PER_THREAD / 2;
            assertThat(even.errors.get() + odd.errors.get()).as("failed appends").isZero();
            assertThat(even.calls.get()).as("calls of the callback passed to the even appends").isEqualTo(half);
            assertThat(odd.calls.get()).as("calls of the callback passed to the odd appends").isEqualTo(half);

            Map<TopicPartition, List<LogRecord>> stored = readAll(log, topic);
            assertToldOnlyOwnAppends(even, stored, 0, topic);
            assertToldOnlyOwnAppends(odd, stored, 1, topic);
            // Settled: no late second call arrived while the partitions were read.
            assertThat(even.calls.get() + odd.calls.get()).isEqualTo(THREADS * PER_THREAD);
        }
    }

    /** Every result a callback got names a record of its own appends: "t-i" on partition t with i of its parity. */
    private static void assertToldOnlyOwnAppends(Recording callback, Map<TopicPartition, List<LogRecord>> stored,
                                                 int parity, String topic) {
        for (AppendResult r : callback.results) {
            assertThat(r.topic()).isEqualTo(topic);
            String value = text(stored.get(new TopicPartition(topic, r.partition())).get((int) r.offset()).value());
            String[] threadAndIndex = value.split("-");
            assertThat(Integer.parseInt(threadAndIndex[0])).as("partition %d holds only its thread's records: %s",
                    r.partition(), value).isEqualTo(r.partition());
            assertThat(Integer.parseInt(threadAndIndex[1]) % 2)
                    .as("the %s callback was told of %s at %s", parity == 0 ? "even" : "odd", value, r)
                    .isEqualTo(parity);
        }
    }

    private static Map<TopicPartition, List<LogRecord>> readAll(EventLog log, String topic) {
        Map<TopicPartition, List<LogRecord>> out = new HashMap<>();
        for (int part = 0; part < THREADS; part++) {
            TopicPartition tp = new TopicPartition(topic, part);
            try (LogConsumer c = log.consumer(ConsumerConfig.defaults().withClientId("callback-threads-reader"))) {
                c.assign(List.of(tp));
                c.seekToBeginning(List.of(tp));
                List<LogRecord> records = KafkaTestSupport.pollAtLeast(c, PER_THREAD, Duration.ofSeconds(30));
                assertThat(records).as("records of %s", tp).hasSize(PER_THREAD);
                out.put(tp, records);
            }
        }
        return out;
    }
}
