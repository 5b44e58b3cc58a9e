package io.tributary.log;

import io.tributary.core.InvalidRequestException;

/**
 * When an append is acknowledged, set per topic with the {@code fsync} config.
 * <ul>
 *   <li>{@code always} (default on the embedded engine): the data file is synced before the ack; concurrent appends
 *       share one fdatasync (group commit). Survives power loss.</li>
 *   <li>{@code interval:<ms>}: acked from the page cache; synced at least every {@code ms} milliseconds. A power loss
 *       may lose up to that window; a process crash loses nothing.</li>
 *   <li>{@code never}: acked from the page cache, synced by the OS when it chooses (stock Kafka's default).</li>
 * </ul>
 * On Kafka the modes map to the topic configs {@code flush.messages=1}, {@code flush.ms=<ms>} and the broker default.
 */
public sealed interface Durability {

    /** Sync before every ack (group commit). */
    record Always() implements Durability {
        @Override
        public String toString() {
            return "always";
        }
    }

    /** Sync at least every {@code intervalMs} milliseconds. */
    record Interval(long intervalMs) implements Durability {
        public Interval {
            if (intervalMs <= 0) {
                throw new IllegalArgumentException("fsync interval must be positive, was " + intervalMs + " ms");
            }
        }

        @Override
        public String toString() {
            return "interval:" + intervalMs;
        }
    }

    /** Never sync explicitly. */
    record Never() implements Durability {
        @Override
        public String toString() {
            return "never";
        }
    }

    Durability ALWAYS = new Always();
    Durability NEVER = new Never();

    /** Parses {@code always}, {@code never} or {@code interval:<ms>}. */
    static Durability parse(String text) {
        String t = text.trim();
        if (t.equals("always")) {
            return ALWAYS;
        }
        if (t.equals("never")) {
            return NEVER;
        }
        if (t.startsWith("interval:")) {
            try {
                long ms = Long.parseLong(t.substring("interval:".length()));
                if (ms > 0) {
                    return new Interval(ms);
                }
            } catch (NumberFormatException ignored) {
                // reported below with the accepted forms
            }
        }
        throw new InvalidRequestException(LogErrors.INVALID_TOPIC_CONFIG,
                "fsync='" + text + "' is not a durability mode; use 'always', 'never' or 'interval:<ms>' with ms > 0, e.g. 'interval:100'.");
    }
}
