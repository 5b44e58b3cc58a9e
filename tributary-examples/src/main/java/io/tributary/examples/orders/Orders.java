package io.tributary.examples.orders;

import io.tributary.core.Headers;
import io.tributary.core.StandardHeaders;
import io.tributary.core.UuidV7;
import io.tributary.eventstore.AggregateRepository;
import io.tributary.eventstore.CommandResult;
import io.tributary.eventstore.Decision;
import io.tributary.eventstore.EventData;
import io.tributary.eventstore.EventStore;
import io.tributary.eventstore.ExpectedVersion;
import io.tributary.eventstore.RecordedEvent;
import io.tributary.eventstore.WriteResult;
import io.tributary.eventstore.WrongExpectedVersionException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The Orders service's command side: runs {@link Order} commands against the event store.
 *
 * <p><b>A write-through state cache in front of the repository.</b> After each successful append the order's state
 * and stream version are kept in memory, and the next command is decided on them and appended with that version as
 * the expectation. The event store stays the judge: if anyone else appended in between, the append fails with a
 * version conflict and the command falls back to the {@link AggregateRepository} (load, decide, append, retry). So
 * the cache saves reads, never correctness. A new order needs no read at all: its state is the initial state, and
 * {@code ExpectedVersion.noStream()} turns a second place of the same id into a rejection, never an overwrite.
 * Orders leave the cache when they reach a final state; the cache holds at most {@value #MAX_CACHED} orders (beyond
 * that, commands simply load). Thread-safe.
 */
public final class Orders {

    /** The event-store category of order streams: order {@code o42} is stream {@code order-o42}. */
    public static final String CATEGORY = "order";

    private final EventStore store;
    private final OrderEventCodec codec;
    private final Order decider = new Order();
    private final AggregateRepository<Order.Command, Order.State, Order.Event> repository;
    private final ConcurrentHashMap<String, Cached> cache = new ConcurrentHashMap<>();

    static final int MAX_CACHED = 200_000;

    private record Cached(long version, Order.State state) {
    }

    public Orders(EventStore store, OrderEventCodec codec) {
        this.store = store;
        this.codec = codec;
        this.repository = new AggregateRepository<>(store, CATEGORY, decider, codec);
    }

    /** Places a new order. */
    public CommandResult<Order.State> place(Order.Place command) {
        return remember(command.orderId(), appendDecided(command.orderId(), List.of(command), decider.initialState(),
                -1, Headers.empty()));
    }

    /** Any command: decided on the cached state if there is one, else loaded by the repository. */
    public CommandResult<Order.State> handle(String orderId, Order.Command command, Headers metadata) {
        Cached cached = cache.get(orderId);
        CommandResult<Order.State> result = cached == null
                ? repository.handle(orderId, command, metadata)
                : appendDecided(orderId, List.of(command), cached.state(), cached.version(), metadata);
        return remember(orderId, result);
    }

    private CommandResult<Order.State> remember(String orderId, CommandResult<Order.State> result) {
        if (result instanceof CommandResult.Accepted<Order.State> a) {
            if (a.state().status().isFinal()) {
                cache.remove(orderId);
            } else if (cache.size() < MAX_CACHED || cache.containsKey(orderId)) {
                // Keep the newest version if two results race (commands of one order are not meant to overlap).
                cache.merge(orderId, new Cached(a.version(), a.state()), (old, now) -> now.version() >= old.version() ? now : old);
            }
        }
        return result;
    }

