package io.tributary.cli.internal;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * Prints a status line to standard error every interval while a long command runs, so a user sees it is alive and
 * how fast it goes. Silent for runs shorter than one interval, and while the status does not change (a consumer
 * waiting for records does not repeat itself). Runs on its own daemon thread; {@link #stop()} stops
 * it (call it in a {@code finally}). Thread-safe.
 */
public final class ProgressLine {

    private final Thread thread;
    private volatile boolean running = true;

    /** Starts printing {@code status.get()} to {@code err} every {@code interval}. */
    public ProgressLine(PrintWriter err, Duration interval, Supplier<String> status) {
        long intervalMs = Math.max(1, interval.toMillis());
        thread = Thread.ofPlatform().daemon().name("tributary-progress").start(() -> {
            String last = "";
            while (running) {
                try {
                    Thread.sleep(intervalMs);
                } catch (InterruptedException e) {
                    return;
                }
                String now = status.get();
                if (running && !now.equals(last)) {
                    synchronized (err) {
                        err.println(now);
                        err.flush();
                    }
                    last = now;
                }
            }
        });
    }

    /** Stops printing; returns once no further line will be printed. */
    public void stop() {
        running = false;
        thread.interrupt();
        try {
            thread.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
