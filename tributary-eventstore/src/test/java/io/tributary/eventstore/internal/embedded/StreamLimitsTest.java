package io.tributary.eventstore.internal.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.core.InvalidRequestException;
import io.tributary.eventstore.EventStoreErrors;
import io.tributary.eventstore.internal.embedded.StreamIndex.StreamState;
import org.junit.jupiter.api.Test;

/**
 * A stream's appends and event ids live in two long arrays, so a stream holds at most about 537 million appends and
 * 1.07 billion events in the embedded store. The limits are checked in longs before anything changes, and the arrays
 * grow by doubling up to the largest array without overflowing an int. (Filling a real stream to the limit takes
 * 8 GB or more of heap, so these check the arithmetic at the limits.)
 */
class StreamLimitsTest {

    @Test
    void refusesAnAppendPastTheMostAppendsAStreamHolds() {
        // one event per append: the appends run out first; (appends + 1) * 4 overflowed an int here before
        int appends = StreamState.MAX_APPENDS;
        assertThatThrownBy(() -> StreamState.checkRoom("meter-7", appends, appends, appends, 1))
                .isInstanceOfSatisfying(InvalidRequestException.class,
                        e -> assertThat(e.code()).isEqualTo(EventStoreErrors.STREAM_TOO_LONG))
                .hasMessageContaining("'meter-7'").hasMessageContaining("versions " + appends + ".." + appends)
                .hasMessageContaining("new stream");
        assertThatCode(() -> StreamState.checkRoom("meter-7", appends - 1, appends - 1, appends - 1, 1))
                .doesNotThrowAnyException();
    }

    @Test
    void refusesAnAppendPastTheMostEventsAStreamHolds() {
        int events = StreamState.MAX_EVENTS - 5;
        assertThatThrownBy(() -> StreamState.checkRoom("bulk-1", events, 1_000, events, 6))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("'bulk-1'");
        assertThatCode(() -> StreamState.checkRoom("bulk-1", events, 1_000, events, 5)).doesNotThrowAnyException();
    }

    @Test
    void anArrayPastAThousandMillionLongsGrowsToTheLargestArrayNotToTheExactSize() {
        // 2 * 2^30 overflowed to a negative int, and the exact size won: every later append copied the whole array
        assertThat(StreamState.grownLength(1 << 30, (1 << 30) + 2, 8)).isEqualTo(StreamState.MAX_ARRAY);
        assertThat(StreamState.grownLength(StreamState.MAX_ARRAY / 2 + 1, StreamState.MAX_ARRAY / 2 + 5, 8))
                .isEqualTo(StreamState.MAX_ARRAY);
        assertThat(StreamState.grownLength(16, 17, 8)).isEqualTo(32);
        assertThat(StreamState.grownLength(0, 2, 8)).isEqualTo(8);
        assertThat(StreamState.grownLength(8, 40, 8)).isEqualTo(40);
    }
}
