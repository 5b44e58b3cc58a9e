package io.tributary.processing;

import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import io.tributary.processing.internal.DedupeFile;
import io.tributary.processing.spi.DedupeStore;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A {@link DedupeStore} kept in a file of its own, e.g. under the embedded log's data directory
 * ({@code dataDir.resolve("dedupe/claims.tdds")}); needs nothing but a disk. Use it through
 * {@link Dedupe#wrap(EmbeddedDedupeStore, String, EventHandler)}.
 *
 * <p>Claims join a {@link Transaction} from {@link #begin()}: {@link Transaction#commit()} appends them to the file
 * (one write, then fsync per {@link EmbeddedDedupeConfig#fsyncOnCommit()}) and only then makes them visible;
 * {@link Transaction#rollback()} releases them.
 *
 * <p><b>What it guarantees:</b> once a commit returned, every later claim of those events returns {@code false},
 * across restarts and process crashes. The handler's own effects are not in this transaction (they live elsewhere), so
 * a crash after the handler returned and before the commit finished makes the event be handled again: effects
 * outside the store are at-least-once with a window of one commit. When the effects live in a database, use
 * {@link JdbcDedupeStore}, whose claim commits atomically with them.
 *
 * <p><b>Thread-safety and ordering:</b> thread-safe; a claim of a key held by another open transaction waits for it
 * to end. Commits are appended in the order they complete. <b>Memory:</b> one entry per claim younger than the
 * retention window (claims older than {@link EmbeddedDedupeConfig#retention()} are dropped on compaction and reopen).
 * <b>Durability:</b> the file format is documented in {@link DedupeFile}; one store per file (an OS lock is held).
 */
public final class EmbeddedDedupeStore implements DedupeStore<EmbeddedDedupeStore.Transaction>, AutoCloseable {

    private record Key(String processor, UUID eventId) {
    }

    private final EmbeddedDedupeConfig config;
    private final InstantSource clock;
    private final ReentrantLock fileLock = new ReentrantLock();
    private final ReentrantLock stateLock = new ReentrantLock();
    private final Condition released = stateLock.newCondition();
    private final Map<Key, Long> handled = new HashMap<>();
    private final Map<Key, Transaction> open = new HashMap<>();
    private final DedupeFile file;
    private long appendedSinceCompaction;
    private boolean closed;

    private EmbeddedDedupeStore(Path path, EmbeddedDedupeConfig config, InstantSource clock) {
        this.config = config;
        this.clock = clock;
        long cutoff = clock.millis() - config.retention().toMillis();
        this.file = DedupeFile.open(path, e -> {
            if (e.processedAt() >= cutoff) {
                handled.merge(new Key(e.processor(), e.eventId()), e.processedAt(), Math::max);
            }
        });
    }

    /** Opens (or creates) the store kept in {@code file}. */
    public static EmbeddedDedupeStore open(Path file, EmbeddedDedupeConfig config) {
        return open(file, config, InstantSource.system());
    }

    /** As {@link #open(Path, EmbeddedDedupeConfig)}, reading time from {@code clock} (for claim ages). */
    public static EmbeddedDedupeStore open(Path file, EmbeddedDedupeConfig config, InstantSource clock) {
        return new EmbeddedDedupeStore(Objects.requireNonNull(file, "file"), Objects.requireNonNull(config, "config"),
                Objects.requireNonNull(clock, "clock"));
    }

    /** Starts a transaction for claims; commit or roll it back on the thread of your choice. */
    public Transaction begin() {
        return new Transaction();
    }

    @Override
    public boolean claim(Transaction transaction, String processor, UUID eventId) {
        Dedupe.checkProcessor(processor);
        Objects.requireNonNull(eventId, "eventId");
        if (transaction.store() != this || transaction.finished) {
            throw new InvalidRequestException(DedupeErrors.DEDUPE_NOT_IN_TRANSACTION, "Cannot claim event " + eventId
                    + " for '" + processor + "': the transaction is " + (transaction.finished ? "already finished"
                    : "from another store") + "; claim inside an open transaction from this store's begin().");
        }
        Key key = new Key(processor, eventId);
        stateLock.lock();
        try {
            while (true) {
                checkOpen();
                if (handled.containsKey(key)) {
                    return false;
                }
                Transaction holder = open.get(key);
                if (holder == null) {
                    open.put(key, transaction);
                    transaction.keys.add(key);
                    return true;
                }
                if (holder == transaction) {
                    return false; // claimed earlier in this very transaction, as a database would report it
                }
                released.awaitUninterruptibly();
            }
        } finally {
            stateLock.unlock();
        }
    }

    @Override
    public boolean isHandled(String processor, UUID eventId) {
        stateLock.lock();
        try {
            return handled.containsKey(new Key(processor, eventId));
        } finally {
            stateLock.unlock();
        }
    }

    @Override
    public long purgeOlderThan(Duration age) {
        fileLock.lock();
        try {
            return compact(clock.millis() - age.toMillis());
        } finally {
            fileLock.unlock();
        }
    }

    /** How many claims are remembered (committed and not yet dropped). */
    public int size() {
        stateLock.lock();
        try {
            return handled.size();
        } finally {
            stateLock.unlock();
        }
    }

    /** Called with fileLock held: rewrites the file with claims not older than {@code cutoff}. */
    private long compact(long cutoff) {
        List<DedupeFile.Entry> live = new ArrayList<>();
        long removed;
        stateLock.lock();
        try {
            checkOpen();
            int before = handled.size();
            handled.values().removeIf(at -> at < cutoff);
            removed = before - handled.size();
            handled.forEach((k, at) -> live.add(new DedupeFile.Entry(k.processor(), k.eventId(), at)));
        } finally {
            stateLock.unlock();
        }
        file.rewrite(live);
        appendedSinceCompaction = 0;
        return removed;
    }

    private void finish(Transaction tx, boolean commit) {
        // Lock order everywhere: fileLock, then stateLock. Claims become visible while fileLock is still held, so a
        // compaction (which snapshots under fileLock) never misses a claim that was written to the old file.
        fileLock.lock();
        try {
            if (commit && !tx.keys.isEmpty()) {
                long now = clock.millis();
                List<DedupeFile.Entry> entries = new ArrayList<>(tx.keys.size());
                for (Key k : tx.keys) {
                    entries.add(new DedupeFile.Entry(k.processor(), k.eventId(), now));
                }
                try {
                    stateLock.lock();
                    try {
                        checkOpen();
                    } finally {
                        stateLock.unlock();
                    }
                    file.append(entries, config.fsyncOnCommit());
                } catch (RuntimeException e) {
                    release(tx, false, now);
                    throw e;
                }
                release(tx, true, now);
                appendedSinceCompaction += entries.size();
                if (appendedSinceCompaction >= config.compactEvery()) {
                    compact(now - config.retention().toMillis());
                }
            } else {
                release(tx, false, 0);
            }
        } finally {
            fileLock.unlock();
        }
    }

    private void release(Transaction tx, boolean keep, long at) {
        stateLock.lock();
        try {
            for (Key k : tx.keys) {
                open.remove(k, tx);
                if (keep) {
                    handled.put(k, at);
                }
            }
            tx.finished = true;
            released.signalAll();
        } finally {
            stateLock.unlock();
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new InvalidRequestException(ErrorCode.CLOSED, "The embedded dedupe store is closed; open it again "
                    + "with EmbeddedDedupeStore.open(...).");
        }
    }

    /** Closes the file; open transactions can no longer commit. Idempotent. */
    @Override
    public void close() {
        fileLock.lock();
        try {
            stateLock.lock();
            try {
                if (closed) {
                    return;
                }
                closed = true;
                released.signalAll();
            } finally {
                stateLock.unlock();
            }
            file.close();
        } finally {
            fileLock.unlock();
        }
    }

    /**
     * The claims of one handler call. Commit makes them durable and visible; rollback (or close without commit)
     * releases them. Use from one thread at a time; finishing twice is a no-op.
     */
    public final class Transaction implements AutoCloseable {
        private final List<Key> keys = new ArrayList<>();
        private volatile boolean finished;

        private Transaction() {
        }

        private EmbeddedDedupeStore store() {
            return EmbeddedDedupeStore.this;
        }

        /** Writes the claims (fsync per config) and makes them visible. */
        public void commit() {
            if (!finished) {
                finish(this, true);
            }
        }

        public void rollback() {
            if (!finished) {
                finish(this, false);
            }
        }

        /** Rolls back unless committed. */
        @Override
        public void close() {
            rollback();
        }
    }
}
