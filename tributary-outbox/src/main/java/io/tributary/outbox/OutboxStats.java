package io.tributary.outbox;

import java.util.Optional;

/**
 * Counts of an outbox table at one moment.
 *
 * @param pending                rows waiting to be published
 * @param published              rows published and not yet purged
 * @param failed                 rows marked failed (each blocks its key)
 * @param skipped                rows an operator skipped
 * @param blockedKeys            distinct keys with a failed row
 * @param oldestPendingCreatedAt when the oldest pending row was added (ms since epoch)
 */
public record OutboxStats(long pending, long published, long failed, long skipped, long blockedKeys,
                          Optional<Long> oldestPendingCreatedAt) {
}
