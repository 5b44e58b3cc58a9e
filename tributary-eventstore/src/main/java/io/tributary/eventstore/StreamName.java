package io.tributary.eventstore;

import io.tributary.core.InvalidRequestException;

/**
 * The stream naming rule, in the category-id convention: {@code order-42} is stream {@code 42} of category
 * {@code order}. The category is everything before the first {@code '-'} (the whole name if there is none).
 * Names are 1 to {@value #MAX_LENGTH} characters, without control characters, and must not start with {@code '$'}
 * (reserved for system streams such as {@code $all}).
 */
public final class StreamName {

    public static final int MAX_LENGTH = 200;

    private StreamName() {
    }

    /** Checks {@code stream} against the rule; the error says which part is wrong and how to fix it. */
    public static String validate(String stream) {
        if (stream == null || stream.isBlank()) {
            throw new InvalidRequestException(EventStoreErrors.INVALID_STREAM_NAME,
                    "A stream name must not be empty; name streams '<category>-<id>', e.g. 'order-42'.");
        }
        if (stream.length() > MAX_LENGTH) {
            throw new InvalidRequestException(EventStoreErrors.INVALID_STREAM_NAME, "Stream name '"
                    + stream.substring(0, 40) + "...' has " + stream.length() + " characters; the limit is "
                    + MAX_LENGTH + ". Use a shorter id, e.g. a UUID.");
        }
        if (stream.charAt(0) == '$') {
            throw new InvalidRequestException(EventStoreErrors.INVALID_STREAM_NAME, "Stream name '" + stream
                    + "' starts with '$', which is reserved for system streams such as $all; drop the '$'.");
        }
        for (int i = 0; i < stream.length(); i++) {
            if (Character.isISOControl(stream.charAt(i))) {
                throw new InvalidRequestException(EventStoreErrors.INVALID_STREAM_NAME, "Stream name '"
                        + stream.replaceAll("\\p{Cntrl}", "?") + "' contains a control character at index " + i
                        + "; use printable characters only.");
            }
        }
        return stream;
    }

    /** The category of a stream: the part before the first {@code '-'}, or the whole name. */
    public static String categoryOf(String stream) {
        int dash = stream.indexOf('-');
        return dash <= 0 ? stream : stream.substring(0, dash);
    }
}
