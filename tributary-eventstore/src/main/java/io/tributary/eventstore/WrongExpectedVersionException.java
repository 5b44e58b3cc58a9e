package io.tributary.eventstore;

import io.tributary.core.ConflictException;

/**
 * An append or delete expected the stream at one version and found it at another. Names the stream, the expected
 * and the actual version ({@link StreamInfo#NO_STREAM} when the stream does not exist). Nothing was written.
 */
public final class WrongExpectedVersionException extends ConflictException {

    private static final long serialVersionUID = 1L;

    private final String stream;
    private final transient ExpectedVersion expected;
    private final long actual;

    public WrongExpectedVersionException(String stream, ExpectedVersion expected, long actual) {
        super(EventStoreErrors.WRONG_EXPECTED_VERSION, "Stream '" + stream + "': expected " + expected
                + " but the stream " + (actual == StreamInfo.NO_STREAM ? "does not exist" : "is at version " + actual)
                + ". Nothing was written. Read the stream again, decide again on the current state and retry with "
                + "the version you read (or use ExpectedVersion.any() if order does not matter).");
        this.stream = stream;
        this.expected = expected;
        this.actual = actual;
    }

    public String stream() {
        return stream;
    }

    public ExpectedVersion expected() {
        return expected;
    }

    /** The stream's actual last version, or {@link StreamInfo#NO_STREAM}. */
    public long actual() {
        return actual;
    }
}
