package io.tributary.bench.internal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a main class of this module in a child JVM: the same {@code java} binary and class path as this JVM, plus the
 * given JVM flags. The child is bounded in time: past the timeout it is killed (this process's own child, by its
 * handle) and the run fails.
 */
public final class ChildJvm {

    private ChildJvm() {
    }

    /** What a child printed and how it ended. */
    public record Result(int exitCode, List<String> stdout, String stderrTail) {
    }

    /** The {@code java} launcher of the running JVM. */
    public static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /**
     * Starts {@code mainClass} with {@code jvmFlags} and {@code args}, waits up to {@code timeoutSeconds}, and returns
     * its output. Fails if it does not finish in time or exits non-zero.
     */
    public static Result run(String mainClass, List<String> jvmFlags, List<String> args, long timeoutSeconds)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(javaBinary());
        cmd.addAll(jvmFlags);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass);
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).start();
        List<String> out = new ArrayList<>();
        StringBuilder err = new StringBuilder();
        Thread errPump = Thread.ofPlatform().daemon().start(() -> pump(p, err));
        Thread outPump = Thread.ofPlatform().daemon().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    synchronized (out) {
                        out.add(line);
                    }
                }
            } catch (IOException ignored) {
                // the child went away; its exit code tells the story
            }
        });
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
            throw new IllegalStateException(mainClass + " in a child JVM did not finish within " + timeoutSeconds
                    + " s and was killed; stderr: " + tail(err));
        }
        outPump.join(5_000);
        errPump.join(5_000);
        List<String> lines;
        synchronized (out) {
            lines = List.copyOf(out);
        }
        Result r = new Result(p.exitValue(), lines, tail(err));
        if (r.exitCode() != 0) {
            throw new IllegalStateException(mainClass + " in a child JVM exited with " + r.exitCode() + "; stderr: "
                    + r.stderrTail() + "; stdout: " + String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size())));
        }
        return r;
    }

    private static void pump(Process p, StringBuilder err) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                synchronized (err) {
                    err.append(line).append('\n');
                    if (err.length() > 64_000) {
                        err.delete(0, err.length() - 32_000);
                    }
                }
            }
        } catch (IOException ignored) {
            // the child went away
        }
    }

    private static String tail(StringBuilder err) {
        synchronized (err) {
            String s = err.toString().strip();
            return s.length() > 2_000 ? "..." + s.substring(s.length() - 2_000) : s;
        }
    }
}
