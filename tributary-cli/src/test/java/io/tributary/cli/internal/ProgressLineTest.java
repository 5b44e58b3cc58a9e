package io.tributary.cli.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class ProgressLineTest {

    @Test
    void printsEachNewStatusOnceAndStaysQuietWhileNothingChanges() throws Exception {
        StringWriter err = new StringWriter();
        AtomicInteger done = new AtomicInteger();
        ProgressLine line = new ProgressLine(new PrintWriter(err), Duration.ofMillis(10), () -> "done " + done.get());
        Thread.sleep(300);
        done.set(7);
        Thread.sleep(300);
        line.stop();
        String printed = err.toString();
        assertThat(printed.lines()).containsExactly("done 0", "done 7");
        done.set(8);
        Thread.sleep(100);
        assertThat(err.toString()).as("nothing after stop()").isEqualTo(printed);
    }

    @Test
    void aRunShorterThanOneIntervalPrintsNothing() {
        StringWriter err = new StringWriter();
        ProgressLine line = new ProgressLine(new PrintWriter(err), Duration.ofSeconds(5), () -> "working");
        line.stop();
        assertThat(err.toString()).isEmpty();
    }
}
