package io.tributary.log.internal.storage;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Run by {@link PreallocationFaultTest} with {@code -XX:MaxDirectMemorySize=512k}, too little for a fill's zeros: a
 * fill must fail with the {@link OutOfMemoryError}, release the segment, and not be tried again before the appends
 * reach where it started. Prints {@code FAILED <count> <cause>}, {@code FILLING <bool>} and {@code RETRY <bool>} (a
 * second fill from the same start) and {@code RETRY_PAST <bool>} (one once the end passed it).
 */
public final class FillOutOfMemoryChild {

    private FillOutOfMemoryChild() {
    }

    public static void main(String[] args) throws Exception {
        Segment seg = Segment.create(Path.of(args[0]), 0, 4096);
        AtomicInteger failures = new AtomicInteger();
        AtomicReference<Throwable> cause = new AtomicReference<>();
        Segment.FillFailure onFailure = (from, to, t, syncFailed) -> {
            failures.incrementAndGet();
            cause.set(t);
        };
        long from = 64 * 1024;
        long to = from + (4 << 20);
        seg.startFill(from, to, Runnable::run, onFailure); // runs the fill on this thread, to its end
        System.out.println("FAILED " + failures.get() + " " + cause.get());
        System.out.println("FILLING " + seg.filling());
        System.out.println("RETRY " + seg.startFill(from, to, Runnable::run, onFailure));
        seg.size = from; // the appends reached where the failed fill started
        System.out.println("RETRY_PAST " + seg.startFill(from, to, Runnable::run, onFailure));
        seg.close();
    }
}
