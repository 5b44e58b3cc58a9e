package io.tributary.processing.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.core.InvalidRequestException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The conformance kit every {@link DedupeStore} passes unchanged: extend it, say how to open the store over durable
 * state that lives as long as the test, and how to begin, commit and roll back its transactions.
 *
 * @param <T> the store's transaction type
 */
@Timeout(60)
public abstract class DedupeStoreKit<T> {

    /** A clock the tests move by hand, so retention is tested without sleeping. */
    protected static final class ManualClock implements InstantSource {
        private final AtomicLong millis = new AtomicLong(Instant.parse("2026-01-01T00:00:00Z").toEpochMilli());

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis.get());
        }

        public void advance(Duration d) {
            millis.addAndGet(d.toMillis());
        }
    }

    protected final ManualClock clock = new ManualClock();
    /** Unique per test, so stores on shared databases never see another test's claims. */
    protected final String processor = "proc-" + UUID.randomUUID().toString().substring(0, 8);
    private @Nullable DedupeStore<T> store;

    /** Opens the store under test over this test's durable state (the same state on every call within a test). */
    protected abstract DedupeStore<T> open(InstantSource clock);

    /** Closes a store {@link #open} returned (releasing files or pools it holds), keeping its durable state. */
    protected abstract void close(DedupeStore<T> store);

    protected abstract T begin(DedupeStore<T> store);

    protected abstract void commit(T transaction);

    protected abstract void rollback(T transaction);

    protected final synchronized DedupeStore<T> store() {
        if (store == null) {
            store = open(clock);
        }
        return store;
    }

    /** Closes the store and opens it again over the same state, as a restarted process would. */
    protected final synchronized DedupeStore<T> restart() {
        close(store());
        store = open(clock);
        return store;
    }

    @AfterEach
    final void closeStore() {
        if (store != null) {
            close(store);
            store = null;
        }
    }

    private boolean claimAndCommit(String proc, UUID id) {
        T tx = begin(store());
        boolean first = store().claim(tx, proc, id);
        commit(tx);
        return first;
    }

    @Test
    void claimsAnEventOnceAndReportsEveryLaterClaimAsADuplicate() {
        UUID id = UUID.randomUUID();
        T tx = begin(store());
        assertThat(store().claim(tx, processor, id)).isTrue();
        assertThat(store().isHandled(processor, id)).as("an uncommitted claim is not handled yet").isFalse();
        commit(tx);
        assertThat(store().isHandled(processor, id)).isTrue();
        assertThat(claimAndCommit(processor, id)).isFalse();
        assertThat(claimAndCommit(processor, id)).isFalse();
        assertThat(store().isHandled(processor, UUID.randomUUID())).isFalse();
    }

    @Test
    void reportsASecondClaimInTheSameTransactionAsADuplicate() {
        UUID id = UUID.randomUUID();
        T tx = begin(store());
        assertThat(store().claim(tx, processor, id)).isTrue();
        assertThat(store().claim(tx, processor, id)).isFalse();
        commit(tx);
        assertThat(store().isHandled(processor, id)).isTrue();
    }

    @Test
    void keepsClaimsPerProcessorSoEachProcessorHandlesAnEventOnce() {
        UUID id = UUID.randomUUID();
        assertThat(claimAndCommit(processor, id)).isTrue();
        assertThat(claimAndCommit(processor + "-other", id)).isTrue();
        assertThat(claimAndCommit(processor + "-other", id)).isFalse();
    }

    @Test
    void releasesTheClaimWhenItsTransactionRollsBack() {
        UUID id = UUID.randomUUID();
        T tx = begin(store());
        assertThat(store().claim(tx, processor, id)).isTrue();
        rollback(tx);
        assertThat(store().isHandled(processor, id)).isFalse();
        assertThat(claimAndCommit(processor, id)).as("a retry after the rollback claims it again").isTrue();
    }

    @Test
    void remembersCommittedClaimsAcrossARestartButNotRolledBackOnes() {
        List<UUID> committed = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            UUID id = UUID.randomUUID();
            assertThat(claimAndCommit(processor, id)).isTrue();
            committed.add(id);
        }
        UUID rolledBack = UUID.randomUUID();
        T tx = begin(store());
        store().claim(tx, processor, rolledBack);
        rollback(tx);

        DedupeStore<T> reopened = restart();
        for (UUID id : committed) {
            assertThat(reopened.isHandled(processor, id)).as("%s after restart", id).isTrue();
        }
        assertThat(reopened.isHandled(processor, rolledBack)).isFalse();
        assertThat(claimAndCommit(processor, committed.getFirst())).isFalse();
        assertThat(claimAndCommit(processor, rolledBack)).isTrue();
    }

    @Test
    void makesAConcurrentClaimWaitForTheHolderAndReportADuplicateOnceItCommitted() throws Exception {
        UUID id = UUID.randomUUID();
        T holder = begin(store());
        assertThat(store().claim(holder, processor, id)).isTrue();
        CompletableFuture<Boolean> second = CompletableFuture.supplyAsync(() -> claimAndCommit(processor, id),
                Executors.newVirtualThreadPerTaskExecutor());
        Thread.sleep(300);
        assertThat(second).as("the second claim waits while the first transaction is open").isNotDone();
        commit(holder);
        assertThat(second.get(20, TimeUnit.SECONDS)).isFalse();
    }

    @Test
    void letsExactlyOneOfManyConcurrentClaimsOfAnEventWin() throws Exception {
        for (int round = 0; round < 5; round++) {
            UUID id = UUID.randomUUID();
            int claimers = 8;
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Boolean>> results = new ArrayList<>();
            try (ExecutorService pool = Executors.newFixedThreadPool(claimers)) {
                for (int i = 0; i < claimers; i++) {
                    results.add(pool.submit(() -> {
                        go.await();
                        return claimAndCommit(processor, id);
                    }));
                }
                go.countDown();
                int winners = 0;
                for (Future<Boolean> f : results) {
                    winners += f.get(30, TimeUnit.SECONDS) ? 1 : 0;
                }
                assertThat(winners).as("round %d", round).isEqualTo(1);
            }
        }
    }

    @Test
    void purgeForgetsOnlyClaimsOlderThanTheAge() {
        UUID old = UUID.randomUUID();
        assertThat(claimAndCommit(processor, old)).isTrue();
        clock.advance(Duration.ofHours(2));
        UUID young = UUID.randomUUID();
        assertThat(claimAndCommit(processor, young)).isTrue();

        assertThat(store().purgeOlderThan(Duration.ofHours(1))).isGreaterThanOrEqualTo(1);
        assertThat(store().isHandled(processor, old)).isFalse();
        assertThat(store().isHandled(processor, young)).isTrue();
        assertThat(restart().isHandled(processor, old)).as("the purge is durable").isFalse();
        assertThat(store().isHandled(processor, young)).isTrue();
    }

    @Test
    void rejectsABlankOrOverlongProcessorNameSayingWhatANameMustBe() {
        T tx = begin(store());
        try {
            assertThatThrownBy(() -> store().claim(tx, " ", UUID.randomUUID()))
                    .isInstanceOf(InvalidRequestException.class).hasMessageContaining("1 to 255 characters");
            assertThatThrownBy(() -> store().claim(tx, "p".repeat(256), UUID.randomUUID()))
                    .isInstanceOf(InvalidRequestException.class).hasMessageContaining("1 to 255 characters");
        } finally {
            rollback(tx);
        }
    }
}
