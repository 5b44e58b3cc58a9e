package io.tributary.eventstore.internal.embedded;

import io.tributary.core.CorruptionException;
import io.tributary.core.ErrorCode;
import io.tributary.core.Headers;
import io.tributary.eventstore.EventData;
import io.tributary.eventstore.StreamMetadata;
import io.tributary.eventstore.internal.HeaderCodec;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;

/**
 * One record of the event store's log: every change to the store is exactly one log record, so a batch append is
 * atomic (the log stores a record whole or not at all) and the log offset orders everything. The record key is the
 * stream name; the value is encoded as below (big-endian). The log's own record checksum covers it.
 *
 * <pre>
 * common header:  format u8 (=1) | kind u8 | streamLen u16 | stream UTF-8
 * APPEND (1):     firstVersion i64 | recordedAt i64 | count i32 | count x event
 *     event:      idMsb i64 | idLsb i64 | typeLen u16 | type UTF-8 | dataLen i32 | data | metaLen i32 | meta
 *                 (meta = {@link HeaderCodec} bytes)
 * METADATA (2):   maxAgeMs i64 | maxCount i64 | truncateBefore i64      (-1 = unset)
 * SOFT_DELETE (3): deletedBefore i64
 * TOMBSTONE (4):  (nothing)
 * SNAPSHOT (5):   version i64 | recordedAt i64 | typeLen u16 | type UTF-8 | dataLen i32 | data
 * </pre>
 * An event's global position is {@code (offset << 20) | index in its APPEND record}.
 */
sealed interface LogEntry {

    byte FORMAT = 1;

    String stream();

    record Append(String stream, long firstVersion, long recordedAt, List<EventData> events) implements LogEntry {
    }

    record Metadata(String stream, StreamMetadata metadata) implements LogEntry {
    }

    record SoftDelete(String stream, long deletedBefore) implements LogEntry {
    }

    record Tombstone(String stream) implements LogEntry {
    }

    record SnapshotEntry(String stream, long version, long recordedAt, String type, byte[] data) implements LogEntry {
    }

    static byte[] encode(LogEntry entry) {
        return encode(entry, entry.stream().getBytes(StandardCharsets.UTF_8));
    }

    /** {@link #encode(LogEntry)} with the stream name's UTF-8 bytes, which the caller also uses as the record key. */
    static byte[] encode(LogEntry entry, byte[] stream) {
        int size = 1 + 1 + 2 + stream.length;
        // sized for every part up front: growing it from the default capacity was a third of an append's garbage
        List<byte[]> parts = new ArrayList<>(entry instanceof Append a ? 2 * a.events().size() : 1);
        switch (entry) {
            case Append a -> {
                size += 8 + 8 + 4;
                for (EventData e : a.events()) {
                    byte[] type = e.type().getBytes(StandardCharsets.UTF_8);
                    byte[] meta = HeaderCodec.encode(e.metadata());
                    parts.add(type);
                    parts.add(meta);
                    size += 16 + 2 + type.length + 4 + e.dataUnsafe().length + 4 + meta.length;
                }
            }
            case Metadata m -> size += 24;
            case SoftDelete d -> size += 8;
            case Tombstone t -> {
            }
            case SnapshotEntry s -> {
                byte[] type = s.type().getBytes(StandardCharsets.UTF_8);
                parts.add(type);
                size += 8 + 8 + 2 + type.length + 4 + s.data().length;
            }
        }
        ByteBuffer buf = ByteBuffer.allocate(size);
        buf.put(FORMAT).put(kind(entry)).putShort((short) stream.length).put(stream);
        switch (entry) {
            case Append a -> {
                buf.putLong(a.firstVersion()).putLong(a.recordedAt()).putInt(a.events().size());
                int p = 0;
                for (EventData e : a.events()) {
                    byte[] type = parts.get(p++);
                    byte[] meta = parts.get(p++);
                    byte[] data = e.dataUnsafe();
                    buf.putLong(e.eventId().getMostSignificantBits()).putLong(e.eventId().getLeastSignificantBits())
                            .putShort((short) type.length).put(type).putInt(data.length).put(data)
                            .putInt(meta.length).put(meta);
                }
            }
            case Metadata m -> buf.putLong(m.metadata().maxAge().map(Duration::toMillis).orElse(-1L))
                    .putLong(m.metadata().maxCount().orElse(-1)).putLong(m.metadata().truncateBefore().orElse(-1));
            case SoftDelete d -> buf.putLong(d.deletedBefore());
            case Tombstone t -> {
            }
            case SnapshotEntry s -> {
                byte[] type = parts.getFirst();
                buf.putLong(s.version()).putLong(s.recordedAt()).putShort((short) type.length).put(type)
                        .putInt(s.data().length).put(s.data());
            }
        }
        return buf.array();
    }