    /**
     * Confirms the payment and ships the order. Both steps are idempotent, so a redelivered payment event changes
     * nothing: the confirmation is accepted with no events and shipping finds the order shipped.
     *
     * <p>With the order's state in the cache, both commands are decided on it and their events are appended in one
     * append (one write, one fsync, and no moment where the order is confirmed but not shipped). Without it, or after a
     * version conflict, each command goes through the repository in turn.
     *
     * @return the result (its events are empty when both steps were repeats); the ship step's rejection, if any, is
     *         returned instead
     */
    public CommandResult<Order.State> confirmAndShip(String orderId, Order.ConfirmPayment confirm, Headers metadata) {
        Cached cached = cache.get(orderId);
        if (cached != null) {
            return remember(orderId, appendDecided(orderId, List.of(confirm, new Order.Ship()), cached.state(),
                    cached.version(), metadata));
        }
        CommandResult<Order.State> confirmed = handle(orderId, confirm, metadata);
        if (!(confirmed instanceof CommandResult.Accepted<Order.State>)) {
            return confirmed;
        }
        CommandResult<Order.State> shipped = handle(orderId, new Order.Ship(), metadata);
        return shipped instanceof CommandResult.Rejected<Order.State> ? shipped : confirmed;
    }

    /** Loads an order's current state (for queries and tests). */
    public Order.State load(String orderId) {
        return repository.load(orderId).state();
    }

    /**
     * Decides {@code commands} in turn, each on the state the previous one's events led to, and appends all their
     * events in one append expecting {@code version}. A rejection of any command appends nothing.
     */
    private CommandResult<Order.State> appendDecided(String orderId, List<Order.Command> commands, Order.State state,
                                                     long version, Headers metadata) {
        String stream = repository.streamOf(orderId);
        List<Order.Event> events = new ArrayList<>(2);
        Order.State next = state;
        for (Order.Command command : commands) {
            Decision<Order.Event> decision = decider.decide(command, next);
            if (decision instanceof Decision.Reject<Order.Event> r) {
                return new CommandResult.Rejected<>(stream, version, r.reason());
            }
            for (Order.Event e : ((Decision.Accept<Order.Event>) decision).events()) {
                events.add(e);
                next = decider.evolve(next, e);
            }
        }
        if (events.isEmpty()) {
            return new CommandResult.Accepted<>(stream, version, state, List.of(), 1);
        }
        Headers meta = metadata.withIfAbsent(StandardHeaders.CORRELATION_ID, UuidV7.next().toString());
        List<EventData> data = new ArrayList<>(events.size());
        for (Order.Event e : events) {
            data.add(new EventData(UuidV7.next(), codec.typeOf(e), codec.encode(e), meta));
        }
        ExpectedVersion expected = version < 0 ? ExpectedVersion.noStream() : ExpectedVersion.exactly(version);
        try {
            WriteResult written = store.append(stream, expected, data);
            List<RecordedEvent> recorded = new ArrayList<>(data.size());
            long first = written.lastVersion() - data.size() + 1;
            for (int i = 0; i < data.size(); i++) {
                EventData d = data.get(i);
                recorded.add(new RecordedEvent(stream, first + i, written.firstPosition() + i, d.eventId(), d.type(),
                        d.dataUnsafe(), d.metadata(), System.currentTimeMillis()));
            }
            return new CommandResult.Accepted<>(stream, written.lastVersion(), next, recorded, 1);
        } catch (WrongExpectedVersionException conflict) {
            if (version < 0) {
                return new CommandResult.Rejected<>(stream, version, "order " + orderId + " already exists; place new "
                        + "orders under a new id");
            }
            return handleEach(orderId, commands, metadata);   // someone else wrote: decide again on fresh state
        }
    }

    /**
     * Runs {@code commands} one after the other through the repository (load, decide, append, retry on conflict).
     * Returns the first rejection, or the last acceptance carrying the events of all of them.
     */
    private CommandResult<Order.State> handleEach(String orderId, List<Order.Command> commands, Headers metadata) {
        List<RecordedEvent> all = new ArrayList<>();
        CommandResult.Accepted<Order.State> last = null;
        for (Order.Command command : commands) {
            CommandResult<Order.State> r = repository.handle(orderId, command, metadata);
            if (!(r instanceof CommandResult.Accepted<Order.State> a)) {
                return r;
            }
            all.addAll(a.events());
            last = a;
        }
        if (last == null) {
            throw new IllegalArgumentException("handleEach needs at least one command");
        }
        return commands.size() == 1 ? last
                : new CommandResult.Accepted<>(last.stream(), last.version(), last.state(), all, last.attempts());
    }
}
