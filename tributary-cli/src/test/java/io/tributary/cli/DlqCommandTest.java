package io.tributary.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.core.Record;
import io.tributary.log.EventLog;
import io.tributary.log.EventLogs;
import io.tributary.log.LogProducer;
import io.tributary.log.NewTopic;
import io.tributary.processing.DeadLetterPolicy;
import io.tributary.processing.Processor;
import io.tributary.processing.ProcessorConfig;
import io.tributary.processing.RetryPolicy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code tributary dlq} against a real embedded log whose processor dead-lettered and parked a key. */
@Timeout(90)
class DlqCommandTest {

    @TempDir
    Path dir;

    private Shell.Outcome dlq(String... args) {
        String[] full = Stream.concat(Stream.concat(Stream.of("dlq"), Stream.of(args)),
                Stream.of("--data-dir", dir.toString())).toArray(String[]::new);
        return Shell.run(full);
    }

    private EventLog openLog() {
        return EventLogs.open(Map.of("tributary.log.embedded.data-dir", dir.toString()));
    }

    private static ProcessorConfig config() {
        return ProcessorConfig.of("billing", "orders").withRetry(RetryPolicy.noRetries())
                .withCommitInterval(Duration.ofMillis(20))
                .withDeadLetter(DeadLetterPolicy.sequenced().withActionCheckInterval(Duration.ofMillis(10)));
    }

    private static void await(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("Timed out waiting for: " + what);
            }
            Thread.sleep(5);
        }
    }

    @Test
    void listsInspectsAndRedrivesAKeyWhichTheProcessorCarriesOutAtItsNextStart() throws Exception {
        AtomicBoolean fixed = new AtomicBoolean();
        List<String> handled = new CopyOnWriteArrayList<>();
        try (EventLog log = openLog()) {
            log.admin().createTopic(NewTopic.of("orders", 1));
            try (LogProducer producer = log.producer()) {
                for (String v : List.of("p1", "p2", "p3")) {
                    producer.append("orders", Record.of("o-7".getBytes(StandardCharsets.UTF_8),
                            v.getBytes(StandardCharsets.UTF_8))).join();
                }
            }
            try (Processor p = Processor.start(log, config(), e -> {
                String v = new String(e.value(), StandardCharsets.UTF_8);
                if (v.equals("p1") && !fixed.get()) {
                    throw new IllegalStateException("card declined");
                }
                handled.add(v);
            })) {
                await("dead entry and two parked", () -> p.deadLetterDepth() == 3);
            }
        }

        Shell.Outcome list = dlq("list", "billing");
        assertThat(list.status()).as(list.toString()).isZero();
        assertThat(list.outLines()).hasSize(4);
        assertThat(list.outLines().get(0)).contains("ID").contains("STATUS").contains("ERROR");
        assertThat(list.outLines().get(1)).contains("orders-0@0").contains("dead").contains("o-7")
                .contains("java.lang.IllegalStateException: card declined");
        assertThat(list.outLines().get(2)).contains("orders-0@1").contains("parked")
                .contains("parked behind orders-0@0");

        Shell.Outcome inspect = dlq("inspect", "billing", "--entry", "orders-0@0");
        assertThat(inspect.status()).as(inspect.toString()).isZero();
        assertThat(inspect.out()).contains("status:         dead").contains("value:          p1")
                .contains("message:        card declined").contains("attempts:       1")
                .contains("stored at:      billing.dlq partition 0 offset 0");

        Shell.Outcome outOfOrder = dlq("redrive", "billing", "--entry", "orders-0@2");
        assertThat(outOfOrder.status()).as(outOfOrder.toString()).isEqualTo(ExitStatus.INVALID);
        assertThat(outOfOrder.err()).contains("parked behind dead entry orders-0@0").contains("--key");

        Shell.Outcome unknown = dlq("skip", "billing", "--entry", "orders-0@99");
        assertThat(unknown.status()).as(unknown.toString()).isEqualTo(ExitStatus.NOT_FOUND);
        assertThat(unknown.err()).contains("orders-0@99").contains("tributary dlq list billing");

        Shell.Outcome noTarget = dlq("purge", "billing");
        assertThat(noTarget.status()).isEqualTo(ExitStatus.INVALID);
        assertThat(noTarget.err()).contains("--entry").contains("--key").contains("--all");

        Shell.Outcome redrive = dlq("redrive", "billing", "--key", "o-7");
        assertThat(redrive.status()).as(redrive.toString()).isZero();
        assertThat(redrive.out()).contains("Requested redrive of key 'o-7' (3 entries)");
        Shell.Outcome pending = dlq("list", "billing");
        assertThat(pending.outLines().subList(1, 4)).allSatisfy(l -> assertThat(l).endsWith("redrive"));

        fixed.set(true);
        try (EventLog log = openLog(); Processor p = Processor.start(log, config(), e ->
                handled.add(new String(e.value(), StandardCharsets.UTF_8)))) {
            await("the key redriven at start", () -> handled.size() == 3 && p.deadLetterDepth() == 0);
            assertThat(handled).containsExactly("p1", "p2", "p3");
        }
        Shell.Outcome empty = dlq("list", "billing");
        assertThat(empty.status()).isZero();
        assertThat(empty.out()).contains("No open dead-letter entries for processor 'billing'");
    }

    @Test
    void saysWhenAProcessorHasNoDeadLetterTopic() throws Exception {
        try (EventLog log = openLog()) {
            log.admin().createTopic(NewTopic.of("orders", 1));
        }
        Shell.Outcome list = dlq("list", "nobody");
        assertThat(list.status()).as(list.toString()).isZero();
        assertThat(list.out()).contains("No open dead-letter entries for processor 'nobody' (topic 'nobody.dlq')");
        Shell.Outcome purge = dlq("purge", "nobody", "--all");
        assertThat(purge.status()).isEqualTo(ExitStatus.NOT_FOUND);
        assertThat(purge.err()).contains("no dead-letter topic 'nobody.dlq'").contains("--topic");
    }
}
