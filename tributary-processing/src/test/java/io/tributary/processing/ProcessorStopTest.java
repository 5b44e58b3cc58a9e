package io.tributary.processing;

import static io.tributary.processing.Fixtures.config;
import static io.tributary.processing.Fixtures.createTopic;
import static io.tributary.processing.Fixtures.produce;
import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.log.EventLog;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a stop that gives up on a hung call reports. Regression: the call the stop interrupted threw
 * {@link InterruptedException}, and the runtime reported that as the handler failing ("stopped: its handler failed
 * … fix the handler"), logged at ERROR with a stack trace on every simulated crash of {@code tributary demo}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ProcessorStopTest {

    @TempDir
    Path dir;

    @Test
    void aCallTheStopInterruptsIsLeftForTheNextOwnerNotReportedAsAHandlerFailure() throws Exception {
        try (EventLog log = Fixtures.openLog(dir)) {
            createTopic(log, "orders", 1);
            CountDownLatch started = new CountDownLatch(1);
            Processor p = Processor.start(log, config("billing", "orders").withShutdownTimeout(Duration.ZERO), e -> {
                started.countDown();
                new CountDownLatch(1).await(); // hangs until the stop interrupts it
            });
            produce(log, "orders", List.of("a"), 1);
            assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();

            p.close();

            assertThat(p.failure()).as("an interrupt the processor caused itself is not the handler's failure")
                    .isEmpty();
            assertThat(p.state()).isEqualTo(ProcessorState.STOPPED);

            CountDownLatch handledAgain = new CountDownLatch(1);
            Processor next = Processor.start(log, config("billing", "orders"), e -> handledAgain.countDown());
            try {
                assertThat(handledAgain.await(30, TimeUnit.SECONDS))
                        .as("the interrupted event was not committed: the next owner handles it").isTrue();
            } finally {
                next.close();
            }
        }
    }
}
