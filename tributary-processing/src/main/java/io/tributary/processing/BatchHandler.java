package io.tributary.processing;

import io.tributary.log.LogRecord;
import java.util.List;

/**
 * Handles a micro-batch of events from one partition.
 *
 * <p><b>Batches:</b> a batch holds events of one partition, at most {@link ProcessorConfig#maxBatchEvents()} of them
 * and about {@link ProcessorConfig#maxBatchBytes()} (a single larger event still forms a batch), gathered for at most
 * {@link ProcessorConfig#maxBatchWait()}. <b>Order:</b> the list is in offset order, so events of one key appear in
 * their log order; no key appears in two batches in flight at once, and a key's next batch starts only after the
 * batch holding its earlier events completed. <b>Threads:</b> called on virtual threads, concurrently for batches with
 * disjoint keys; must be thread-safe. <b>Outcome:</b> the batch completes or fails as a whole: throwing retries the
 * whole batch (by the {@link RetryPolicy}); after a crash a batch may be delivered again (at-least-once).
 */
@FunctionalInterface
public interface BatchHandler {

    /** Handles the events (never empty, read-only); throw to fail the whole batch for this attempt. */
    void handleBatch(List<LogRecord> events) throws Exception;
}
