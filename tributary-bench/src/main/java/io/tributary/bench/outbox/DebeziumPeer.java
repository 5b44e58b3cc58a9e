package io.tributary.bench.outbox;

import io.tributary.outbox.OutboxTables;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/**
 * Runs {@link DebeziumChild} in a child JVM and turns its lines into a {@link Tally} and {@link CommitLatency}.
 *
 * <p>Why a child JVM: Debezium 3.6.1 is built on kafka-clients 4.3 and calls classes that our kafka-clients 4.4
 * removed ({@code org.apache.kafka.common.utils.ThreadUtils}, {@code Sanitizer}), so it cannot run in our class path.
 * The child gets this JVM's class path with kafka-clients {@code 4.3.0} (resolved by Maven at build time and shipped
 * as the resource {@code debezium-kafka-clients.jar}) in front of it. The child is stopped through its stdin, and
 * by its PID if it does not stop within a minute.
 */
final class DebeziumPeer implements AutoCloseable {

    static final String SLOT = DebeziumChild.SLOT;
    static final String PUBLICATION = DebeziumChild.PUBLICATION;

    private final Process process;
    private final Path stderr;
    private final Thread reader;
    private final CountDownLatch task = new CountDownLatch(1);
    private final CountDownLatch probe = new CountDownLatch(1);
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final AtomicReference<@Nullable String> failure = new AtomicReference<>();
    final long startNanos;

    private DebeziumPeer(Process process, Path stderr, Tally tally, @Nullable CommitLatency latency, long startNanos) {
        this.process = process;
        this.stderr = stderr;
        this.startNanos = startNanos;
        this.reader = Thread.ofPlatform().name("debezium-child-reader").daemon().start(() -> read(tally, latency));
    }

    /** Starts the child and waits until its connector task runs. */
    static DebeziumPeer start(int port, Map<String, String> overrides, Tally tally, @Nullable CommitLatency latency,
                              Path workDir) throws IOException, InterruptedException {
        Path clients = workDir.resolve("debezium-kafka-clients.jar");
        if (!Files.exists(clients)) {
            try (InputStream in = DebeziumPeer.class.getResourceAsStream("debezium-kafka-clients.jar")) {
                if (in == null) {
                    throw new IllegalStateException("Resource debezium-kafka-clients.jar is missing next to "
                            + DebeziumPeer.class.getName() + "; rebuild tributary-bench with ./mvnw package");
                }
                Files.copy(in, clients, StandardCopyOption.REPLACE_EXISTING);
            }
        }
        List<String> cp = new ArrayList<>();
        cp.add(clients.toString());
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (!Path.of(e).getFileName().toString().startsWith("kafka-clients-")) {
                cp.add(e);
            }
        }
        List<String> cmd = new ArrayList<>(Arrays.asList(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xms256m", "-Xmx1g", "-cp", String.join(File.pathSeparator, cp),
                DebeziumChild.class.getName(), "port=" + port, "table=" + OutboxTables.defaults().outbox(),
                "ids=" + (latency != null)));
        overrides.forEach((k, v) -> cmd.add("dbz." + k + "=" + v));
        Path err = Files.createTempFile(workDir, "debezium-", ".log");
        long start = BenchClock.nanos();
        Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
        DebeziumPeer peer = new DebeziumPeer(p, err, tally, latency, start);
        if (!peer.task.await(120, TimeUnit.SECONDS) || peer.failure.get() != null) {
            peer.close();
            throw peer.failed("its connector task did not start within 120 s");
        }
        return peer;
    }

    private void read(Tally tally, @Nullable CommitLatency latency) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.startsWith("B ")) {
                    String[] parts = line.split(" ", 4);
                    long nanos = Long.parseLong(parts[1]);
                    int count = Integer.parseInt(parts[2]);
                    if (latency != null && parts.length == 4) {
                        for (String id : parts[3].split(",")) {
                            latency.published(UUID.fromString(id), nanos);
                        }
                    }
                    tally.batch(count, nanos);
                } else if (line.equals("TASK")) {
                    task.countDown();
                } else if (line.equals("PROBE")) {
                    probe.countDown();
                } else if (line.startsWith("FAILED ")) {
                    failure.compareAndSet(null, line.substring(7));
                    task.countDown();
                } else if (line.equals("STOPPED")) {
                    stopped.countDown();
                }
            }
        } catch (IOException | RuntimeException e) {
            failure.compareAndSet(null, "reading its output failed: " + e);
        } finally {
            task.countDown();
            stopped.countDown();
        }
    }

    boolean awaitProbe(long timeout, TimeUnit unit) throws InterruptedException {
        return probe.await(timeout, unit);
    }

    /** Throws if the engine reported a failure or the child exited. */
    void checkHealthy() {
        if (failure.get() != null || !process.isAlive()) {
            throw failed(failure.get() != null ? "the engine failed" : "the child JVM exited");
        }
    }

    private IllegalStateException failed(String what) {
        String log;
        try {
            List<String> lines = Files.readAllLines(stderr, StandardCharsets.UTF_8);
            log = String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            log = "(could not read " + stderr + ": " + e + ")";
        }
        return new IllegalStateException("Debezium (child JVM pid " + process.pid() + "): " + what
                + (failure.get() != null ? ": " + failure.get() : "") + ". Last lines of its log " + stderr + ":\n" + log);
    }

    @Override
    public void close() throws InterruptedException {
        try (OutputStream in = process.getOutputStream()) {
            in.write("STOP\n".getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            // already gone
        }
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
        reader.join(10_000);
    }
}
