package io.tributary.eventstore;

import io.tributary.core.ConflictException;
import io.tributary.core.Headers;
import io.tributary.core.StandardHeaders;
import io.tributary.core.TributaryException;
import io.tributary.core.UuidV7;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * Loads aggregates (latest snapshot plus the events after it), runs commands through a {@link Decider}, and appends
 * the resulting events with the version the decision was made on. On a conflict it reloads and decides again, up to
 * {@link RepositoryConfig#maxAttempts()} times. Aggregate {@code id} lives in stream {@code <category>-<id>}.
 *
 * <p>Thread-safe if the decider and codecs are (they should be pure). Durability is the store's.
 *
 * @param <C> command type
 * @param <S> state type
 * @param <E> event type
 */
public final class AggregateRepository<C, S, E> {

    private final EventStore store;
    private final String category;
    private final Decider<C, S, E> decider;
    private final EventCodec<E> codec;
    private final @Nullable StateCodec<S> stateCodec;
    private final RepositoryConfig config;
    private final AtomicLong snapshotFailures = new AtomicLong();

    public AggregateRepository(EventStore store, String category, Decider<C, S, E> decider, EventCodec<E> codec,
                               @Nullable StateCodec<S> stateCodec, RepositoryConfig config) {
        this.store = Objects.requireNonNull(store, "store");
        this.category = StreamName.validate(category);
        this.decider = Objects.requireNonNull(decider, "decider");
        this.codec = Objects.requireNonNull(codec, "codec");
        this.stateCodec = stateCodec;
        this.config = Objects.requireNonNull(config, "config");
        if (config.snapshotEvery() > 0 && stateCodec == null) {
            throw new IllegalArgumentException("snapshotEvery=" + config.snapshotEvery()
                    + " needs a StateCodec to encode snapshots; pass one, or set snapshotEvery to 0");
        }
    }

    /** A repository without snapshots and with default settings. */
    public AggregateRepository(EventStore store, String category, Decider<C, S, E> decider, EventCodec<E> codec) {
        this(store, category, decider, codec, null, RepositoryConfig.defaults());
    }

    /** The stream of aggregate {@code id}. */
    public String streamOf(String id) {
        return category + "-" + id;
    }

    /** Handles a command with no extra metadata. */
    public CommandResult<S> handle(String id, C command) {
        return handle(id, command, Headers.empty());
    }

    /**
     * Decides {@code command} on the current state and appends the events. {@code metadata} (correlation id,
     * causation id, traceparent …) is copied onto every event; when it has no correlation id, one is created so all
     * events of the command share it.
     *
     * @throws ConflictException with {@link EventStoreErrors#TOO_MANY_CONFLICTS} when every attempt lost a race
     */
    public CommandResult<S> handle(String id, C command, Headers metadata) {
        String stream = streamOf(id);
        Headers meta = metadata.withIfAbsent(StandardHeaders.CORRELATION_ID, UuidV7.next().toString());
        WrongExpectedVersionException last = null;
        for (int attempt = 1; attempt <= config.maxAttempts(); attempt++) {
            AggregateState<S> current = load(id);
            Decision<E> decision = decider.decide(command, current.state());
            if (decision instanceof Decision.Reject<E> r) {
                return new CommandResult.Rejected<>(stream, current.version(), r.reason());
            }
            List<E> events = ((Decision.Accept<E>) decision).events();
            if (events.isEmpty()) {
                return new CommandResult.Accepted<>(stream, current.version(), current.state(), List.of(), attempt);
            }
            List<EventData> data = new ArrayList<>(events.size());
            S next = current.state();
            for (E e : events) {
                data.add(new EventData(UuidV7.next(), codec.typeOf(e), codec.encode(e), meta));
                next = decider.evolve(next, e);
            }
            try {
                WriteResult written = store.append(stream, current.expectedVersion(), data);
                List<RecordedEvent> recorded = new ArrayList<>(data.size());
                long version = written.lastVersion() - data.size() + 1;
                for (int i = 0; i < data.size(); i++) {
                    EventData d = data.get(i);
                    recorded.add(new RecordedEvent(stream, version + i, written.firstPosition() + i, d.eventId(),
                            d.type(), d.dataUnsafe(), d.metadata(), System.currentTimeMillis()));
                }
                maybeSnapshot(stream, current.version(), written.lastVersion(), next);
                return new CommandResult.Accepted<>(stream, written.lastVersion(), next, recorded, attempt);
            } catch (WrongExpectedVersionException e) {
                last = e;
                backOff(attempt);
            }
        }
        throw new ConflictException(EventStoreErrors.TOO_MANY_CONFLICTS, "Command " + command.getClass().getSimpleName()
                + " on stream '" + stream + "' lost " + config.maxAttempts() + " races with concurrent writers (last: "
                + Objects.requireNonNull(last).getMessage() + "). Retry later, or raise RepositoryConfig.maxAttempts.", last);
    }

    /** A short, jittered pause so that writers racing on one aggregate do not collide again in lock-step. */
    private static void backOff(int attempt) {
        try {
            Thread.sleep(java.util.concurrent.ThreadLocalRandom.current().nextInt(1 + Math.min(20, 1 << Math.min(attempt, 5))));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void maybeSnapshot(String stream, long before, long after, S state) {
        int every = config.snapshotEvery();
        if (every == 0 || stateCodec == null || (after + 1) / every == (before + 1) / every) {
            return;
        }
        try {
            store.saveSnapshot(new Snapshot(stream, after, stateCodec.type(), stateCodec.encode(state),
                    System.currentTimeMillis()));
        } catch (TributaryException e) {
            // A snapshot only speeds loading up; the events are stored. Count it so it is visible, do not fail.
            snapshotFailures.incrementAndGet();
        }
    }

    /** Snapshots that could not be stored (they only cost load speed); exposed for metrics. */
    public long snapshotFailures() {
        return snapshotFailures.get();
    }

    /** The current state: the latest snapshot (if any) plus every event after it. */
    public AggregateState<S> load(String id) {
        return loadUpTo(streamOf(id), Long.MAX_VALUE, Long.MAX_VALUE);
    }

    /** The state as of {@code version} (inclusive): a temporal query by version. */
    public AggregateState<S> loadAsOf(String id, long version) {
        return loadUpTo(streamOf(id), version, Long.MAX_VALUE);
    }

    /**
     * The state as of {@code time}: every event recorded at or before it. Snapshots are not used (they are stored
     * by version), so this reads the stream from the start.
     */
    public AggregateState<S> loadAsOf(String id, Instant time) {
        return loadUpTo(streamOf(id), Long.MAX_VALUE, time.toEpochMilli());
    }

    private AggregateState<S> loadUpTo(String stream, long maxVersion, long maxTime) {
        S state = decider.initialState();
        long version = StreamInfo.NO_STREAM;
        if (stateCodec != null && maxTime == Long.MAX_VALUE) {
            Optional<Snapshot> snap = store.latestSnapshot(stream, maxVersion);
            if (snap.isPresent() && snap.get().type().equals(stateCodec.type())) {
                state = stateCodec.decode(snap.get().data());
                version = snap.get().version();
            }
        }
        long from = version + 1;
        while (from <= maxVersion) {
            int count = maxVersion - from < config.readBatch() ? (int) (maxVersion - from + 1) : config.readBatch();
            List<RecordedEvent> page = store.readStreamForward(stream, from, count);
            for (RecordedEvent e : page) {
                if (e.version() > maxVersion || e.recordedAt() > maxTime) {
                    return new AggregateState<>(stream, version, state);
                }
                state = decider.evolve(state, codec.decode(e.type(), e.data()));
                version = e.version();
            }
            if (page.size() < count) {
                break;
            }
            from = page.getLast().version() + 1;
        }
        if (version == StreamInfo.NO_STREAM && maxVersion == Long.MAX_VALUE && maxTime == Long.MAX_VALUE) {
            // A soft-deleted stream reads empty but continues its version numbers: append on top of its real state.
            StreamInfo info = store.streamInfo(stream);
            if (info.state() == StreamInfo.State.ACTIVE) {
                version = info.lastVersion();
            }
        }
        return new AggregateState<>(stream, version, state);
    }
}
