package io.tributary.core;

import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Generates UUIDv7 event ids (RFC 9562): 48 bits of Unix milliseconds, then version 7, then a 12-bit counter seeded
 * at random each millisecond (method 1 of RFC 9562 §6.2), then the variant and 62 random bits. Ids from one generator
 * are strictly increasing, also when the clock stalls or steps back, so they sort in creation order: an id handed out
 * after another returns (on any thread) sorts after it.
 *
 * <p>Thread-safe and lock-free: one process-wide generator whose millisecond and counter live in one atomic word, so
 * concurrent callers never block each other. The random bits come from {@link ThreadLocalRandom}: ids are unique (the
 * ordered part is never reused in this process; the 62 random bits separate processes), but not unguessable — never
 * use one as a secret or a token.
 */
public final class UuidV7 {

    private static final int COUNTER_BITS = 12;
    private static final long COUNTER_MASK = (1L << COUNTER_BITS) - 1;

    /** (milliseconds << 12) | counter of the last id handed out. */
    private static final AtomicLong LAST = new AtomicLong();

    private UuidV7() {
    }

    /** The next id. */
    public static UUID next() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long now = System.currentTimeMillis();
        long seed = random.nextInt(1 << 11); // leave headroom so a busy millisecond rarely overflows
        long prev;
        long next;
        do {
            prev = LAST.get();
            // A new millisecond starts a fresh random counter. Otherwise (same millisecond, or the clock stepped
            // back) count on; after 4096 ids in one millisecond the increment carries into the millisecond field,
            // borrowing the next millisecond rather than breaking monotonicity.
            next = now > (prev >>> COUNTER_BITS) ? (now << COUNTER_BITS) | seed : prev + 1;
        } while (!LAST.compareAndSet(prev, next));
        long msb = ((next >>> COUNTER_BITS) << 16) | 0x7000L | (next & COUNTER_MASK);
        long lsb = (random.nextLong() & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L;
        return new UUID(msb, lsb);
    }

    /** The Unix millisecond timestamp embedded in a UUIDv7. */
    public static long timestampOf(UUID uuid) {
        if (uuid.version() != 7) {
            throw new InvalidRequestException(ErrorCode.INVALID_ARGUMENT,
                    "UUID " + uuid + " is version " + uuid.version() + ", not 7; only UUIDv7 ids carry a timestamp.");
        }
        return uuid.getMostSignificantBits() >>> 16;
    }
}
