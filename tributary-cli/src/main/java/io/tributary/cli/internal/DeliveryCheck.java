package io.tributary.cli.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * Checks that a stream of events arrived exactly once and in order per key. Each event names its key (an index
 * {@code 0..keys-1}) and its sequence number within that key, counted from 0; the producer sent, for key {@code k},
 * sequence numbers {@code 0..expected[k]-1} in order.
 *
 * <p>Per key the check expects the next sequence number: a lower one is a <em>duplicate</em> (or a redelivery),
 * a higher one a <em>gap</em> (an event missing or overtaken). At the end, every key must have reached its expected
 * count. It also checks that a key always arrives from the same partition, which per-key order depends on.
 *
 * <p>Thread-safe: consumers call {@link #observe} concurrently. Events of one key are expected from one thread at a
 * time (one partition has one owner), but a key moving between threads across a rebalance is handled.
 */
public final class DeliveryCheck {

    /** Up to this many problems are kept as examples for the report. */
    private static final int EXAMPLES = 5;

    private final long[] expected;
    private final long expectedTotal;
    private final AtomicLongArray next;
    private final AtomicIntegerArray partitionOf;
    private final LongAdder received = new LongAdder();
    private final LongAdder duplicates = new LongAdder();
    private final LongAdder gaps = new LongAdder();
    private final LongAdder partitionMoves = new LongAdder();
    private final List<String> examples = new ArrayList<>();

    /** @param expected per key, how many events were sent */
    public DeliveryCheck(long[] expected) {
        this.expected = expected.clone();
        long total = 0;
        for (long e : expected) {
            if (e < 0) {
                throw new IllegalArgumentException("Expected counts must not be negative");
            }
            total += e;
        }
        this.expectedTotal = total;
        this.next = new AtomicLongArray(expected.length);
        this.partitionOf = new AtomicIntegerArray(expected.length);
        for (int k = 0; k < expected.length; k++) {
            partitionOf.set(k, -1);
        }
    }

    /** A check for {@code events} events spread round-robin over {@code keys} keys (event {@code e} has key {@code e % keys}). */
    public static DeliveryCheck roundRobin(long events, int keys) {
        long[] expected = new long[keys];
        for (int k = 0; k < keys; k++) {
            expected[k] = events / keys + (k < events % keys ? 1 : 0);
        }
        return new DeliveryCheck(expected);
    }

    /** Records that the event with sequence {@code seq} of key {@code key} arrived from {@code partition}. */
    public void observe(int key, long seq, int partition) {
        if (key < 0 || key >= expected.length) {
            received.increment();
            gaps.increment();
            example("event with unknown key index " + key + " (seq " + seq + ")");
            return;
        }
        received.increment();
        if (!partitionOf.compareAndSet(key, -1, partition) && partitionOf.get(key) != partition) {
            partitionMoves.increment();
            example("key " + key + " arrived from partition " + partition + " after partition " + partitionOf.get(key));
        }
        while (true) {
            long want = next.get(key);
            if (seq == want) {
                if (next.compareAndSet(key, want, want + 1)) {
                    return;
                }
            } else if (seq < want) {
                duplicates.increment();
                example("key " + key + ": seq " + seq + " arrived again (or late) after seq " + (want - 1));
                return;
            } else {
                // Skip ahead so one missing event is reported once, not again for every later event of the key.
                if (next.compareAndSet(key, want, seq + 1)) {
                    gaps.increment();
                    example("key " + key + ": expected seq " + want + ", got " + seq + " (missing or out of order)");
                    return;
                }
            }
        }
    }

    /** How many events were observed so far, duplicates included. */
    public long received() {
        return received.sum();
    }

    /** The outcome now; call after every consumer has stopped. */
    public Verdict verdict() {
        List<String> shown;
        synchronized (examples) {
            shown = new ArrayList<>(examples);
        }
        long missing = 0;
        long incompleteKeys = 0;
        long beyond = 0;
        for (int k = 0; k < expected.length; k++) {
            long reached = next.get(k);
            String problem = null;
            if (reached < expected[k]) {
                missing += expected[k] - reached;
                incompleteKeys++;
                problem = "key " + k + ": received through seq " + (reached - 1) + " of " + (expected[k] - 1);
            } else if (reached > expected[k]) {
                beyond++;
                problem = "key " + k + ": seq " + (reached - 1) + " is beyond the " + expected[k] + " events sent";
            }
            if (problem != null && shown.size() < EXAMPLES) {
                shown.add(problem);
            }
        }
        long got = received.sum();
        long dup = duplicates.sum();
        long gap = gaps.sum() + beyond;
        long moves = partitionMoves.sum();
        boolean passed = got == expectedTotal && dup == 0 && gap == 0 && missing == 0 && moves == 0;
        return new Verdict(passed, expected.length, expectedTotal, got, dup, gap, missing, incompleteKeys, moves,
                List.copyOf(shown));
    }

    private void example(String problem) {
        synchronized (examples) {
            if (examples.size() < EXAMPLES && !examples.contains(problem)) {
                examples.add(problem);
            }
        }
    }

    /**
     * The result of a check.
     *
     * @param passed         every event arrived exactly once, in order per key, each key from one partition
     * @param keys           number of keys
     * @param expected       events sent
     * @param received       events observed, duplicates included
     * @param duplicates     events observed at or below a sequence already seen
     * @param gaps           times a key's sequence jumped ahead (an event missing or overtaken)
     * @param missing        events never reached at the end, summed over keys
     * @param incompleteKeys keys that did not reach their last sequence number
     * @param partitionMoves events of a key that arrived from a different partition than its first
     * @param examples       up to five problems, described
     */
    public record Verdict(boolean passed, int keys, long expected, long received, long duplicates, long gaps,
                          long missing, long incompleteKeys, long partitionMoves, List<String> examples) {

        /** One line for people. */
        public String summary() {
            if (passed) {
                return "PASSED: all " + Units.count(expected) + " events arrived exactly once and in order per key ("
                        + Units.count(keys) + " keys).";
            }
            return "FAILED: " + Units.count(received) + " of " + Units.count(expected) + " events received; "
                    + Units.count(duplicates) + " duplicates, " + Units.count(gaps) + " gaps/reorders, "
                    + Units.count(missing) + " missing (" + Units.count(incompleteKeys) + " keys incomplete), "
                    + Units.count(partitionMoves) + " partition moves.";
        }

        public Optional<String> firstProblem() {
            return examples.stream().findFirst();
        }
    }
}
