package io.tributary.processing.internal;

import static io.tributary.processing.DeadLetterHeaders.*;

import io.tributary.core.Header;
import io.tributary.core.Headers;
import io.tributary.core.Record;
import io.tributary.log.LogRecord;
import io.tributary.log.TopicPartition;
import io.tributary.processing.DeadLetter;
import io.tributary.processing.DeadLetterAction;
import io.tributary.processing.DeadLetterSelection;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * Writes and reads dead-letter and action records ({@link io.tributary.processing.DeadLetterHeaders} names the
 * headers). Stateless and thread-safe.
 */
public final class DlqCodec {

    /** Longest exception message kept in a header, in characters; longer ones are cut so the record stays small. */
    static final int MAX_MESSAGE_CHARS = 4000;

    private DlqCodec() {
    }

    /** What one dead-letter record says: an entry is (still) open, or it was closed. */
    public sealed interface Parsed {
        String id();
    }

    /** An open entry: dead or parked. */
    public record Opened(DeadLetter letter) implements Parsed {
        @Override
        public String id() {
            return letter.id();
        }
    }

    /** The entry was redriven, skipped or purged. */
    public record Closed(String id, String status) implements Parsed {
    }

    /** An action read from the actions topic, with the dead-letter end offsets it was requested at. */
    public record PendingAction(DeadLetterAction action, Map<Integer, Long> watermark) {

        /** Whether this action (still) applies to {@code letter}'s current record. */
        public boolean appliesTo(DeadLetter letter) {
            if (!action.selection().matches(letter)
                    || letter.dlqOffset() >= watermark.getOrDefault(letter.position().partition(), 0L)) {
                return false;
            }
            // Skipping gives up on failed events; parked followers are what the key moves on to, so a key-wide or
            // global skip leaves them to be handled. Only naming a parked entry skips it.
            return action.kind() != DeadLetterAction.Kind.SKIP || letter.status() == DeadLetter.Status.DEAD
                    || action.selection() instanceof DeadLetterSelection.Entry;
        }
    }

    static Record dead(LogRecord original, String processor, Throwable cause, int attempts, long firstFailureMs,
                       long lastFailureMs) {
        String message = cause.getMessage() == null ? "" : cause.getMessage();
        if (message.length() > MAX_MESSAGE_CHARS) {
            message = message.substring(0, MAX_MESSAGE_CHARS);
        }
        Headers h = position(original, processor, DEAD)
                .with(EXCEPTION_CLASS, cause.getClass().getName())
                .with(EXCEPTION_MESSAGE, message)
                .with(ATTEMPTS, Integer.toString(attempts))
                .with(FIRST_FAILURE_AT, Instant.ofEpochMilli(firstFailureMs).toString())
                .with(LAST_FAILURE_AT, Instant.ofEpochMilli(lastFailureMs).toString());
        return new Record(original.key(), original.value(), h, original.timestamp());
    }

    static Record parked(LogRecord original, String processor, String behind) {
        Headers h = position(original, processor, PARKED).with(PARKED_BEHIND, behind);
        return new Record(original.key(), original.value(), h, original.timestamp());
    }

    /** A record closing an entry: no value, the entry id and the closing status. */
    static Record closing(DeadLetter letter, String processor, String status) {
        Headers h = Headers.empty().with(ENTRY_ID, letter.id()).with(STATUS, status).with(PROCESSOR, processor);
        return new Record(letter.key(), null, h, System.currentTimeMillis());
    }

    private static Headers position(LogRecord original, String processor, String status) {
        return original.headers()
                .with(ENTRY_ID, DeadLetter.idOf(original.topicPartition(), original.offset()))
                .with(STATUS, status)
                .with(PROCESSOR, processor)
                .with(ORIGINAL_TOPIC, original.topic())
                .with(ORIGINAL_PARTITION, Integer.toString(original.partition()))
                .with(ORIGINAL_OFFSET, Long.toString(original.offset()))
                .with(ORIGINAL_TIMESTAMP, Long.toString(original.timestamp()));
    }

