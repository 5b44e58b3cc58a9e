package io.tributary.processing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.core.ConflictException;
import io.tributary.processing.spi.DedupeStore;
import io.tributary.processing.spi.DedupeStoreKit;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link EmbeddedDedupeStore} passes the kit, and keeps its file sound across torn writes, retention and reopen. */
class EmbeddedDedupeStoreTest extends DedupeStoreKit<EmbeddedDedupeStore.Transaction> {

    @TempDir
    Path dir;

    Path file() {
        return dir.resolve("dedupe").resolve("claims.tdds");
    }

    EmbeddedDedupeConfig config() {
        return EmbeddedDedupeConfig.defaults().withRetention(Duration.ofDays(1)).withCompactEvery(64);
    }

    @Override
    protected DedupeStore<EmbeddedDedupeStore.Transaction> open(InstantSource clock) {
        return EmbeddedDedupeStore.open(file(), config(), clock);
    }

    @Override
    protected void close(DedupeStore<EmbeddedDedupeStore.Transaction> store) {
        ((EmbeddedDedupeStore) store).close();
    }

    @Override
    protected EmbeddedDedupeStore.Transaction begin(DedupeStore<EmbeddedDedupeStore.Transaction> store) {
        return ((EmbeddedDedupeStore) store).begin();
    }

    @Override
    protected void commit(EmbeddedDedupeStore.Transaction transaction) {
        transaction.commit();
    }

    @Override
    protected void rollback(EmbeddedDedupeStore.Transaction transaction) {
        transaction.rollback();
    }

    private EmbeddedDedupeStore embedded() {
        return (EmbeddedDedupeStore) store();
    }

    private void claimAndCommit(UUID id) {
        try (EmbeddedDedupeStore.Transaction tx = embedded().begin()) {
            assertThat(embedded().claim(tx, processor, id)).isTrue();
            tx.commit();
        }
    }

    @Test
    void ignoresATornWriteAtTheEndOfTheFileAndKeepsEverythingBeforeIt() throws Exception {
        List<UUID> ids = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            UUID id = UUID.randomUUID();
            claimAndCommit(id);
            ids.add(id);
        }
        embedded().close();
        long intact = Files.size(file());
        try (FileChannel ch = FileChannel.open(file(), StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            // the start of an entry whose body never made it to disk: length 60, crc, 5 bytes
            ch.write(ByteBuffer.allocate(13).putInt(60).putInt(12345).put(new byte[5]).flip());
        }
        EmbeddedDedupeStore reopened = (EmbeddedDedupeStore) restart();
        assertThat(Files.size(file())).as("the torn tail is cut off").isEqualTo(intact);
        ids.forEach(id -> assertThat(reopened.isHandled(processor, id)).isTrue());
        UUID after = UUID.randomUUID();
        claimAndCommit(after);
        assertThat(restart().isHandled(processor, after)).as("writes after the repair are readable").isTrue();
    }

    @Test
    void dropsClaimsOlderThanTheRetentionWhenReopened() {
        UUID old = UUID.randomUUID();
        claimAndCommit(old);
        clock.advance(Duration.ofDays(1).plusMinutes(1));
        UUID young = UUID.randomUUID();
        claimAndCommit(young);
        EmbeddedDedupeStore reopened = (EmbeddedDedupeStore) restart();
        assertThat(reopened.isHandled(processor, old)).isFalse();
        assertThat(reopened.isHandled(processor, young)).isTrue();
        assertThat(reopened.size()).isEqualTo(1);
    }

    @Test
    void compactionBoundsTheFileToClaimsWithinTheRetention() throws Exception {
        for (int i = 0; i < 64; i++) {
            claimAndCommit(UUID.randomUUID());
        }
        long full = Files.size(file());
        clock.advance(Duration.ofDays(2));
        UUID kept = UUID.randomUUID();
        for (int i = 0; i < 63; i++) {
            claimAndCommit(UUID.randomUUID());
        }
        claimAndCommit(kept); // the 64th append since the last compaction compacts, dropping the 64 expired claims
        assertThat(embedded().size()).isEqualTo(64);
        assertThat(Files.size(file())).isLessThanOrEqualTo(full);
        assertThat(restart().isHandled(processor, kept)).isTrue();
        assertThat(embedded().size()).isEqualTo(64);
    }

    @Test
    void refusesASecondStoreOnTheSameFileNamingTheFile() {
        store();
        assertThatThrownBy(() -> EmbeddedDedupeStore.open(file(), config()))
                .isInstanceOf(ConflictException.class).hasMessageContaining(file().toString())
                .hasMessageContaining("open each file in one store only");
    }
}
