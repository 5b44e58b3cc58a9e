package io.tributary.eventstore.internal.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** A read borrows the smallest consumer that covers what it reads without seeking, so a point read decodes one record. */
class LogReaderSizeClassTest {

    @Test
    void readsOneRecordForAPointRead() {
        assertThat(LogReader.SIZE_CLASSES[LogReader.sizeClassFor(1)]).isEqualTo(1);
    }

    @Test
    void picksTheSmallestClassCoveringTheStretch() {
        assertThat(LogReader.SIZE_CLASSES[LogReader.sizeClassFor(2)]).isEqualTo(16);
        assertThat(LogReader.SIZE_CLASSES[LogReader.sizeClassFor(16)]).isEqualTo(16);
        assertThat(LogReader.SIZE_CLASSES[LogReader.sizeClassFor(17)]).isEqualTo(128);
        assertThat(LogReader.SIZE_CLASSES[LogReader.sizeClassFor(1000)]).isEqualTo(1000);
    }

    @Test
    void capsLongStretchesAtTheLargestClass() {
        assertThat(LogReader.SIZE_CLASSES[LogReader.sizeClassFor(1_000_000)]).isEqualTo(1000);
    }
}
