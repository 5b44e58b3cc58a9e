package io.tributary.eventstore;

import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;

/**
 * What an append (or delete) expects of the stream's current state. A stale expectation fails with a
 * {@link WrongExpectedVersionException}. A soft-deleted stream counts as not existing.
 */
public sealed interface ExpectedVersion {

    /** No check: append whatever the stream's state (except a tombstoned stream). */
    record Any() implements ExpectedVersion {
        @Override
        public String toString() {
            return "any";
        }
    }

    /** The stream must not exist yet (or be soft-deleted). */
    record NoStream() implements ExpectedVersion {
        @Override
        public String toString() {
            return "no stream";
        }
    }

    /** The stream must exist, at any version. */
    record StreamExists() implements ExpectedVersion {
        @Override
        public String toString() {
            return "stream exists";
        }
    }

    /** The stream's last version must be exactly {@code version}. */
    record Exact(long version) implements ExpectedVersion {
        public Exact {
            if (version < 0) {
                throw new InvalidRequestException(ErrorCode.INVALID_ARGUMENT, "Expected version " + version
                        + " is negative; use ExpectedVersion.noStream() for a new stream, or the last version you read (0 or more).");
            }
        }

        @Override
        public String toString() {
            return "version " + version;
        }
    }

    ExpectedVersion ANY = new Any();
    ExpectedVersion NO_STREAM = new NoStream();
    ExpectedVersion STREAM_EXISTS = new StreamExists();

    static ExpectedVersion any() {
        return ANY;
    }

    static ExpectedVersion noStream() {
        return NO_STREAM;
    }

    static ExpectedVersion streamExists() {
        return STREAM_EXISTS;
    }

    static ExpectedVersion exactly(long version) {
        return new Exact(version);
    }

    /**
     * Whether a stream whose last version is {@code current} ({@link StreamInfo#NO_STREAM} if it does not exist)
     * meets this expectation.
     */
    default boolean isMetBy(long current) {
        return switch (this) {
            case Any a -> true;
            case NoStream n -> current == StreamInfo.NO_STREAM;
            case StreamExists s -> current != StreamInfo.NO_STREAM;
            case Exact e -> e.version() == current;
        };
    }

    /**
     * Whether an earlier append that wrote its first event at {@code firstVersion} could have been made under this
     * expectation (the idempotency rule: a retried append is a success only at the same position).
     */
    default boolean placesFirstEventAt(long firstVersion) {
        return switch (this) {
            case Any a -> true;
            case NoStream n -> true;
            case StreamExists s -> firstVersion > 0;
            case Exact e -> e.version() + 1 == firstVersion;
        };
    }
}
