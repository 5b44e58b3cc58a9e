package io.tributary.eventstore.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.eventstore.Direction;
import io.tributary.eventstore.EventData;
import io.tributary.eventstore.ExpectedVersion;
import io.tributary.eventstore.RecordedEvent;
import io.tributary.eventstore.WrongExpectedVersionException;
import io.tributary.eventstore.internal.embedded.EmbeddedEventStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/**
 * Concurrent appends are handed to the log in groups by whichever writer holds the send lock. The log order must
 * still be the order the appends were checked in: every stream's versions in log order, each write's reported
 * position the one its events got, and the index rebuilt from the log identical to the live one.
 */
class EmbeddedGroupCommitTest {

    private static final int WRITERS = 32;
    private static final int STREAMS = 4;
    private static final int APPENDS_PER_WRITER = 40;

    @RepeatedTest(3)
    void keepsEveryStreamInVersionOrderInTheLogWhenManyWritersAppendAtOnce() throws Exception {
        Path dir = EmbeddedStores.newDir();
        try (EmbeddedEventStore store = EmbeddedStores.open(dir, 10_000)) {
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<?>> fs = new ArrayList<>();
                for (int w = 0; w < WRITERS; w++) {
                    int writer = w;
                    fs.add(pool.submit(() -> {
                        for (int i = 0; i < APPENDS_PER_WRITER; i++) {
                            String stream = "acct-" + ((writer + i) % STREAMS);
                            // the exact-version path: read the version, append at it, retry on conflict
                            while (true) {
                                long v = store.streamInfo(stream).lastVersion();
                                ExpectedVersion ev = v < 0 ? ExpectedVersion.noStream() : ExpectedVersion.exactly(v);
                                try {
                                    var r = store.append(stream, ev, List.of(event(writer, i, 0), event(writer, i, 1)));
                                    assertThat(r.lastVersion()).isEqualTo(v + 2);
                                    List<RecordedEvent> mine = store.readStream(stream, Direction.FORWARD, v + 1, 2);
                                    assertThat(mine).extracting(RecordedEvent::position)
                                            .containsExactly(r.firstPosition(), r.lastPosition());
                                    break;
                                } catch (WrongExpectedVersionException lost) {
                                    // another writer took the version; try again at the new one
                                }
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> f : fs) {
                    f.get(2, TimeUnit.MINUTES);
                }
            }
            long total = 0;
            for (int s = 0; s < STREAMS; s++) {
                List<RecordedEvent> events = store.readStream("acct-" + s, Direction.FORWARD, 0, 100_000);
                total += events.size();
                for (int i = 1; i < events.size(); i++) {
                    assertThat(events.get(i).version()).isEqualTo(events.get(i - 1).version() + 1);
                    assertThat(events.get(i).position()).isGreaterThan(events.get(i - 1).position());
                }
            }
            assertThat(total).isEqualTo((long) WRITERS * APPENDS_PER_WRITER * 2);
            assertThat(store.rebuiltIndexFingerprint()).isEqualTo(store.indexFingerprint());
        }
        try (EmbeddedEventStore reopened = EmbeddedStores.open(dir, 10_000)) {
            assertThat(reopened.rebuiltIndexFingerprint()).isEqualTo(reopened.indexFingerprint());
        }
    }

    @Test
    void readsAScatteredStreamBackAfterManyOtherAppends() {
        Path dir = EmbeddedStores.newDir();
        try (EmbeddedEventStore store = EmbeddedStores.open(dir, 10_000)) {
            // one event of 'order-1' every 300 records: each point read must find exactly its record
            for (int i = 0; i < 5; i++) {
                store.append("order-1", ExpectedVersion.any(), List.of(event(0, i, 0)));
                for (int j = 0; j < 300; j++) {
                    store.append("noise-" + j, ExpectedVersion.any(), List.of(event(1, i, j)));
                }
            }
            List<RecordedEvent> fwd = store.readStream("order-1", Direction.FORWARD, 0, 10);
            assertThat(fwd).extracting(RecordedEvent::version).containsExactly(0L, 1L, 2L, 3L, 4L);
            assertThat(fwd).extracting(e -> new String(e.data(), StandardCharsets.UTF_8))
                    .containsExactly("0/0/0", "0/1/0", "0/2/0", "0/3/0", "0/4/0");
            assertThat(store.readStream("order-1", Direction.BACKWARD, 3, 2))
                    .extracting(RecordedEvent::version).containsExactly(3L, 2L);
        }
    }

    private static EventData event(int writer, int i, int k) {
        return EventData.of("Deposited", (writer + "/" + i + "/" + k).getBytes(StandardCharsets.UTF_8));
    }
}
