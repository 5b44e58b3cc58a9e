package io.tributary.processing;

import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;

/**
 * How a failed handler call is retried: exponential backoff with jitter, a cap on attempts, and a classifier for
 * failures that retrying cannot fix. Immutable and thread-safe (the classifier must be too); retry state is kept in
 * memory only, so a restart begins a failed event's attempts afresh; {@code with*} methods return copies. All problems are
 * reported at once.
 *
 * <p>The delay before attempt {@code n+1} (after {@code n} failures) is {@code min(maxBackoff, initialBackoff *
 * multiplier^(n-1))}, reduced by a uniformly random fraction in {@code [0, jitter]} so that many keys failing together
 * do not retry in lockstep. While an event (or batch) waits for its retry, later events of the same key wait behind it
 * (order kept); other keys continue.
 *
 * @param maxAttempts    total attempts including the first, at least 1; default 5
 * @param initialBackoff delay after the first failure; default 100 ms
 * @param maxBackoff     upper bound of any delay, at least {@code initialBackoff}; default 10 s
 * @param multiplier     growth factor per failure, at least 1.0; default 2.0
 * @param jitter         fraction of each delay that is randomized away, 0.0 to 1.0; default 0.5
 * @param nonRetryable   failures for which no further attempt is made; default {@link #DEFAULT_NON_RETRYABLE}
 */
public record RetryPolicy(int maxAttempts, Duration initialBackoff, Duration maxBackoff, double multiplier,
                          double jitter, Predicate<Throwable> nonRetryable) {

    /**
     * The default classifier: {@link InvalidRequestException} (bad input fails the same way again) and
     * {@link Error}s other than {@link AssertionError} are not retried.
     */
    public static final Predicate<Throwable> DEFAULT_NON_RETRYABLE =
            t -> t instanceof InvalidRequestException || (t instanceof Error && !(t instanceof AssertionError));

    public RetryPolicy {
        Objects.requireNonNull(initialBackoff, "initialBackoff");
        Objects.requireNonNull(maxBackoff, "maxBackoff");
        Objects.requireNonNull(nonRetryable, "nonRetryable");
        List<String> problems = new ArrayList<>();
        if (maxAttempts < 1) {
            problems.add("maxAttempts=" + maxAttempts + " must be at least 1 (1 means no retries; default 5)");
        }
        if (initialBackoff.isNegative()) {
            problems.add("initialBackoff=" + initialBackoff + " must not be negative (default 100 ms)");
        }
        if (maxBackoff.compareTo(initialBackoff) < 0) {
            problems.add("maxBackoff=" + maxBackoff + " must be at least initialBackoff=" + initialBackoff
                    + " (default 10 s)");
        }
        if (!(multiplier >= 1.0) || Double.isInfinite(multiplier)) {
            problems.add("multiplier=" + multiplier + " must be a finite number of at least 1.0 (default 2.0)");
        }
        if (!(jitter >= 0.0 && jitter <= 1.0)) {
            problems.add("jitter=" + jitter + " must be between 0.0 and 1.0 (default 0.5)");
        }
        if (!problems.isEmpty()) {
            throw new InvalidRequestException(ErrorCode.INVALID_CONFIG, "Invalid retry policy: "
                    + String.join("; ", problems));
        }
    }

    /** 5 attempts, 100 ms doubling to at most 10 s, jitter 0.5, {@link #DEFAULT_NON_RETRYABLE}. */
    public static RetryPolicy defaults() {
        return new RetryPolicy(5, Duration.ofMillis(100), Duration.ofSeconds(10), 2.0, 0.5, DEFAULT_NON_RETRYABLE);
    }

    /** A single attempt: the first failure is final. */
    public static RetryPolicy noRetries() {
        return defaults().withMaxAttempts(1);
    }

    public RetryPolicy withMaxAttempts(int v) {
        return new RetryPolicy(v, initialBackoff, maxBackoff, multiplier, jitter, nonRetryable);
    }

    /** Sets the initial and maximum delay. */
    public RetryPolicy withBackoff(Duration initial, Duration max) {
        return new RetryPolicy(maxAttempts, initial, max, multiplier, jitter, nonRetryable);
    }

    public RetryPolicy withMultiplier(double v) {
        return new RetryPolicy(maxAttempts, initialBackoff, maxBackoff, v, jitter, nonRetryable);
    }

    public RetryPolicy withJitter(double v) {
        return new RetryPolicy(maxAttempts, initialBackoff, maxBackoff, multiplier, v, nonRetryable);
    }

    public RetryPolicy withNonRetryable(Predicate<Throwable> v) {
        return new RetryPolicy(maxAttempts, initialBackoff, maxBackoff, multiplier, jitter, v);
    }

    /** Whether another attempt follows a failure with {@code cause} after {@code failedAttempts} attempts. */
    public boolean shouldRetry(Throwable cause, int failedAttempts) {
        return failedAttempts < maxAttempts && !nonRetryable.test(cause);
    }

    /** The delay before the next attempt after {@code failedAttempts} failures (at least 1), with jitter applied. */
    public Duration delayAfter(int failedAttempts) {
        double base = initialBackoff.toNanos() * Math.pow(multiplier, Math.max(0, failedAttempts - 1));
        double capped = Math.min(base, (double) maxBackoff.toNanos());
        double jittered = capped * (1.0 - jitter * ThreadLocalRandom.current().nextDouble());
        return Duration.ofNanos((long) jittered);
    }
}
