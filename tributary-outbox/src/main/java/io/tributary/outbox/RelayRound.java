package io.tributary.outbox;

/**
 * What one relay round did.
 *
 * @param claimed   rows locked by this round
 * @param published rows acknowledged by the log and marked published (or deleted)
 * @param deferred  rows left pending because an older row of their key is unfinished, or a transient failure hit
 * @param failed    rows whose attempt failed for a non-transient reason (counted towards {@code maxAttempts})
 */
public record RelayRound(int claimed, int published, int deferred, int failed) {

    public static final RelayRound EMPTY = new RelayRound(0, 0, 0, 0);
}
