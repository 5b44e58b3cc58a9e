package io.tributary.cli;

import io.tributary.core.ConflictException;
import io.tributary.core.CorruptionException;
import io.tributary.core.InvalidRequestException;
import io.tributary.core.NotFoundException;
import io.tributary.core.RetriableException;
import io.tributary.core.TributaryException;
import io.tributary.core.UnauthorizedException;

/**
 * The exit statuses of {@code tributary}, one per kind of outcome, so scripts can tell "try again" from "fix your
 * input" without parsing messages. Listed in every command's help.
 */
public final class ExitStatus {

    /** Done. */
    public static final int OK = 0;
    /** A check failed (e.g. the demo's delivery check), or an unexpected error. */
    public static final int FAILED = 1;
    /** Bad command line or bad input ({@link InvalidRequestException}); fix it and run again. */
    public static final int INVALID = 2;
    /** The topic, group or other thing named does not exist ({@link NotFoundException}). */
    public static final int NOT_FOUND = 3;
    /** The request contradicts the current state, e.g. the topic already exists ({@link ConflictException}). */
    public static final int CONFLICT = 4;
    /** A transient condition; the same command may succeed later ({@link RetriableException}). */
    public static final int RETRY = 5;
    /** Stored data failed a check; an operator must act ({@link CorruptionException}). */
    public static final int CORRUPTION = 6;
    /** Not allowed ({@link UnauthorizedException}). */
    public static final int UNAUTHORIZED = 7;

    private ExitStatus() {
    }

    /** The status for an error of this kind. */
    public static int of(TributaryException e) {
        return switch (e) {
            case InvalidRequestException ignored -> INVALID;
            case NotFoundException ignored -> NOT_FOUND;
            case ConflictException ignored -> CONFLICT;
            case RetriableException ignored -> RETRY;
            case CorruptionException ignored -> CORRUPTION;
            case UnauthorizedException ignored -> UNAUTHORIZED;
        };
    }
}
