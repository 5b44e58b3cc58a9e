package io.tributary.log.internal.storage;

import io.tributary.core.Headers;
import io.tributary.core.Record;
import io.tributary.log.EmbeddedLogConfig;
import io.tributary.log.NewTopic;
import io.tributary.log.ProducerConfig;
import io.tributary.log.TopicConfig;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32C;

/**
 * The process {@link CrashTest} kills: appends to topic {@code crash} (fsync=always) from four threads, with up to 256
 * appends in flight, and prints {@code ACK <offset> <crc32c of value> <key>} for each acknowledged record, flushed at
 * once, until it is killed. Arguments: data folder, round number, random seed. Segments of 2 MiB with 1 MiB
 * preallocated ahead, so kills land during fills, rolls (which cut the zeros off) and appends into zeros.
 */
public final class CrashChild {

    static final int PREALLOCATE_BYTES = 1 << 20;

    private CrashChild() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int round = Integer.parseInt(args[1]);
        long seed = Long.parseLong(args[2]);
        EmbeddedStorage storage = EmbeddedStorage.open(EmbeddedLogConfig.at(dir)
                .withCleanerInterval(Duration.ofMillis(50)).withCheckpointInterval(Duration.ofMillis(100))
                .withSegmentPreallocateBytes(PREALLOCATE_BYTES));
        if (!storage.topicExists("crash")) {
            storage.createTopic(new NewTopic("crash", 1, TopicConfig.of(Map.of(TopicConfig.SEGMENT_BYTES, "2097152"))));
        }
        EmbeddedProducer producer = new EmbeddedProducer(storage, ProducerConfig.defaults(), () -> { });
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.UTF_8);
        out.println("READY");
        out.flush();
        AtomicLong seq = new AtomicLong();
        Semaphore window = new Semaphore(256);
        Thread[] threads = new Thread[4];
        for (int t = 0; t < threads.length; t++) {
            Random rnd = new Random(seed * 31 + t);
            threads[t] = Thread.ofPlatform().start(() -> {
                while (true) {
                    String key = "r" + round + "s" + seq.getAndIncrement();
                    byte[] value = new byte[rnd.nextInt(2048)];
                    rnd.nextBytes(value);
                    CRC32C crc = new CRC32C();
                    crc.update(value);
                    long sum = crc.getValue();
                    window.acquireUninterruptibly();
                    producer.append("crash", 0, new Record(key.getBytes(StandardCharsets.UTF_8), value, Headers.empty(),
                            System.currentTimeMillis())).whenComplete((r, e) -> {
                                if (e == null) {
                                    synchronized (out) {
                                        out.println("ACK " + r.offset() + " " + sum + " " + key);
                                        out.flush();
                                    }
                                }
                                window.release();
                            });
                }
            });
        }
        for (Thread t : threads) {
            t.join();
        }
    }
}
