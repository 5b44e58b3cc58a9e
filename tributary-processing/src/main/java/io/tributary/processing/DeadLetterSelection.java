package io.tributary.processing;

import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/** Which dead-letter entries an operator action applies to: one entry, every entry of a key, or all. Immutable. */
public sealed interface DeadLetterSelection {

    /** Whether {@code letter} is selected. */
    boolean matches(DeadLetter letter);

    /** Words for messages, e.g. {@code entry orders-0@5}. */
    String describe();

    static DeadLetterSelection entry(String id) {
        return new Entry(id);
    }

    static DeadLetterSelection key(byte[] key) {
        return new Key(key);
    }

    /** The key given as UTF-8 text. */
    static DeadLetterSelection key(String key) {
        return new Key(key.getBytes(StandardCharsets.UTF_8));
    }

    static DeadLetterSelection all() {
        return new All();
    }

    /** One entry by its id ({@code <topic>-<partition>@<offset>} of the original event). */
    record Entry(String id) implements DeadLetterSelection {
        public Entry {
            Objects.requireNonNull(id, "id");
            if (id.isBlank()) {
                throw new InvalidRequestException(ErrorCode.INVALID_ARGUMENT, "A dead-letter entry id is blank; "
                        + "copy one from 'tributary dlq list', e.g. orders-0@17");
            }
        }

        @Override
        public boolean matches(DeadLetter letter) {
            return letter.id().equals(id);
        }

        @Override
        public String describe() {
            return "entry " + id;
        }
    }

    /** Every entry whose original event has this key (entries of events without a key are never selected). */
    record Key(byte[] key) implements DeadLetterSelection {
        public Key {
            Objects.requireNonNull(key, "key");
            key = key.clone();
        }

        @Override
        public byte[] key() {
            return key.clone();
        }

        @Override
        public boolean matches(DeadLetter letter) {
            byte[] k = letter.key();
            return k != null && Arrays.equals(k, key);
        }

        @Override
        public String describe() {
            return "key '" + new String(key, StandardCharsets.UTF_8) + "'";
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key other && Arrays.equals(key, other.key);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(key);
        }

        @Override
        public String toString() {
            return "Key[" + describe() + "]";
        }
    }

    /** Every open entry. */
    record All() implements DeadLetterSelection {
        @Override
        public boolean matches(DeadLetter letter) {
            return true;
        }

        @Override
        public String describe() {
            return "all entries";
        }
    }
}
