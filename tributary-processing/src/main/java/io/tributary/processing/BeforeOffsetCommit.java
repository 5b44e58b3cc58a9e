package io.tributary.processing;

import io.tributary.log.TopicPartition;
import java.util.Map;

/**
 * Makes the handler's effects durable before the processor commits the log offsets that count them as done: the
 * {@link ProcessorConfig#beforeOffsetCommit()} hook. For a handler whose store acknowledges a write before it is on
 * disk (an embedded database with a write delay, a buffered file, a cache flushed in the background), committing the
 * offsets of events whose writes are still only in memory would lose them on a crash: the log counts them as done, so
 * they are never redelivered. Flushing once per offset commit costs one flush per commit interval instead of one per
 * write (Kafka Streams flushes its state stores before it commits offsets for the same reason).
 *
 * <p><b>Thread:</b> the processor's poll loop thread, so it blocks polling, dispatch and completions for as long as it
 * runs (handler calls already in flight go on); it runs at most once per {@link ProcessorConfig#commitInterval()}
 * (and once per final commit), and only when there are offsets to commit.
 * <b>Thread-safety:</b> one processor calls it from one thread at a time; an instance shared by several processors is
 * called concurrently by them.
 * <b>Ordering:</b> it runs after the offsets to commit were taken and before they are sent to the log. Every event
 * below those offsets finished (its handler call returned and its completion was applied) before the hook started,
 * so whatever the hook makes durable covers every event the commit counts as done. Events above them may be running
 * concurrently; their effects may or may not be covered, which is harmless (they are committed by a later commit,
 * after a later run of the hook).
 * <b>What it must guarantee:</b> when it returns normally, every effect of a handler call that already returned
 * survives what the deployment must survive (a process kill, a power loss), whatever the store's own write delay.
 * <b>Failure:</b> if it throws, that commit is skipped: the offsets stay uncommitted (logged with the processor's name)
 * and the next commit interval runs the hook again with the positions of that moment. The final commit on revoke and
 * close runs it too; if it throws there, the final commit is skipped and the next owner of the partitions repeats the
 * uncommitted events, as it would after a crash.
 * <b>Not for</b> a handler whose writes are durable when its call returns (a PostgreSQL transaction, or a read model
 * whose checkpoint is in the same transaction as its rows): leave it at {@link #NOTHING}.
 */
@FunctionalInterface
public interface BeforeOffsetCommit {

    /** Does nothing: the default, for handlers whose effects are durable when their call returns. */
    BeforeOffsetCommit NOTHING = new BeforeOffsetCommit() {
        @Override
        public void run(Map<TopicPartition, Long> offsets) {
        }

        @Override
        public String toString() {
            return "NOTHING";
        }
    };

    /**
     * Makes durable the effects of every handler call that already returned.
     *
     * @param offsets the offsets about to be committed, per partition (the next offset to read); unmodifiable
     * @throws Exception if it could not; that commit is then skipped and retried on the next interval
     */
    void run(Map<TopicPartition, Long> offsets) throws Exception;
}
