package io.tributary.bench.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalDouble;

/** Reads this process's memory figures from {@code /proc/self/status} (Linux). */
public final class ProcStatus {

    private ProcStatus() {
    }

    /** A {@code kB} field such as {@code VmRSS} or {@code VmHWM}, in MiB; empty where /proc is not available. */
    public static OptionalDouble mib(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(field + ":")) {
                    String kb = line.substring(field.length() + 1).trim().split("\\s+")[0];
                    return OptionalDouble.of(Long.parseLong(kb) / 1024.0);
                }
            }
        } catch (IOException | RuntimeException e) {
            return OptionalDouble.empty();
        }
        return OptionalDouble.empty();
    }
}
