package io.tributary.eventstore;

import java.util.List;

/**
 * A page of {@code $all} (possibly filtered).
 *
 * @param events       matching events, in global position order
 * @param nextPosition the checkpoint to continue from: every committed event at or below it has been considered
 *                     (delivered here, or filtered out, or hidden)
 * @param endOfAll     true when the page reached the committed watermark (nothing more is visible yet)
 */
public record AllSlice(List<RecordedEvent> events, long nextPosition, boolean endOfAll) {

    public AllSlice {
        events = List.copyOf(events);
    }
}