    private static byte kind(LogEntry e) {
        return switch (e) {
            case Append a -> 1;
            case Metadata m -> 2;
            case SoftDelete d -> 3;
            case Tombstone t -> 4;
            case SnapshotEntry s -> 5;
        };
    }

    static LogEntry decode(long offset, byte[] value) {
        try {
            ByteBuffer buf = ByteBuffer.wrap(value);
            byte format = buf.get();
            if (format != FORMAT) {
                throw new CorruptionException(ErrorCode.CORRUPT_DATA, "Event store log record at offset " + offset
                        + " has format " + format + "; this build reads format " + FORMAT + ". Upgrade Tributary.");
            }
            byte kind = buf.get();
            String stream = string(buf, Short.toUnsignedInt(buf.getShort()));
            return switch (kind) {
                case 1 -> {
                    long first = buf.getLong();
                    long recordedAt = buf.getLong();
                    int count = buf.getInt();
                    List<EventData> events = new ArrayList<>(count);
                    for (int i = 0; i < count; i++) {
                        UUID id = new UUID(buf.getLong(), buf.getLong());
                        String type = string(buf, Short.toUnsignedInt(buf.getShort()));
                        byte[] data = new byte[buf.getInt()];
                        buf.get(data);
                        byte[] meta = new byte[buf.getInt()];
                        buf.get(meta);
                        Headers headers = HeaderCodec.decode(meta);
                        events.add(new EventData(id, type, data, headers));
                    }
                    yield new Append(stream, first, recordedAt, events);
                }
                case 2 -> {
                    long age = buf.getLong();
                    long count = buf.getLong();
                    long truncate = buf.getLong();
                    yield new Metadata(stream, new StreamMetadata(
                            age < 0 ? Optional.empty() : Optional.of(Duration.ofMillis(age)),
                            count < 0 ? OptionalLong.empty() : OptionalLong.of(count),
                            truncate < 0 ? OptionalLong.empty() : OptionalLong.of(truncate)));
                }
                case 3 -> new SoftDelete(stream, buf.getLong());
                case 4 -> new Tombstone(stream);
                case 5 -> {
                    long version = buf.getLong();
                    long recordedAt = buf.getLong();
                    String type = string(buf, Short.toUnsignedInt(buf.getShort()));
                    byte[] data = new byte[buf.getInt()];
                    buf.get(data);
                    yield new SnapshotEntry(stream, version, recordedAt, type, data);
                }
                default -> throw new CorruptionException(ErrorCode.CORRUPT_DATA, "Event store log record at offset "
                        + offset + " has unknown kind " + kind + "; upgrade Tributary or restore from a backup.");
            };
        } catch (BufferUnderflowException | NegativeArraySizeException e) {
            throw new CorruptionException(ErrorCode.CORRUPT_DATA, "Event store log record at offset " + offset
                    + " is truncated (" + value.length + " bytes); restore the store from a backup.", e);
        }
    }

    private static String string(ByteBuffer buf, int len) {
        byte[] b = new byte[len];
        buf.get(b);
        return new String(b, StandardCharsets.UTF_8);
    }
}
