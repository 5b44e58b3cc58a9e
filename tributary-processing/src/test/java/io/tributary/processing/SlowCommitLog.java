package io.tributary.processing;

import io.tributary.log.Capability;
import io.tributary.log.ConsumerConfig;
import io.tributary.log.ConsumerGroupMetadata;
import io.tributary.log.EventLog;
import io.tributary.log.LogAdmin;
import io.tributary.log.LogConsumer;
import io.tributary.log.LogProducer;
import io.tributary.log.LogRecord;
import io.tributary.log.ProducerConfig;
import io.tributary.log.RebalanceListener;
import io.tributary.log.TopicPartition;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;

/**
 * The real embedded log on a disk whose offset syncs take as long as the test says: every commit is stored by the
 * real log, but is acknowledged only once {@link #openGate()} was called (a synchronous commit blocks until then, an
 * asynchronous one completes then). Records the order of commit calls and acknowledgements in {@link #events}.
 */
final class SlowCommitLog implements EventLog {

    private final EventLog log;
    private final CountDownLatch gate = new CountDownLatch(1);
    /** "async &lt;offsets&gt;", "async done", "sync &lt;offsets&gt;", in the order they happened. */
    final List<String> events = new CopyOnWriteArrayList<>();

    SlowCommitLog(EventLog log) {
        this.log = log;
    }

    /** From now on, commits are acknowledged as soon as the log stored them (held ones complete now). */
    void openGate() {
        gate.countDown();
    }

    long asyncCommits() {
        return events.stream().filter(e -> e.startsWith("async {")).count();
    }

    private void awaitGate() {
        try {
            gate.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the commit's sync was held", e);
        }
    }

    @Override
    public String backend() {
        return log.backend();
    }

    @Override
    public Set<Capability> capabilities() {
        return log.capabilities();
    }

    @Override
    public LogAdmin admin() {
        return log.admin();
    }

    @Override
    public LogProducer producer(ProducerConfig config) {
        return log.producer(config);
    }

    @Override
    public LogConsumer consumer(ConsumerConfig config) {
        return new SlowCommits(log.consumer(config));
    }

    @Override
    public void close() {
        openGate();
        log.close();
    }

    private final class SlowCommits implements LogConsumer {
        private final LogConsumer c;

        SlowCommits(LogConsumer c) {
            this.c = c;
        }

        @Override
        public void commitSync() {
            events.add("sync all");
            c.commitSync();
            awaitGate();
        }

        @Override
        public void commitSync(Map<TopicPartition, Long> offsets) {
            events.add("sync " + offsets);
            c.commitSync(offsets);
            awaitGate();
        }

        @Override
        public CompletableFuture<Void> commitAsync(Map<TopicPartition, Long> offsets) {
            events.add("async " + offsets);
            CompletableFuture<Void> stored = c.commitAsync(offsets);
            return stored.thenRunAsync(() -> {
                awaitGate();
                events.add("async done");
            }, r -> Thread.ofVirtual().start(r));
        }

        @Override
        public void assign(Collection<TopicPartition> partitions) {
            c.assign(partitions);
        }

        @Override
        public void subscribe(Collection<String> topics, RebalanceListener listener) {
            c.subscribe(topics, listener);
        }

        @Override
        public void unsubscribe() {
            c.unsubscribe();
        }

        @Override
        public Set<TopicPartition> assignment() {
            return c.assignment();
        }

        @Override
        public List<LogRecord> poll(Duration timeout) {
            return c.poll(timeout);
        }

        @Override
        public void seek(TopicPartition partition, long offset) {
            c.seek(partition, offset);
        }

        @Override
        public void seekToBeginning(Collection<TopicPartition> partitions) {
            c.seekToBeginning(partitions);
        }

        @Override
        public void seekToEnd(Collection<TopicPartition> partitions) {
            c.seekToEnd(partitions);
        }

        @Override
        public void seekToTimestamp(Collection<TopicPartition> partitions, long timestamp) {
            c.seekToTimestamp(partitions, timestamp);
        }

        @Override
        public long position(TopicPartition partition) {
            return c.position(partition);
        }

        @Override
        public void pause(Collection<TopicPartition> partitions) {
            c.pause(partitions);
        }

        @Override
        public void resume(Collection<TopicPartition> partitions) {
            c.resume(partitions);
        }

        @Override
        public Set<TopicPartition> paused() {
            return c.paused();
        }

        @Override
        public Map<TopicPartition, Long> committed(Set<TopicPartition> partitions) {
            return c.committed(partitions);
        }

        @Override
        public Map<TopicPartition, Long> beginningOffsets(Collection<TopicPartition> partitions) {
            return c.beginningOffsets(partitions);
        }

        @Override
        public Map<TopicPartition, Long> endOffsets(Collection<TopicPartition> partitions) {
            return c.endOffsets(partitions);
        }

        @Override
        public int partitionCount(String topic) {
            return c.partitionCount(topic);
        }

        @Override
        public Optional<ConsumerGroupMetadata> groupMetadata() {
            return c.groupMetadata();
        }

        @Override
        public void wakeup() {
            c.wakeup();
        }

        @Override
        public void close() {
            c.close();
        }
    }
}
