package io.tributary.bench.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.core.Record;
import io.tributary.log.EmbeddedLogConfig;
import io.tributary.log.EventLog;
import io.tributary.log.EventLogs;
import io.tributary.log.NewTopic;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The benchmarks' bounded producer on our API, against the embedded engine. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BoundedAppendsTest {

    @TempDir
    Path dir;

    @Test
    void appendAllOfMoreRecordsThanTheInFlightBoundReturnsAndStoresEveryRecord() throws Exception {
        try (EventLog log = EventLogs.open(Map.of(EmbeddedLogConfig.DATA_DIR, dir.toString()))) {
            log.admin().createTopic(NewTopic.of("t", 1));
            // bench log --sizes 300000: 16 MiB / 300,000 B = 55 records in flight, fewer than one call of 64.
            int maxInFlight = LogWorkloads.maxInFlight(300_000);
            assertThat(maxInFlight).isLessThan(LogWorkloads.RECORDS_PER_SEND_ALL);
            BoundedAppends appends = new BoundedAppends(log.producer(), maxInFlight);
            Thread appender = Thread.ofPlatform().daemon().start(() -> {
                for (int call = 0; call < 3; call++) {
                    appends.appendAll("t", Collections.nCopies(LogWorkloads.RECORDS_PER_SEND_ALL,
                            Record.wrapping(null, new byte[16])));
                }
            });
            appender.join(TimeUnit.SECONDS.toMillis(20));
            assertThat(appender.isAlive()).as("three appendAll calls of %d records against a bound of %d returned",
                    LogWorkloads.RECORDS_PER_SEND_ALL, maxInFlight).isFalse();
            appends.flush();

            assertThat(appends.failures()).isZero();
            assertThat(log.admin().describeTopic("t").partitions().getFirst().endOffset())
                    .isEqualTo(3L * LogWorkloads.RECORDS_PER_SEND_ALL);
            appends.close();
        }
    }
}
