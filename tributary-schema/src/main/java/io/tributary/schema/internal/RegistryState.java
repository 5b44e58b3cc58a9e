package io.tributary.schema.internal;

import io.tributary.core.TributaryException;
import io.tributary.schema.CompatibilityLevel;
import io.tributary.schema.RegisteredSchema;
import io.tributary.schema.RegistryMode;
import io.tributary.schema.SchemaReference;
import io.tributary.schema.SchemaText;
import io.tributary.schema.internal.RegistryRecords.ConfigRecord;
import io.tributary.schema.internal.RegistryRecords.Entry;
import io.tributary.schema.internal.RegistryRecords.IdRecord;
import io.tributary.schema.internal.RegistryRecords.Ignored;
import io.tributary.schema.internal.RegistryRecords.ModeRecord;
import io.tributary.schema.internal.RegistryRecords.SchemaRecord;
import io.tributary.schema.internal.RegistryRecords.StoredVersion;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.avro.Schema;
import org.jspecify.annotations.Nullable;

/**
 * The registry's state, rebuilt by applying stored records in order; the only way it changes is
 * {@link #apply(Entry)}, for replayed and new records alike, so a restart always reaches the state the writer had.
 *
 * <p>Not thread-safe: the registry guards it with a read/write lock.
 */
public final class RegistryState {

    /** A schema's content, shared by every version that uses its id. */
    public record Content(int id, SchemaText text, @Nullable Schema parsed, String key) {
    }

    private final NavigableMap<String, NavigableMap<Integer, StoredVersion>> subjects = new TreeMap<>();
    private final Map<Integer, Content> contents = new HashMap<>();
    private final Map<Integer, Integer> usesOfId = new HashMap<>();
    private final Map<String, Integer> idByKey = new HashMap<>();
    private @Nullable CompatibilityLevel globalLevel;
    private final Map<String, CompatibilityLevel> subjectLevels = new TreeMap<>();
    private @Nullable RegistryMode globalMode;
    private final Map<String, RegistryMode> subjectModes = new TreeMap<>();
    private int maxId;

    /** The identity of a schema's content: its canonical text and its references. */
    public static String contentKey(Schema parsed, List<SchemaReference> refs) {
        return AvroSchemas.canonical(parsed) + "\u0000" + refs;
    }

    public void apply(Entry entry) {
        switch (entry) {
            case SchemaRecord s -> applySchema(s);
            case ConfigRecord c -> {
                if (c.subject() == null) {
                    globalLevel = c.level();
                } else if (c.level() == null) {
                    subjectLevels.remove(c.subject());
                } else {
                    subjectLevels.put(c.subject(), c.level());
                }
            }
            case ModeRecord m -> {
                if (m.subject() == null) {
                    globalMode = m.mode();
                } else if (m.mode() == null) {
                    subjectModes.remove(m.subject());
                } else {
                    subjectModes.put(m.subject(), m.mode());
                }
            }
            case IdRecord i -> maxId = Math.max(maxId, i.maxId());
            case Ignored i -> {
                // written by another registry (e.g. Confluent's NOOP); carries no state we keep
            }
        }
    }

    private void applySchema(SchemaRecord s) {
        NavigableMap<Integer, StoredVersion> versions = subjects.computeIfAbsent(s.subject(), k -> new TreeMap<>());
        StoredVersion old = s.value() == null ? versions.remove(s.version()) : versions.put(s.version(), s.value());
        if (versions.isEmpty()) {
            subjects.remove(s.subject());
        }
        StoredVersion now = s.value();
        if (now != null && (old == null || old.id() != now.id())) {
            usesOfId.merge(now.id(), 1, Integer::sum);
            contents.computeIfAbsent(now.id(), id -> content(id, now.text()));
            maxId = Math.max(maxId, now.id());
        }
        if (old != null && (now == null || old.id() != now.id())) {
            int left = usesOfId.merge(old.id(), -1, Integer::sum);
            if (left <= 0) {
                usesOfId.remove(old.id());
                Content gone = contents.remove(old.id());
                if (gone != null) {
                    idByKey.remove(gone.key(), old.id());
                }
            }
        }
    }

    private Content content(int id, SchemaText text) {
        Content c;
        try {
            Schema parsed = AvroSchemas.parse(text, this::resolve);
            c = new Content(id, text, parsed, contentKey(parsed, text.references()));
        } catch (TributaryException e) {
            // Stored by another registry with rules we do not share: keep it addressable by id, unparsed.
            c = new Content(id, text, null, text.schema() + "\u0000" + text.references());
        }
        idByKey.putIfAbsent(c.key(), id);
        return c;
    }

    /** Resolves a reference against this state (soft-deleted versions included). */
    public SchemaText resolve(String subject, int version) {
        StoredVersion v = subjects.getOrDefault(subject, new TreeMap<>()).get(version);
        if (v == null) {
            throw new io.tributary.core.NotFoundException(io.tributary.schema.SchemaErrors.VERSION_NOT_FOUND,
                    "Subject '" + subject + "' has no version " + version);
        }
        return v.text();
    }

    public NavigableMap<String, NavigableMap<Integer, StoredVersion>> subjects() {
        return subjects;
    }

    public NavigableMap<Integer, StoredVersion> versionsOf(String subject) {
        return subjects.getOrDefault(subject, new TreeMap<>());
    }

    public Optional<Content> content(int id) {
        return Optional.ofNullable(contents.get(id));
    }

    public Map<Integer, Content> contents() {
        return contents;
    }

    public Optional<Integer> idFor(String contentKey) {
        return Optional.ofNullable(idByKey.get(contentKey));
    }

    public int maxId() {
        return maxId;
    }

    public Optional<CompatibilityLevel> globalLevel() {
        return Optional.ofNullable(globalLevel);
    }

    public Optional<CompatibilityLevel> subjectLevel(String subject) {
        return Optional.ofNullable(subjectLevels.get(subject));
    }

    public Optional<RegistryMode> globalMode() {
        return Optional.ofNullable(globalMode);
    }

    public Optional<RegistryMode> subjectMode(String subject) {
        return Optional.ofNullable(subjectModes.get(subject));
    }

    public boolean hasSubjectSettings(String subject) {
        return subjectLevels.containsKey(subject) || subjectModes.containsKey(subject);
    }

    public RegisteredSchema toRegistered(String subject, int version, StoredVersion v) {
        return new RegisteredSchema(subject, version, v.id(), v.text().schemaType(), v.text().schema(),
                v.text().references(), v.deleted());
    }

    /** Versions (any subject, deleted or not) whose schema references {@code subject} at {@code version}. */
    public List<RegisteredSchema> referrers(String subject, int version) {
        List<RegisteredSchema> out = new ArrayList<>();
        subjects.forEach((s, versions) -> versions.forEach((v, stored) -> {
            for (SchemaReference r : stored.text().references()) {
                if (r.subject().equals(subject) && r.version() == version) {
                    out.add(toRegistered(s, v, stored));
                    break;
                }
            }
        }));
        return out;
    }
}