    /** Reads a dead-letter record; records without an entry id or with unreadable headers are not entries. */
    public static Optional<Parsed> parse(LogRecord r) {
        Headers h = r.headers();
        Optional<String> id = h.lastString(ENTRY_ID);
        Optional<String> status = h.lastString(STATUS);
        if (id.isEmpty() || status.isEmpty()) {
            return Optional.empty();
        }
        try {
            switch (status.get()) {
                case DEAD, PARKED -> {
                    List<Header> originalHeaders = new ArrayList<>();
                    for (Header x : h.all()) {
                        if (!x.name().startsWith(PREFIX)) {
                            originalHeaders.add(x);
                        }
                    }
                    LogRecord original = new LogRecord(h.lastString(ORIGINAL_TOPIC).orElseThrow(),
                            Integer.parseInt(h.lastString(ORIGINAL_PARTITION).orElseThrow()),
                            Long.parseLong(h.lastString(ORIGINAL_OFFSET).orElseThrow()),
                            Long.parseLong(h.lastString(ORIGINAL_TIMESTAMP).orElseThrow()), r.key(), r.value(),
                            Headers.of(originalHeaders));
                    boolean dead = status.get().equals(DEAD);
                    Optional<DeadLetter.Failure> failure = dead
                            ? Optional.of(new DeadLetter.Failure(h.lastString(EXCEPTION_CLASS).orElse(""),
                                    h.lastString(EXCEPTION_MESSAGE).orElse(""),
                                    Integer.parseInt(h.lastString(ATTEMPTS).orElse("0")),
                                    Instant.parse(h.lastString(FIRST_FAILURE_AT).orElseThrow()),
                                    Instant.parse(h.lastString(LAST_FAILURE_AT).orElseThrow())))
                            : Optional.empty();
                    return Optional.of(new Opened(new DeadLetter(id.get(),
                            dead ? DeadLetter.Status.DEAD : DeadLetter.Status.PARKED,
                            h.lastString(PROCESSOR).orElse(""), original, failure,
                            dead ? Optional.empty() : h.lastString(PARKED_BEHIND), r.topicPartition(), r.offset(),
                            Optional.empty())));
                }
                case REDRIVEN, SKIPPED, PURGED -> {
                    return Optional.of(new Closed(id.get(), status.get()));
                }
                default -> {
                    return Optional.empty();
                }
            }
        } catch (RuntimeException e) {
            // A record someone else wrote into the topic with our header names but not our format: not an entry.
            return Optional.empty();
        }
    }

    /** The record of a requested action; {@code watermark} is the dead-letter topic's end offsets now. */
    public static Record actionRecord(DeadLetterAction a, Map<Integer, Long> watermark) {
        StringBuilder w = new StringBuilder();
        new TreeMap<>(watermark).forEach((p, o) -> w.append(w.isEmpty() ? "" : ",").append(p).append(':').append(o));
        Headers h = Headers.empty()
                .with(ACTION, a.kind().name().toLowerCase(java.util.Locale.ROOT))
                .with(SELECTION, switch (a.selection()) {
                    case DeadLetterSelection.Entry e -> "entry";
                    case DeadLetterSelection.Key k -> "key";
                    case DeadLetterSelection.All all -> "all";
                })
                .with(WATERMARK, w.toString())
                .with(REQUESTED_AT, a.requestedAt().toString())
                .with(ENTRIES, Integer.toString(a.entries()));
        String target = switch (a.selection()) {
            case DeadLetterSelection.Entry e -> e.id();
            case DeadLetterSelection.Key k -> Base64.getEncoder().encodeToString(k.key());
            case DeadLetterSelection.All all -> null;
        };
        if (target != null) {
            h = h.with(TARGET, target);
        }
        String text = a.kind().name().toLowerCase(java.util.Locale.ROOT) + " " + a.selection().describe() + " ("
                + a.entries() + " entries when requested)";
        return new Record(a.id().getBytes(java.nio.charset.StandardCharsets.UTF_8),
                text.getBytes(java.nio.charset.StandardCharsets.UTF_8), h, a.requestedAt().toEpochMilli());
    }

    /** Reads an action record; empty for a tombstone (a finished action) or a record not in this format. */
    public static Optional<PendingAction> parseAction(LogRecord r) {
        if (r.value() == null || r.key() == null) {
            return Optional.empty();
        }
        Headers h = r.headers();
        try {
            DeadLetterAction.Kind kind = DeadLetterAction.Kind.valueOf(
                    h.lastString(ACTION).orElseThrow().toUpperCase(java.util.Locale.ROOT));
            @Nullable String target = h.lastString(TARGET).orElse(null);
            DeadLetterSelection selection = switch (h.lastString(SELECTION).orElseThrow()) {
                case "entry" -> DeadLetterSelection.entry(java.util.Objects.requireNonNull(target));
                case "key" -> DeadLetterSelection.key(Base64.getDecoder().decode(
                        java.util.Objects.requireNonNull(target)));
                case "all" -> DeadLetterSelection.all();
                default -> throw new IllegalArgumentException("selection");
            };
            Map<Integer, Long> watermark = new TreeMap<>();
            String w = h.lastString(WATERMARK).orElseThrow();
            if (!w.isEmpty()) {
                for (String part : w.split(",")) {
                    int colon = part.indexOf(':');
                    watermark.put(Integer.parseInt(part.substring(0, colon)),
                            Long.parseLong(part.substring(colon + 1)));
                }
            }
            String id = new String(r.key(), java.nio.charset.StandardCharsets.UTF_8);
            return Optional.of(new PendingAction(new DeadLetterAction(id, kind, selection,
                    Instant.parse(h.lastString(REQUESTED_AT).orElseThrow()),
                    Integer.parseInt(h.lastString(ENTRIES).orElse("0"))), Map.copyOf(watermark)));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The action id of an action record (its key), for tombstones too. */
    static Optional<String> actionId(LogRecord r) {
        byte[] k = r.key();
        return k == null ? Optional.empty() : Optional.of(new String(k, java.nio.charset.StandardCharsets.UTF_8));
    }
}
