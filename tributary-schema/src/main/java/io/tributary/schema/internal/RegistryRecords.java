package io.tributary.schema.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tributary.core.CorruptionException;
import io.tributary.core.ErrorCode;
import io.tributary.schema.CompatibilityLevel;
import io.tributary.schema.RegistryMode;
import io.tributary.schema.SchemaText;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * The registry's stored records: JSON keys and values in the shape of Confluent's {@code _schemas} topic, so one
 * key per subject version, per config scope and per mode scope survives compaction with its latest value.
 *
 * <pre>
 * keytype   key (fields in this order; the bytes are the compaction identity)              value (null = tombstone)
 * SCHEMA    {"keytype":"SCHEMA","subject":"orders-value","version":2,"magic":1}             {"subject":"orders-value","version":2,"id":7,
 *                                                                                          "schemaType":"AVRO","schema":"...",
 *                                                                                          "references":[...],"deleted":false}
 *           a tombstone is a hard delete of that version
 * CONFIG    {"keytype":"CONFIG","subject":"orders-value"|null,"magic":0}                    {"compatibilityLevel":"FULL"}
 * MODE      {"keytype":"MODE","subject":"orders-value"|null,"magic":0}                      {"mode":"READONLY"}
 * ID        {"keytype":"ID","magic":0}                                                      {"maxId":7}
 *           the highest id ever assigned, so a hard delete never lets an id be reused after a restart
 * </pre>
 * {@code magic} is the format version of the key; other keytypes (e.g. Confluent's {@code NOOP}) are skipped on replay.
 */
public final class RegistryRecords {

    /** Stored state of one subject version. */
    public record StoredVersion(int id, SchemaText text, boolean deleted) {
    }

    /** One decoded record. */
    public sealed interface Entry permits SchemaRecord, ConfigRecord, ModeRecord, IdRecord, Ignored {
    }

    /** A subject version; {@code value == null} hard-deletes it. */
    public record SchemaRecord(String subject, int version, @Nullable StoredVersion value) implements Entry {
    }

    /** A compatibility level for a subject ({@code subject == null}: the registry); {@code level == null} removes it. */
    public record ConfigRecord(@Nullable String subject, @Nullable CompatibilityLevel level) implements Entry {
    }

    /** A mode for a subject ({@code subject == null}: the registry); {@code mode == null} removes it. */
    public record ModeRecord(@Nullable String subject, @Nullable RegistryMode mode) implements Entry {
    }

    /** The id watermark. */
    public record IdRecord(int maxId) implements Entry {
    }

    /** A record of a kind this version does not use. */
    public record Ignored(String keytype) implements Entry {
    }

    private static final ErrorCode CORRUPT = ErrorCode.CORRUPT_DATA;

    private RegistryRecords() {
    }

    public static byte[] key(Entry entry) {
        ObjectNode key = Json.object();
        switch (entry) {
            case SchemaRecord s -> key.put("keytype", "SCHEMA").put("subject", s.subject()).put("version", s.version())
                    .put("magic", 1);
            case ConfigRecord c -> key.put("keytype", "CONFIG").put("subject", c.subject()).put("magic", 0);
            case ModeRecord m -> key.put("keytype", "MODE").put("subject", m.subject()).put("magic", 0);
            case IdRecord i -> key.put("keytype", "ID").put("magic", 0);
            case Ignored i -> throw new IllegalArgumentException("Ignored records are never written");
        }
        return Json.bytes(key);
    }

    public static byte @Nullable [] value(Entry entry) {
        return switch (entry) {
            case SchemaRecord s -> {
                StoredVersion v = s.value();
                if (v == null) {
                    yield null;
                }
                ObjectNode o = Json.object().put("subject", s.subject()).put("version", s.version()).put("id", v.id())
                        .put("schemaType", v.text().schemaType()).put("schema", v.text().schema());
                o.set("references", Json.references(v.text().references()));
                o.put("deleted", v.deleted());
                yield Json.bytes(o);
            }
            case ConfigRecord c -> c.level() == null ? null
                    : Json.bytes(Json.object().put("compatibilityLevel", c.level().name()));
            case ModeRecord m -> m.mode() == null ? null : Json.bytes(Json.object().put("mode", m.mode().name()));
            case IdRecord i -> Json.bytes(Json.object().put("maxId", i.maxId()));
            case Ignored i -> throw new IllegalArgumentException("Ignored records are never written");
        };
    }

    /** Decodes a stored record; a record that cannot be read is a {@link CorruptionException} naming it. */
    public static Entry decode(byte[] keyBytes, byte @Nullable [] valueBytes) {
        try {
            JsonNode key = Json.MAPPER.readTree(keyBytes);
            String type = key.path("keytype").asText("");
            JsonNode value = valueBytes == null ? null : Json.MAPPER.readTree(valueBytes);
            return switch (type) {
                case "SCHEMA" -> new SchemaRecord(key.get("subject").asText(), key.get("version").asInt(),
                        value == null ? null : new StoredVersion(value.get("id").asInt(),
                                new SchemaText(value.path("schemaType").asText(SchemaText.AVRO),
                                        value.get("schema").asText(), Json.references(value.get("references"))),
                                value.path("deleted").asBoolean(false)));
                case "CONFIG" -> new ConfigRecord(nullableText(key.get("subject")),
                        value == null ? null : CompatibilityLevel.parse(value.get("compatibilityLevel").asText()));
                case "MODE" -> new ModeRecord(nullableText(key.get("subject")),
                        value == null ? null : RegistryMode.parse(value.get("mode").asText()));
                case "ID" -> new IdRecord(value == null ? 0 : value.get("maxId").asInt());
                default -> new Ignored(type);
            };
        } catch (Exception e) {
            throw new CorruptionException(CORRUPT, "Schema registry record cannot be read (key "
                    + new String(keyBytes, StandardCharsets.UTF_8) + "): " + e
                    + "; the registry's topic holds data this version does not understand. Restore the topic from a "
                    + "backup or remove the bad record with the log tools.", e);
        }
    }

    private static @Nullable String nullableText(@Nullable JsonNode n) {
        return n == null || n.isNull() ? null : n.asText();
    }
}
