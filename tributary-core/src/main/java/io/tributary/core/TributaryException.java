package io.tributary.core;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The root of every exception Tributary throws. Unchecked; sealed into the six kinds a caller reacts to differently:
 * <ul>
 *   <li>{@link NotFoundException}: the thing named does not exist (HTTP 404);</li>
 *   <li>{@link ConflictException}: the request contradicts current state, e.g. a stale expected version (409);</li>
 *   <li>{@link InvalidRequestException}: bad input; retrying the same request will fail again (400);</li>
 *   <li>{@link RetriableException}: a transient condition; the same request may succeed later (503);</li>
 *   <li>{@link CorruptionException}: stored data failed a check; an operator must act (500);</li>
 *   <li>{@link UnauthorizedException}: the caller may not do this (403).</li>
 * </ul>
 * Every instance carries a stable {@link ErrorCode} and a message that names what failed (with ids), the rule, and
 * what to do about it.
 */
public abstract sealed class TributaryException extends RuntimeException
        permits NotFoundException, ConflictException, InvalidRequestException, RetriableException,
        CorruptionException, UnauthorizedException {

    private static final long serialVersionUID = 1L;

    private final ErrorCode code;

    protected TributaryException(ErrorCode code, String message, @Nullable Throwable cause) {
        super(requireMessage(message), cause);
        this.code = Objects.requireNonNull(code, "code");
    }

    private static String requireMessage(String message) {
        if (message == null || message.isBlank()) {
            throw new IllegalArgumentException("A Tributary error needs a message that says what to do");
        }
        return message;
    }

    /** The stable code; reused verbatim by the HTTP API. */
    public ErrorCode code() {
        return code;
    }

    /** The HTTP status this kind of error maps to. */
    public abstract int httpStatus();

    /** Whether the same request may succeed if retried later. */
    public boolean isRetriable() {
        return false;
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + code + "]: " + getMessage();
    }
}
