package io.tributary.eventstore.internal.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.eventstore.EventData;
import io.tributary.eventstore.ExpectedVersion;
import io.tributary.eventstore.embedded.EmbeddedStores;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Closing the store on the embedded log's acknowledging thread, as a hook or a write's completion may. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class CloseOnLogThreadTest {

    private static EventData event(String text) {
        return EventData.of("E", text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aCloseOnTheLogsAcknowledgingThreadIsRefusedAndLeavesTheStoreOpenToCloseLater() throws Exception {
        // It used to mark the store closed, swallow the producer's refused flush, then throw the same refusal from
        // the producer's close: the reader and the log stayed open, so the data folder stayed locked for good.
        Path dir = EmbeddedStores.newDir();
        EmbeddedEventStore store = EmbeddedStores.open(dir, 1_000_000);
        CompletableFuture<Throwable> thrown = new CompletableFuture<>();
        store.beforeDrain = () -> {
            store.beforeDrain = null;
            try {
                store.close();
                thrown.complete(null);
            } catch (Throwable t) {
                thrown.complete(t);
            }
        };
        store.append("cart-1", ExpectedVersion.noStream(), List.of(event("opened")));
        assertThat(thrown.get(30, TimeUnit.SECONDS)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("cannot be closed on tributary-").hasMessageContaining("still open");
        assertThat(store.append("cart-1", ExpectedVersion.exactly(0), List.of(event("item"))).lastVersion())
                .as("the store is still open").isEqualTo(1);
        store.close();
        try (EmbeddedEventStore reopened = EmbeddedStores.open(dir, 1_000_000)) {
            assertThat(reopened.readStreamForward("cart-1", 0, 10)).hasSize(2);
        }
    }
}
