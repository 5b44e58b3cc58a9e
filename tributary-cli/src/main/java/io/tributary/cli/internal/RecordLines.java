package io.tributary.cli.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.tributary.core.Header;
import io.tributary.log.LogRecord;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * The one-line forms of a record that {@code consume} and {@code produce --print-acks} print.
 *
 * <p><b>Text</b>: {@code partition<TAB>offset<TAB>key<TAB>value}. Key and value are decoded as UTF-8; an absent key
 * or value (tombstone) is an empty field. So that every record is exactly one line of four fields, a tab, newline,
 * carriage return or backslash inside key or value is written as {@code \t}, {@code \n}, {@code \r} or
 * {@code \\}.
 * <p><b>JSON</b>: one object per line with {@code topic}, {@code partition}, {@code offset}, {@code timestamp},
 * {@code key} and {@code value} (strings, or {@code null} when absent) and {@code headers} (a list of
 * {@code {name, value}}).
 *
 * <p>Stateless and thread-safe.
 */
public final class RecordLines {

    private static final JsonFactory JSON = new JsonFactory();

    private RecordLines() {
    }

    /** The text line (no line terminator) of a record at {@code partition}/{@code offset}. */
    public static String text(int partition, long offset, byte @Nullable [] key, byte @Nullable [] value) {
        StringBuilder sb = new StringBuilder(32 + (key == null ? 0 : key.length) + (value == null ? 0 : value.length));
        sb.append(partition).append('\t').append(offset).append('\t');
        escape(key, sb);
        sb.append('\t');
        escape(value, sb);
        return sb.toString();
    }

    /** The text line of a stored record. */
    public static String text(LogRecord r) {
        return text(r.partition(), r.offset(), r.key(), r.value());
    }

    /** The JSON line (no line terminator) of a stored record. */
    public static String json(LogRecord r) {
        StringWriter w = new StringWriter(64 + r.sizeInBytes());
        try (JsonGenerator g = JSON.createGenerator(w)) {
            g.writeStartObject();
            g.writeStringField("topic", r.topic());
            g.writeNumberField("partition", r.partition());
            g.writeNumberField("offset", r.offset());
            g.writeNumberField("timestamp", r.timestamp());
            writeBytes(g, "key", r.key());
            writeBytes(g, "value", r.value());
            g.writeArrayFieldStart("headers");
            for (Header h : r.headers().all()) {
                g.writeStartObject();
                g.writeStringField("name", h.name());
                writeBytes(g, "value", h.value());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return w.toString();
    }

    /** UTF-8 text of bytes, or {@code null}. */
    public static @Nullable String utf8(byte @Nullable [] bytes) {
        return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
    }

    private static void writeBytes(JsonGenerator g, String field, byte @Nullable [] bytes) throws IOException {
        if (bytes == null) {
            g.writeNullField(field);
        } else {
            g.writeStringField(field, new String(bytes, StandardCharsets.UTF_8));
        }
    }

    private static void escape(byte @Nullable [] bytes, StringBuilder sb) {
        if (bytes == null) {
            return;
        }
        String s = new String(bytes, StandardCharsets.UTF_8);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\t' -> sb.append("\\t");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\\' -> sb.append("\\\\");
                default -> sb.append(c);
            }
        }
    }
}
