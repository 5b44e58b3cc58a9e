package io.tributary.log.internal.storage;

import io.tributary.core.Headers;
import io.tributary.core.Record;
import io.tributary.core.TributaryException;
import io.tributary.log.EmbeddedLogConfig;
import io.tributary.log.NewTopic;
import io.tributary.log.ProducerConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletionException;

/**
 * Run by {@link DiskFullTest} under a file-size limit ({@code ulimit -f}), which makes writes fail like a full disk:
 * appends 2000-byte records until one fails, printing {@code ACK <offset> <fill byte>} per success and then
 * {@code ERR <code> <message>} twice (the failure, and a retry that must fail the same way).
 */
public final class DiskFullChild {

    private DiskFullChild() {
    }

    public static void main(String[] args) {
        EmbeddedStorage storage = EmbeddedStorage.open(EmbeddedLogConfig.at(Path.of(args[0]))
                .withCleanerInterval(Duration.ofDays(1)));
        storage.createTopic(NewTopic.of("full", 1));
        EmbeddedProducer producer = new EmbeddedProducer(storage, ProducerConfig.defaults(), () -> { });
        int errors = 0;
        for (int i = 0; i < 100_000 && errors < 2; i++) {
            byte[] value = new byte[2000];
            Arrays.fill(value, (byte) i);
            try {
                long offset = producer.append("full", 0, new Record(("k" + i).getBytes(StandardCharsets.UTF_8), value,
                        Headers.empty(), i)).join().offset();
                System.out.println("ACK " + offset + " " + (byte) i);
            } catch (CompletionException e) {
                TributaryException t = (TributaryException) e.getCause();
                System.out.println("ERR " + t.code() + " " + t.getMessage().replace('\n', ' '));
                errors++;
            }
        }
        System.out.flush();
        storage.abandon();
        System.exit(0);
    }
}
