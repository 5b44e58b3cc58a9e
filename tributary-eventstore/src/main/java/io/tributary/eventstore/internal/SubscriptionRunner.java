package io.tributary.eventstore.internal;

import io.tributary.core.TributaryException;
import io.tributary.eventstore.AllSlice;
import io.tributary.eventstore.EventFilter;
import io.tributary.eventstore.EventHandler;
import io.tributary.eventstore.RecordedEvent;
import io.tributary.eventstore.Subscription;
import io.tributary.eventstore.SubscriptionConfig;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * One subscription: a reader thread pages through {@code $all} below the committed watermark into a bounded queue,
 * and a dispatcher thread hands the events to the handler. Catch-up and live are the same loop; "live" only means
 * the last page reached the watermark, after which the reader waits for a local append or the poll interval.
 *
 * <p>Back-pressure: the queue holds at most {@link SubscriptionConfig#bufferSize()} events; the reader blocks when it
 * is full. Transient read errors are retried with a growing pause (up to 1 s); other errors stop the subscription.
 */
final class SubscriptionRunner implements Subscription {

    private sealed interface Item {
    }

    private record Deliver(RecordedEvent event) implements Item {
    }

    /** Everything up to {@code position} has been read (matching events are queued before this). */
    private record Advance(long position, boolean caughtUp) implements Item {
    }

    private final AbstractEventStore store;
    private final EventFilter filter;
    private final SubscriptionConfig config;
    private final EventHandler handler;
    private final Consumer<SubscriptionRunner> onStop;
    private final BlockingQueue<Item> queue;
    private final Object progress = new Object();
    private volatile long position;
    private volatile boolean live;
    private volatile boolean stopped;
    private volatile @Nullable Throwable failure;
    private @Nullable Thread reader;
    private @Nullable Thread dispatcher;

    SubscriptionRunner(AbstractEventStore store, EventFilter filter, long afterPosition, SubscriptionConfig config,
                       EventHandler handler, Consumer<SubscriptionRunner> onStop) {
        this.store = store;
        this.filter = filter;
        this.config = config;
        this.handler = handler;
        this.onStop = onStop;
        this.position = afterPosition;
        // Markers share the queue; +2 leaves room for the marker that follows a full buffer of events.
        this.queue = new ArrayBlockingQueue<>(config.bufferSize() + 2);
    }

    void start() {
        reader = Thread.ofVirtual().name("eventstore-subscription-reader").start(this::readLoop);
        dispatcher = Thread.ofVirtual().name("eventstore-subscription-dispatcher").start(this::dispatchLoop);
    }

    private void readLoop() {
        long next = position;
        long backoffMs = 10;
        try {
            while (!stopped) {
                long seenAppends = store.appendSequence();
                int room = Math.max(1, Math.min(config.batchSize(), queue.remainingCapacity() - 1));
                AllSlice slice;
                try {
                    slice = store.readAll(next, room, filter);
                    backoffMs = 10;
                } catch (TributaryException e) {
                    if (!e.isRetriable()) {
                        throw e;
                    }
                    Thread.sleep(backoffMs);
                    backoffMs = Math.min(1000, backoffMs * 2);
                    continue;
                }
                for (RecordedEvent e : slice.events()) {
                    queue.put(new Deliver(e));
                }
                next = slice.nextPosition();
                queue.put(new Advance(next, slice.endOfAll()));
                if (slice.endOfAll()) {
                    store.awaitAppend(seenAppends, config.pollInterval().toMillis());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Throwable t) {
            fail(t);
        }
    }

    private void dispatchLoop() {
        try {
            while (!stopped) {
                Item item = queue.take();
                switch (item) {
                    case Deliver d -> {
                        handler.handle(d.event());
                        advanceTo(d.event().position());
                    }
                    case Advance a -> {
                        advanceTo(a.position());
                        if (a.caughtUp()) {
                            live = true;
                            handler.onCaughtUp(a.position());
                        }
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Throwable t) {
            fail(t);
        }
    }

    private void advanceTo(long p) {
        synchronized (progress) {
            if (p > position) {
                position = p;
            }
            progress.notifyAll();
        }
    }

    private void fail(Throwable t) {
        if (!stopped) {
            failure = t;
        }
        stopAsync();
    }

    private void stopAsync() {
        stopped = true;
        synchronized (progress) {
            progress.notifyAll();
        }
        Thread r = reader;
        Thread d = dispatcher;
        if (r != null && r != Thread.currentThread()) {
            r.interrupt();
        }
        if (d != null && d != Thread.currentThread()) {
            d.interrupt();
        }
        onStop.accept(this);
    }

    @Override
    public long position() {
        return position;
    }

    @Override
    public boolean isLive() {
        return live;
    }

    @Override
    public Optional<Throwable> failure() {
        return Optional.ofNullable(failure);
    }

    @Override
    public boolean awaitPosition(long target, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (progress) {
            while (position < target) {
                if (stopped) {
                    return false;
                }
                long leftMs = (deadline - System.nanoTime()) / 1_000_000L;
                if (leftMs <= 0) {
                    return false;
                }
                progress.wait(leftMs);
            }
            return true;
        }
    }

    @Override
    public void close() {
        stopAsync();
        try {
            Thread r = reader;
            Thread d = dispatcher;
            if (r != null && r != Thread.currentThread()) {
                r.join(10_000);
            }
            if (d != null && d != Thread.currentThread()) {
                d.join(10_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
