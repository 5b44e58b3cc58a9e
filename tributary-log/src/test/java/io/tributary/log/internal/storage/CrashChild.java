package io.tributary.log.internal.storage;

import io.tributary.core.Headers;
import io.tributary.core.Record;
import io.tributary.log.AppendCallback;
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
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.zip.CRC32C;

/**
 * The process {@link CrashTest} kills: appends to topic {@code crash} (fsync=always) from four threads, with up to 256
 * appends in flight, and prints {@code ACK <partition> <offset> <crc32c of value> <key>} for each acknowledged record,
 * flushed at once, until it is killed. Arguments: data folder, round number, random seed, {@link Mode}. Segments of
 * 2 MiB with 1 MiB preallocated ahead, so kills land during fills, rolls (which cut the zeros off) and appends into
 * zeros.
 *
 * <p>In {@link Mode#CALLBACK} the appends go through the callback form ({@code append(topic, record, callback)} on
 * two threads, {@code append(topic, partition, record, callback)} on the other two) to a topic of two partitions, and
 * every {@value #THROW_EVERY}th callback throws after printing its {@code ACK ... THREW} line (alternately a
 * RuntimeException and an Error): the log must go on acknowledging the others. In either mode a failed append prints
 * {@code FAIL <key> <error>} (and its stack on stderr), which the test rejects: nothing here should fail.
 */
public final class CrashChild {

    static final int PREALLOCATE_BYTES = 1 << 20;
    static final int THROW_EVERY = 64;

    /** How the child appends. */
    enum Mode {
        /** {@code append(topic, 0, record)}, the future form, to one partition. */
        FUTURE(1),
        /** The callback form, keyed and to an explicit partition, to two partitions; some callbacks throw. */
        CALLBACK(2);

        final int partitions;

        Mode(int partitions) {
            this.partitions = partitions;
        }
    }

    /**
     * Held so the logger (and so its level) is not collected: the throwing callbacks' WARNINGs (a stack trace each,
     * written on the sync thread) would otherwise fill the child's stderr file and slow the acknowledgements down.
     */
    private static final Logger PRODUCER_LOG = Logger.getLogger(EmbeddedProducer.class.getName());

    private CrashChild() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int round = Integer.parseInt(args[1]);
        long seed = Long.parseLong(args[2]);
        Mode mode = args.length > 3 ? Mode.valueOf(args[3]) : Mode.FUTURE;
        EmbeddedStorage storage = EmbeddedStorage.open(EmbeddedLogConfig.at(dir)
                .withCleanerInterval(Duration.ofMillis(50)).withCheckpointInterval(Duration.ofMillis(100))
                .withSegmentPreallocateBytes(PREALLOCATE_BYTES));
        if (!storage.topicExists("crash")) {
            storage.createTopic(new NewTopic("crash", mode.partitions,
                    TopicConfig.of(Map.of(TopicConfig.SEGMENT_BYTES, "2097152"))));
        }
        if (mode == Mode.CALLBACK) {
            PRODUCER_LOG.setLevel(Level.OFF);
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
            boolean keyed = t % 2 == 0;
            threads[t] = Thread.ofPlatform().start(() -> {
                while (true) {
                    long n = seq.getAndIncrement();
                    String key = "r" + round + "s" + n;
                    byte[] value = new byte[rnd.nextInt(2048)];
                    rnd.nextBytes(value);
                    CRC32C crc = new CRC32C();
                    crc.update(value);
                    long sum = crc.getValue();
                    Record record = new Record(key.getBytes(StandardCharsets.UTF_8), value, Headers.empty(),
                            System.currentTimeMillis());
                    window.acquireUninterruptibly();
                    if (mode == Mode.FUTURE) {
                        producer.append("crash", 0, record).whenComplete((r, e) -> {
                            if (e == null) {
                                print(out, "ACK " + r.partition() + " " + r.offset() + " " + sum + " " + key);
                            } else {
                                fail(out, key, e);
                            }
                            window.release();
                        });
                        continue;
                    }
                    boolean throwing = n % THROW_EVERY == 0;
                    AppendCallback callback = (r, e) -> {
                        try {
                            if (e == null) {
                                print(out, "ACK " + r.partition() + " " + r.offset() + " " + sum + " " + key
                                        + (throwing ? " THREW" : ""));
                            } else {
                                fail(out, key, e);
                            }
                        } finally {
                            window.release(); // before the throw: the window must not shrink with each thrower
                        }
                        if (throwing) {
                            if ((n / THROW_EVERY) % 2 == 0) {
                                throw new IllegalStateException("callback of " + key + " throws on purpose");
                            }
                            throw new AssertionError("callback of " + key + " throws an Error on purpose");
                        }
                    };
                    if (keyed) {
                        producer.append("crash", record, callback);
                    } else {
                        producer.append("crash", rnd.nextInt(mode.partitions), record, callback);
                    }
                }
            });
        }
        for (Thread t : threads) {
            t.join();
        }
    }

    /** One line with the whole error (the test shows it), and its stack on stderr (the child's .err file). */
    private static void fail(PrintStream out, String key, Throwable e) {
        print(out, "FAIL " + key + " " + e.toString().replace('\n', ' '));
        synchronized (System.err) {
            e.printStackTrace();
        }
    }

    private static void print(PrintStream out, String line) {
        synchronized (out) {
            out.println(line);
            out.flush();
        }
    }
}
