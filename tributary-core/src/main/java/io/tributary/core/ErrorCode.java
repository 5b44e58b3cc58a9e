package io.tributary.core;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A stable, machine-readable error code such as {@code TOPIC_NOT_FOUND}. Codes never change meaning once published:
 * clients and the HTTP API match on them. Each module declares its own codes as constants; the common ones are here.
 *
 * @param name upper-case words joined by underscores
 */
public record ErrorCode(String name) {

    private static final Pattern FORMAT = Pattern.compile("[A-Z][A-Z0-9]*(_[A-Z0-9]+)*");

    public ErrorCode {
        Objects.requireNonNull(name, "name");
        if (!FORMAT.matcher(name).matches()) {
            throw new IllegalArgumentException("Error code '" + name + "' must be UPPER_SNAKE_CASE, e.g. TOPIC_NOT_FOUND");
        }
    }

    public static ErrorCode of(String name) {
        return new ErrorCode(name);
    }

    // ---- shared by every module ----
    public static final ErrorCode INVALID_ARGUMENT = of("INVALID_ARGUMENT");
    public static final ErrorCode INVALID_CONFIG = of("INVALID_CONFIG");
    public static final ErrorCode INVALID_HEADER = of("INVALID_HEADER");
    public static final ErrorCode INVALID_RECORD = of("INVALID_RECORD");
    public static final ErrorCode CAPABILITY_UNSUPPORTED = of("CAPABILITY_UNSUPPORTED");
    public static final ErrorCode CLOSED = of("CLOSED");
    public static final ErrorCode TIMEOUT = of("TIMEOUT");
    public static final ErrorCode UNAVAILABLE = of("UNAVAILABLE");
    public static final ErrorCode UNAUTHORIZED = of("UNAUTHORIZED");
    public static final ErrorCode CORRUPT_DATA = of("CORRUPT_DATA");
    public static final ErrorCode STORAGE_FAILURE = of("STORAGE_FAILURE");
    public static final ErrorCode INTERNAL = of("INTERNAL");

    @Override
    public String toString() {
        return name;
    }
}
