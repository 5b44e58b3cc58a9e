package io.tributary.log.internal.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.log.TopicPartition;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The log line and the rules of a recovery event; the events open reports are checked in the recovery tests. */
class RecoveryEventTest {

    private static final TopicPartition TP = new TopicPartition("t", 0);
    private static final Path FILE = Path.of("t-0", "00000000000000000045.log");

    @Test
    void describesOneMissingOffsetBelowTheRecoveryPointInTheSingular() {
        RecoveryEvent e = RecoveryEvent.endedBelowRecoveryPoint(TP, FILE, false, 138, 46, 47, "no data from offset 46");
        assertThat(e.describe()).startsWith("Repaired t-0: ended the partition at offset 46; offset 46 is missing (file "
                + FILE + " ends at byte 138): no data from offset 46. Nothing was truncated");
        assertThat(e.bytesTruncated()).isZero();
        assertThat(e.repaired()).isTrue();
    }

    @Test
    void describesACutAsATruncation() {
        RecoveryEvent e = new RecoveryEvent(TP, FILE, 100, 18, 45, "a torn batch", false);
        assertThat(e.recoveryPointOffset()).isEqualTo(-1);
        assertThat(e.describe()).isEqualTo("Recovered t-0: truncated 18 bytes at " + FILE + " position 100 (found a torn"
                + " batch); offsets from 45 on are gone (an unfinished write cut short by a crash)");
    }

    @Test
    void rejectsAnEventEndingBelowTheRecoveryPointThatIsNotBelowIt() {
        assertThatThrownBy(() -> RecoveryEvent.endedBelowRecoveryPoint(TP, FILE, true, 0, 47, 47, "p"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("partition t-0").hasMessageContaining("recoveryPointOffset 47")
                .hasMessageContaining("endedBelowRecoveryPoint");
    }

    @Test
    void rejectsAMissingFileOnACut() {
        assertThatThrownBy(() -> new RecoveryEvent(TP, FILE, 0, 18, 0, 45, "p", false, -1, true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("partition t-0").hasMessageContaining("fileMissing");
    }
}
