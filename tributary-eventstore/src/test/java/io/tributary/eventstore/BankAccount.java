package io.tributary.eventstore;

import java.nio.charset.StandardCharsets;

/** The bank-account aggregate of the tests and the guide, in the Decider style. */
public final class BankAccount {

    private BankAccount() {
    }

    public sealed interface Command {
    }

    public record Open(String owner) implements Command {
    }

    public record Deposit(long amount) implements Command {
    }

    public record Withdraw(long amount) implements Command {
    }

    public sealed interface Event {
    }

    public record Opened(String owner) implements Event {
    }

    public record Deposited(long amount) implements Event {
    }

    public record Withdrawn(long amount) implements Event {
    }

    public record State(boolean open, String owner, long balance) {
    }

    public static final Decider<Command, State, Event> DECIDER = new Decider<>() {
        @Override
        public State initialState() {
            return new State(false, "", 0);
        }

        @Override
        public Decision<Event> decide(Command command, State s) {
            return switch (command) {
                case Open o when s.open() -> Decision.reject("account is already open (owner " + s.owner() + ")");
                case Open o -> Decision.accept(new Opened(o.owner()));
                case Deposit d when !s.open() -> Decision.reject("account is not open; open it first");
                case Deposit d when d.amount() <= 0 -> Decision.reject("deposit must be positive, was " + d.amount());
                case Deposit d -> Decision.accept(new Deposited(d.amount()));
                case Withdraw w when !s.open() -> Decision.reject("account is not open; open it first");
                case Withdraw w when w.amount() > s.balance() ->
                        Decision.reject("insufficient funds: balance " + s.balance() + ", requested " + w.amount());
                case Withdraw w -> Decision.accept(new Withdrawn(w.amount()));
            };
        }

        @Override
        public State evolve(State s, Event event) {
            return switch (event) {
                case Opened o -> new State(true, o.owner(), 0);
                case Deposited d -> new State(s.open(), s.owner(), s.balance() + d.amount());
                case Withdrawn w -> new State(s.open(), s.owner(), s.balance() - w.amount());
            };
        }
    };

    /** A tiny text encoding; real applications use JSON or Avro. */
    public static final EventCodec<Event> CODEC = new EventCodec<>() {
        @Override
        public String typeOf(Event event) {
            return event.getClass().getSimpleName();
        }

        @Override
        public byte[] encode(Event event) {
            String body = switch (event) {
                case Opened o -> o.owner();
                case Deposited d -> Long.toString(d.amount());
                case Withdrawn w -> Long.toString(w.amount());
            };
            return body.getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public Event decode(String type, byte[] data) {
            String body = new String(data, StandardCharsets.UTF_8);
            return switch (type) {
                case "Opened" -> new Opened(body);
                case "Deposited" -> new Deposited(Long.parseLong(body));
                case "Withdrawn" -> new Withdrawn(Long.parseLong(body));
                default -> throw new IllegalArgumentException("unknown event type " + type);
            };
        }
    };

    public static final StateCodec<State> STATE_CODEC = new StateCodec<>() {
        @Override
        public String type() {
            return "BankAccount.v1";
        }

        @Override
        public byte[] encode(State s) {
            return (s.open() + "|" + s.balance() + "|" + s.owner()).getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public State decode(byte[] data) {
            String[] p = new String(data, StandardCharsets.UTF_8).split("\\|", 3);
            return new State(Boolean.parseBoolean(p[0]), p[2], Long.parseLong(p[1]));
        }
    };
}
