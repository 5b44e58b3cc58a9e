package io.tributary.log.tck;

import io.tributary.log.ConsumerConfig;
import io.tributary.log.EventLog;
import io.tributary.log.LogConsumer;
import io.tributary.log.LogRecord;
import io.tributary.log.RebalanceListener;
import io.tributary.log.TopicPartition;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * One consumer-group member driven by its own thread, as an application would run it: the thread creates the
 * consumer, subscribes, and polls in a loop; a test reaches the consumer only through {@link #call}, which runs on
 * that thread between polls (a {@link LogConsumer} is single-threaded). Its rebalance listener reports to an
 * {@link OwnershipLedger}.
 *
 * <p>Thread-safe for the test thread. Every wait is bounded.
 */
final class PolledMember implements AutoCloseable {

    private static final Duration POLL_SLICE = Duration.ofMillis(100);

    private final String name;
    private final OwnershipLedger ledger;
    private final ConcurrentLinkedQueue<Runnable> commands = new ConcurrentLinkedQueue<>();
    private final List<LogRecord> received = new ArrayList<>();
    private final CompletableFuture<LogConsumer> started = new CompletableFuture<>();
    private final Thread thread;
    private volatile boolean polling = true;
    private volatile boolean stopped;
    private volatile boolean closeOnExit = true;
    private volatile @Nullable Throwable failure;

    private PolledMember(String name, OwnershipLedger ledger, EventLog log, ConsumerConfig config,
                         Collection<String> topics) {
        this.name = name;
        this.ledger = ledger;
        this.thread = Thread.ofPlatform().name("tck-member-" + name).daemon().start(() -> run(log, config, topics));
    }

    /** Starts a member named {@code name} that subscribes to {@code topics} with {@code config}. */
    static PolledMember start(String name, OwnershipLedger ledger, EventLog log, ConsumerConfig config,
                              Collection<String> topics) {
        PolledMember m = new PolledMember(name, ledger, log, config, topics);
        try {
            m.started.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new AssertionError("member " + name + " could not subscribe: " + e.getCause(), e.getCause());
        } catch (InterruptedException | TimeoutException e) {
            throw new AssertionError("member " + name + " did not start within 30 s", e);
        }
        return m;
    }

    private void run(EventLog log, ConsumerConfig config, Collection<String> topics) {
        LogConsumer consumer;
        try {
            consumer = log.consumer(config);
            consumer.subscribe(topics, new RebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                    ledger.revoked(name, partitions);
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    ledger.assigned(name, partitions);
                }
            });
        } catch (Throwable t) {
            started.completeExceptionally(t);
            return;
        }
        started.complete(consumer);
        try {
            while (!stopped) {
                Runnable command;
                while ((command = commands.poll()) != null) {
                    command.run();
                }
                if (stopped) {
                    break;
                }
                if (polling) {
                    List<LogRecord> batch = consumer.poll(POLL_SLICE);
                    synchronized (received) {
                        received.addAll(batch);
                    }
                } else {
                    Thread.sleep(20);
                }
            }
        } catch (Throwable t) {
            failure = t;
        } finally {
            if (closeOnExit) {
                try {
                    consumer.close();
                } catch (RuntimeException e) {
                    if (failure == null) {
                        failure = e;
                    }
                }
            }
        }
    }

    String name() {
        return name;
    }

    /** Runs {@code action} on the member's thread between two polls and returns its result. */
    <T> T call(Function<LogConsumer, T> action) {
        CompletableFuture<T> result = new CompletableFuture<>();
        LogConsumer consumer = started.join();
        commands.add(() -> {
            try {
                result.complete(action.apply(consumer));
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        try {
            return result.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new AssertionError("member " + name + " failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException | TimeoutException e) {
            throw new AssertionError("member " + name + " did not run the command within 30 s (poll loop stuck? "
                    + failureText() + ")", e);
        }
    }

    /** Runs {@code action} on the member's thread. */
    void run(Consumer<LogConsumer> action) {
        call(c -> {
            action.accept(c);
            return null;
        });
    }

    /** Records polled so far, in the order polled. */
    List<LogRecord> received() {
        synchronized (received) {
            return List.copyOf(received);
        }
    }

    /** What its listener says it owns now. */
    java.util.Set<TopicPartition> owned() {
        return ledger.ownedBy(name);
    }

    /** The error that ended its poll loop, if any. */
    @Nullable Throwable failure() {
        return failure;
    }

    private String failureText() {
        Throwable f = failure;
        return f == null ? "no failure recorded" : "failure: " + f;
    }

    /**
     * Stops calling {@code poll} (the thread stays alive, the consumer open) as a hung application would. From now on
     * the member processes nothing, so it owns nothing in the ledger.
     */
    void stall() {
        ledger.detach(name);
        polling = false;
    }

    /**
     * Dies as a crashed client does: stops polling, hands the consumer to {@code crash} on the member's thread (a
     * backend hook, e.g. cut its connection), then ends that thread without closing the consumer. For an in-process
     * backend, a polling thread that died with its consumer open is what a crash looks like.
     */
    void crash(Consumer<LogConsumer> crash) {
        stall();
        run(crash);
        abandon();
    }

    /** Leaves the group with {@link LogConsumer#close()}; waits for the close to return. */
    @Override
    public void close() {
        ledger.detach(name);
        stopped = true;
        join();
    }

    /** Stops the thread without closing the consumer (after a crash, the backend's hook owns what is left). */
    void abandon() {
        ledger.detach(name);
        closeOnExit = false;
        stopped = true;
        join();
    }

    private void join() {
        try {
            thread.join(Duration.ofSeconds(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            throw new AssertionError("member " + name + " did not stop within 30 s");
        }
        Throwable f = failure;
        if (f != null) {
            throw new AssertionError("member " + name + "'s poll loop failed: " + f, f);
        }
    }
}
