package io.tributary.processing;

import io.tributary.log.LogRecord;
import java.util.List;

/**
 * Handles a micro-batch of events from one partition and says which of them it completed: a batch handler whose
 * failures stay per event. Start one with {@link Processor#startPartialBatched}.
 *
 * <p>Use it where a batch is cheaper as one unit of work (one database transaction for many events) but one bad
 * event must not fail its neighbours: the handler applies the events it can and returns
 * {@link BatchOutcome#handAgainAlone} naming the others; the processor completes the rest and hands each named event
 * again <em>in a call of its own</em> (a batch of one), with the usual retries, then the dead-letter policy, so a
 * poison event is retried, dead-lettered and redriven alone. When a batch's shared work fails as a whole (e.g. its
 * transaction was rolled back), naming every event sends each through its own call, which isolates the one at fault.
 *
 * <p><b>Batches and order</b> are those of {@link BatchHandler}. <b>Per-key order:</b> once an event of a key is
 * named, every later event of that key in the batch is handed again too, after it; the handler must not have applied
 * them (leave them untouched, or name them as well). <b>Calls of one event</b> (a handed-again event, a redrive, a
 * batch that happened to hold one event) must complete it or throw: naming the only event of the call fails the
 * attempt. <b>Outcome:</b> throwing fails the whole batch for this attempt, as with {@link BatchHandler}. After a crash
 * a batch may be delivered again (at-least-once), so the handler must be idempotent. <b>Threads:</b> as
 * {@link BatchHandler}: virtual threads, concurrently for batches with disjoint keys.
 *
 * <p><b>Attempts:</b> each call is told which attempt at its events it is ({@code attempt}, from 1), so a handler can
 * choose by itself between failing the batch whole (throw: the processor retries the same events after its backoff,
 * per {@link ProcessorConfig#retry()}) and naming its events to go again alone, without remembering batches across
 * calls. The count is per call of these events: 1 on the first call of a batch, 2 on its first retry, and so on; an
 * event handed again alone, or redriven from the dead-letter topic, starts its own call at 1 again. After a restart or
 * a rebalance, events delivered again start at 1 (the count is not stored).
 */
@FunctionalInterface
public interface PartialBatchHandler {

    /**
     * Handles the events (never empty, read-only, offset order); returns which were completed. Throw to fail the
     * whole batch for this attempt.
     *
     * @param events  the batch
     * @param attempt which attempt at these events this call is: 1 for the first, 2 for the first retry, …
     */
    BatchOutcome handleBatch(List<LogRecord> events, int attempt) throws Exception;
}
