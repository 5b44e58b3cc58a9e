package io.tributary.core;

import java.security.SecureRandom;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Generates UUIDv7 event ids (RFC 9562): 48 bits of Unix milliseconds, then version 7, then a 12-bit counter seeded
 * at random each millisecond (method 1 of RFC 9562 §6.2), then the variant and 62 random bits. Ids from one generator
 * are strictly increasing, also when the clock stalls or steps back, so they sort in creation order.
 *
 * <p>Thread-safe: one process-wide generator, guarded by a lock held for a few nanoseconds.
 */
public final class UuidV7 {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final ReentrantLock LOCK = new ReentrantLock();
    private static long lastMillis = -1;
    private static int counter;

    private UuidV7() {
    }

    /** The next id. */
    public static UUID next() {
        long millis;
        int seq;
        LOCK.lock();
        try {
            long now = System.currentTimeMillis();
            if (now > lastMillis) {
                lastMillis = now;
                counter = RANDOM.nextInt(1 << 11); // leave headroom so a busy millisecond rarely overflows
            } else if (++counter >= (1 << 12)) {
                // 4096 ids in one millisecond: borrow the next millisecond rather than break monotonicity.
                lastMillis++;
                counter = 0;
            }
            millis = lastMillis;
            seq = counter;
        } finally {
            LOCK.unlock();
        }
        long msb = (millis << 16) | 0x7000L | seq;
        long lsb = (RANDOM.nextLong() & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L;
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
