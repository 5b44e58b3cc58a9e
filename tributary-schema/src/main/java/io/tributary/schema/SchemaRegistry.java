package io.tributary.schema;

import io.tributary.core.InvalidRequestException;
import io.tributary.core.NotFoundException;
import io.tributary.log.EventLog;
import io.tributary.schema.internal.AvroCompatibility;
import io.tributary.schema.internal.AvroSchemas;
import io.tributary.schema.internal.InMemoryRegistryStore;
import io.tributary.schema.internal.LogRegistryStore;
import io.tributary.schema.internal.RegistryRecords;
import io.tributary.schema.internal.RegistryRecords.ConfigRecord;
import io.tributary.schema.internal.RegistryRecords.Entry;
import io.tributary.schema.internal.RegistryRecords.IdRecord;
import io.tributary.schema.internal.RegistryRecords.ModeRecord;
import io.tributary.schema.internal.RegistryRecords.SchemaRecord;
import io.tributary.schema.internal.RegistryRecords.StoredVersion;
import io.tributary.schema.internal.RegistryState;
import io.tributary.schema.internal.RegistryStore;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;
import org.apache.avro.Schema;
import org.jspecify.annotations.Nullable;

/**
 * The schema registry: subjects, versions, global ids, compatibility levels, modes, soft and hard deletes, with the
 * semantics of Confluent Schema Registry. The REST API ({@link RegistryServer}) is a thin layer over this class.
 *
 * <p><b>State and durability.</b> Every change is one or more records appended to a store, by default a compacted
 * topic of the event log ({@link #open(EventLog)}); a change returns only once its records are acknowledged, and
 * only then is it visible. On start the registry replays the store, so it comes back with exactly the acknowledged
 * changes. The state is cached in memory; reads never touch the store.
 * <p><b>Thread-safety.</b> Thread-safe. Writes are serialized (a single writer, holding a write lock across the
 * check, the store append and the cache update); reads run in parallel under a read lock. Only one registry process
 * may write a given topic at a time.
 * <p><b>Versions and ids.</b> Versions of a subject are 1, 2, …, continuing after soft- or hard-deleted ones. An id
 * names one schema content (canonical text plus references) registry-wide: the same schema under two subjects shares
 * one id. Ids are never reused, even after a hard delete.
 */
public final class SchemaRegistry implements SchemaRegistryClient, AutoCloseable {

    /** {@code version} argument meaning "the latest version". */
    public static final int LATEST = -1;

    private final RegistryStore store;
    private final RegistryConfig config;
    private final RegistryState state = new RegistryState();
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();

    SchemaRegistry(RegistryStore store, RegistryConfig config) {
        this.store = store;
        this.config = config;
        store.replay((key, value) -> state.apply(RegistryRecords.decode(key, value)));
    }

    /** A registry kept in memory only; its state is lost when the process ends. For tests and demos. */
    public static SchemaRegistry inMemory() {
        return new SchemaRegistry(new InMemoryRegistryStore(), RegistryConfig.defaults());
    }

    /** A registry whose state lives in the {@code _schemas} compacted topic of {@code log} (created if absent). */
    public static SchemaRegistry open(EventLog log) {
        return open(log, RegistryConfig.defaults());
    }

    /** A registry whose state lives in the compacted topic {@link RegistryConfig#topic()} of {@code log}. */
    public static SchemaRegistry open(EventLog log, RegistryConfig config) {
        return new SchemaRegistry(new LogRegistryStore(log, config.topic(), config.storeTimeout()), config);
    }

    public RegistryConfig config() {
        return config;
    }

    // ------------------------------------------------------------------ registration

    @Override
    public int register(String subject, SchemaText schema) {
        return register(subject, schema, RegisterOptions.DEFAULT).id();
    }

    /**
     * Registers {@code schema} as the next version of {@code subject}, or returns the existing version if the same
     * schema is already a non-deleted version there (without a compatibility check).
     *
     * @throws IncompatibleSchemaException if it breaks the subject's compatibility level
     * @throws InvalidRequestException     {@link SchemaErrors#INVALID_SCHEMA} for an unparsable schema or a missing
     *                                     reference; {@link SchemaErrors#OPERATION_NOT_PERMITTED} in read-only mode, or
     *                                     for an id outside IMPORT mode
     */
    public RegisteredSchema register(String subject, SchemaText schema, RegisterOptions options) {
        validateSubject(subject);
        checkSize(schema);
        return write(() -> {
            RegistryMode mode = effectiveMode(subject);
            requireWritable(subject, mode);
            if (mode == RegistryMode.IMPORT && options.id().isEmpty()) {
                throw new InvalidRequestException(SchemaErrors.OPERATION_NOT_PERMITTED, "Subject '" + subject
                        + "' is in IMPORT mode: a registration must name its id (and may name its version); send "
                        + "{\"schema\": ..., \"id\": N}, or set the mode back with PUT /mode/" + subject
                        + " {\"mode\":\"READWRITE\"}");
            }
            if (mode != RegistryMode.IMPORT && options.id().isPresent()) {
                throw new InvalidRequestException(SchemaErrors.OPERATION_NOT_PERMITTED, "Subject '" + subject
                        + "' is not in import mode, so a registration cannot choose its id " + options.id().getAsInt()
                        + "; omit the id, or switch to IMPORT mode with PUT /mode/" + subject + " {\"mode\":\"IMPORT\"}");
            }
            Schema parsed = AvroSchemas.parse(schema, state::resolve);
            SchemaText stored = options.normalize()
                    ? new SchemaText(schema.schemaType(), AvroSchemas.canonical(parsed), schema.references()) : schema;
            String key = RegistryState.contentKey(parsed, schema.references());
            NavigableMap<Integer, StoredVersion> versions = state.versionsOf(subject);
            for (Map.Entry<Integer, StoredVersion> e : versions.descendingMap().entrySet()) {
                StoredVersion v = e.getValue();
                if (!v.deleted() && state.content(v.id()).map(c -> c.key().equals(key)).orElse(false)
                        && (options.id().isEmpty() || options.id().getAsInt() == v.id())) {
                    return state.toRegistered(subject, e.getKey(), v);
                }
            }
            if (mode != RegistryMode.IMPORT) {
                CompatibilityLevel level = effectiveLevel(subject);
                List<Incompatibility> found = AvroCompatibility.check(level, parsed, previous(subject, null));
                if (!found.isEmpty()) {
                    throw new IncompatibleSchemaException(subject, level, found);
                }
            }
            int id;
            if (options.id().isPresent()) {
                id = options.id().getAsInt();
                if (id < 1) {
                    throw new InvalidRequestException(SchemaErrors.OPERATION_NOT_PERMITTED, "Schema id " + id
                            + " is not allowed; ids are 1 or more");
                }
                Optional<RegistryState.Content> existing = state.content(id);
                if (existing.isPresent() && !existing.get().key().equals(key)) {
                    throw new InvalidRequestException(SchemaErrors.OPERATION_NOT_PERMITTED, "Overwrite new schema "
                            + "with id " + id + " is not permitted: id " + id + " already holds a different schema; "
                            + "import it under its own id");
                }
            } else {
                id = state.idFor(key).orElse(state.maxId() + 1);
            }
            int version = versions.isEmpty() ? 1 : versions.lastKey() + 1;
            if (options.version().isPresent()) {
                version = options.version().getAsInt();
                if (version < 1) {
                    throw new InvalidRequestException(SchemaErrors.INVALID_VERSION, "Version " + version
                            + " is not valid; versions are 1 or more");
                }
                if (versions.containsKey(version)) {
                    throw new InvalidRequestException(SchemaErrors.OPERATION_NOT_PERMITTED, "Subject '" + subject
                            + "' already has version " + version + "; import it under another version");
                }
            }
            if (id > state.maxId()) {
                append(new IdRecord(id));
            }
            append(new SchemaRecord(subject, version, new StoredVersion(id, stored, false)));
            return state.toRegistered(subject, version, state.versionsOf(subject).get(version));
        });
    }

    /**
     * The version of {@code subject} holding {@code schema} (the latest if several do).
     *
     * @param includeDeleted whether soft-deleted versions count
     * @throws NotFoundException {@link SchemaErrors#SUBJECT_NOT_FOUND} or {@link SchemaErrors#SCHEMA_NOT_FOUND}
     */
    public RegisteredSchema lookup(String subject, SchemaText schema, boolean includeDeleted) {
        return read(() -> {
            NavigableMap<Integer, StoredVersion> versions = requireSubject(subject, includeDeleted);
            Schema parsed = AvroSchemas.parse(schema, state::resolve);
            String key = RegistryState.contentKey(parsed, schema.references());
            for (Map.Entry<Integer, StoredVersion> e : versions.descendingMap().entrySet()) {
                StoredVersion v = e.getValue();
                if ((includeDeleted || !v.deleted()) && state.content(v.id()).map(c -> c.key().equals(key))
                        .orElse(false)) {
                    return state.toRegistered(subject, e.getKey(), v);
                }
            }
            throw new NotFoundException(SchemaErrors.SCHEMA_NOT_FOUND, "Schema not found under subject '" + subject
                    + "'; register it with POST /subjects/" + subject + "/versions");
        });
    }

    @Override
    public Optional<RegisteredSchema> lookup(String subject, SchemaText schema) {
        try {
            return Optional.of(lookup(subject, schema, false));
        } catch (NotFoundException e) {
            return Optional.empty();
        }
    }

    // ------------------------------------------------------------------ reads

    /** Subjects starting with {@code prefix}: with a non-deleted version; or any ({@code deleted}); or only those
     * whose every version is soft-deleted ({@code deletedOnly}). Sorted. */
    public List<String> subjects(String prefix, boolean deleted, boolean deletedOnly) {
        return read(() -> {
            List<String> out = new ArrayList<>();
            state.subjects().forEach((s, versions) -> {
                if (!s.startsWith(prefix)) {
                    return;
                }
                boolean anyLive = versions.values().stream().anyMatch(v -> !v.deleted());
                if (deletedOnly ? !anyLive : (anyLive || deleted)) {
                    out.add(s);
                }
            });
            return out;
        });
    }

    @Override
    public List<String> subjects() {
        return subjects("", false, false);
    }

    /** Version numbers of a subject, ascending, filtered as {@link #subjects(String, boolean, boolean)}. */
    public List<Integer> versions(String subject, boolean deleted, boolean deletedOnly) {
        return read(() -> {
            NavigableMap<Integer, StoredVersion> versions = requireSubject(subject, deleted || deletedOnly);
            List<Integer> out = new ArrayList<>();
            versions.forEach((n, v) -> {
                if (deletedOnly ? v.deleted() : (deleted || !v.deleted())) {
                    out.add(n);
                }
            });
            return out;
        });
    }

    @Override
    public List<Integer> versions(String subject) {
        return versions(subject, false, false);
    }

    /**
     * One version of a subject; {@code version} {@link #LATEST} is the latest (non-deleted unless
     * {@code includeDeleted}).
     *
     * @throws NotFoundException {@link SchemaErrors#SUBJECT_NOT_FOUND}, {@link SchemaErrors#VERSION_NOT_FOUND}
     */
    public RegisteredSchema version(String subject, int version, boolean includeDeleted) {
        checkVersion(version);
        return read(() -> {
            NavigableMap<Integer, StoredVersion> versions = requireSubject(subject, includeDeleted);
            int n = resolveVersion(subject, versions, version, includeDeleted);
            return state.toRegistered(subject, n, versions.get(n));
        });
    }

    @Override
    public RegisteredSchema version(String subject, int version) {
        return version(subject, version, true);
    }

    @Override
    public RegisteredSchema latest(String subject) {
        return version(subject, LATEST, false);
    }

    @Override
    public SchemaText schemaById(int id) {
        return read(() -> content(id).text());
    }

    @Override
    public Schema avroSchemaById(int id) {
        return read(() -> {
            RegistryState.Content c = content(id);
            return c.parsed() != null ? c.parsed() : AvroSchemas.parse(c.text(), state::resolve);
        });
    }

    /** The subjects using schema {@code id}, sorted; soft-deleted uses only if {@code deleted}. */
    public List<String> subjectsForId(int id, boolean deleted) {
        return versionsForId(id, deleted).stream().map(SubjectVersion::subject).distinct().toList();
    }

    /** Every subject version using schema {@code id}; soft-deleted ones only if {@code deleted}. */
    public List<SubjectVersion> versionsForId(int id, boolean deleted) {
        return read(() -> {
            content(id);
            List<SubjectVersion> out = new ArrayList<>();
            state.subjects().forEach((s, versions) -> versions.forEach((n, v) -> {
                if (v.id() == id && (deleted || !v.deleted())) {
                    out.add(new SubjectVersion(s, n));
                }
            }));
            return out;
        });
    }

    /** Every version of subjects starting with {@code prefix}: non-deleted unless {@code deleted}; only the latest of
     * each subject if {@code latestOnly}. Ordered by subject, then version. */
    public List<RegisteredSchema> schemas(String prefix, boolean deleted, boolean latestOnly) {
        return read(() -> {
            List<RegisteredSchema> out = new ArrayList<>();
            state.subjects().forEach((s, versions) -> {
                if (!s.startsWith(prefix)) {
                    return;
                }
                List<RegisteredSchema> ofSubject = new ArrayList<>();
                versions.forEach((n, v) -> {
                    if (deleted || !v.deleted()) {
                        ofSubject.add(state.toRegistered(s, n, v));
                    }
                });
                if (latestOnly && !ofSubject.isEmpty()) {
                    out.add(ofSubject.getLast());
                } else {
                    out.addAll(ofSubject);
                }
            });
            return out;
        });
    }

    /** Ids of the schemas that reference {@code subject} at {@code version} (non-deleted uses only unless deleted). */
    public List<Integer> referencedBy(String subject, int version, boolean deleted) {
        checkVersion(version);
        return read(() -> {
            NavigableMap<Integer, StoredVersion> versions = requireSubject(subject, true);
            int n = resolveVersion(subject, versions, version, true);
            return state.referrers(subject, n).stream().filter(r -> deleted || !r.deleted())
                    .map(RegisteredSchema::id).distinct().sorted().toList();
        });
    }

    // ------------------------------------------------------------------ compatibility

    @Override
    public CompatibilityResult testCompatibility(String subject, SchemaText schema) {
        return testCompatibility(subject, schema, null);
    }

    /**
     * Tests {@code schema} against one version of the subject ({@code version} given, {@link #LATEST} allowed), or
     * against the versions registering would compare with ({@code version == null}), under the subject's level.
     */
    public CompatibilityResult testCompatibility(String subject, SchemaText schema, @Nullable Integer version) {
        validateSubject(subject);
        checkSize(schema);
        if (version != null) {
            checkVersion(version);
        }
        return read(() -> {
            CompatibilityLevel level = effectiveLevel(subject);
            Schema parsed = AvroSchemas.parse(schema, state::resolve);
            List<AvroCompatibility.Previous> previous;
            if (version == null) {
                previous = previous(subject, null);
            } else {
                NavigableMap<Integer, StoredVersion> versions = requireSubject(subject, false);
                previous = previous(subject, resolveVersion(subject, versions, version, false));
            }
            // Against one named version, a transitive level compares just that one, as Confluent does.
            List<Incompatibility> found = AvroCompatibility.check(level, parsed, previous);
            return new CompatibilityResult(found.isEmpty(), level, found);
        });
    }

    @Override
    public CompatibilityLevel compatibility(String subject) {
        return read(() -> effectiveLevel(subject));
    }

    /** The registry-wide level (set or default). */
    public CompatibilityLevel globalCompatibility() {
        return read(() -> state.globalLevel().orElse(config.defaultCompatibility()));
    }

    /** Sets the registry-wide level. */
    public void setGlobalCompatibility(CompatibilityLevel level) {
        write(() -> append(new ConfigRecord(null, level)));
    }

    /** Removes the registry-wide level (back to the default); returns the level in force before. */
    public CompatibilityLevel deleteGlobalCompatibility() {
        return write(() -> {
            CompatibilityLevel before = state.globalLevel().orElse(config.defaultCompatibility());
            append(new ConfigRecord(null, null));
            return before;
        });
    }

    /**
     * The subject's own level; if it has none, the registry's when {@code defaultToGlobal}, else
     * {@link SchemaErrors#SUBJECT_LEVEL_COMPATIBILITY_NOT_CONFIGURED}.
     */
    public CompatibilityLevel subjectCompatibility(String subject, boolean defaultToGlobal) {
        return read(() -> state.subjectLevel(subject).orElseGet(() -> {
            if (defaultToGlobal) {
                return state.globalLevel().orElse(config.defaultCompatibility());
            }
            throw new NotFoundException(SchemaErrors.SUBJECT_LEVEL_COMPATIBILITY_NOT_CONFIGURED, "Subject '" + subject
                    + "' does not have subject-level compatibility configured; it uses the global level (ask with "
                    + "defaultToGlobal=true), or set one with PUT /config/" + subject);
        }));
    }

    /** Sets a subject's level; the subject need not exist yet. */
    public void setSubjectCompatibility(String subject, CompatibilityLevel level) {
        validateSubject(subject);
        write(() -> append(new ConfigRecord(subject, level)));
    }

    /** Removes a subject's own level; returns the level in force before. */
    public CompatibilityLevel deleteSubjectCompatibility(String subject) {
        return write(() -> {
            if (state.versionsOf(subject).isEmpty() && !state.hasSubjectSettings(subject)) {
                throw subjectNotFound(subject);
            }
            CompatibilityLevel before = effectiveLevel(subject);
            append(new ConfigRecord(subject, null));
            return before;
        });
    }

    // ------------------------------------------------------------------ modes

    /** The registry-wide mode (set or READWRITE). */
    public RegistryMode globalMode() {
        return read(() -> state.globalMode().orElse(RegistryMode.DEFAULT));
    }

    /**
     * Sets the registry-wide mode. IMPORT requires an empty registry unless {@code force}
     * ({@link SchemaErrors#OPERATION_NOT_PERMITTED}), since imported ids could clash with existing ones.
     */
    public void setGlobalMode(RegistryMode mode, boolean force) {
        write(() -> {
            if (mode == RegistryMode.IMPORT && !force && !state.subjects().isEmpty()) {
                throw new InvalidRequestException(SchemaErrors.OPERATION_NOT_PERMITTED, "Cannot import since found "
                        + "existing subjects (" + state.subjects().size() + "); import into an empty registry, or "
                        + "send force=true if the imported ids cannot clash");
            }
            append(new ModeRecord(null, mode));
        });
    }

    /** Removes the registry-wide mode (back to READWRITE); returns the mode before. */
    public RegistryMode deleteGlobalMode() {
        return write(() -> {
            RegistryMode before = state.globalMode().orElse(RegistryMode.DEFAULT);
            append(new ModeRecord(null, null));
            return before;
        });
    }

    /** The subject's own mode; else the registry's if {@code defaultToGlobal}, else
     * {@link SchemaErrors#SUBJECT_LEVEL_MODE_NOT_CONFIGURED}. */
    public RegistryMode subjectMode(String subject, boolean defaultToGlobal) {
        return read(() -> state.subjectMode(subject).orElseGet(() -> {
            if (defaultToGlobal) {
                return state.globalMode().orElse(RegistryMode.DEFAULT);
            }
            throw new NotFoundException(SchemaErrors.SUBJECT_LEVEL_MODE_NOT_CONFIGURED, "Subject '" + subject
                    + "' does not have subject-level mode configured; it uses the global mode (ask with "
                    + "defaultToGlobal=true), or set one with PUT /mode/" + subject);
        }));
    }

    /** Sets a subject's mode; IMPORT on a subject with versions needs {@code force}. */
    public void setSubjectMode(String subject, RegistryMode mode, boolean force) {
        validateSubject(subject);
        write(() -> {
            if (mode == RegistryMode.IMPORT && !force && !state.versionsOf(subject).isEmpty()) {
                throw new InvalidRequestException(SchemaErrors.OPERATION_NOT_PERMITTED, "Cannot import since subject '"
                        + subject + "' already has versions; send force=true if the imported ids cannot clash");
            }
            append(new ModeRecord(subject, mode));
        });
    }

    /** Removes a subject's own mode; returns the mode in force before. */
    public RegistryMode deleteSubjectMode(String subject) {
        return write(() -> {
            if (state.versionsOf(subject).isEmpty() && !state.hasSubjectSettings(subject)) {
                throw subjectNotFound(subject);
            }
            RegistryMode before = effectiveMode(subject);
            append(new ModeRecord(subject, null));
            return before;
        });
    }

    // ------------------------------------------------------------------ deletes

    /**
     * Soft-deletes a version (hidden from lists and checks; its id stays readable), or hard-deletes an already
     * soft-deleted one ({@code permanent}). Returns the version number.
     *
     * @throws NotFoundException        40401/40402, {@link SchemaErrors#VERSION_SOFT_DELETED} (soft delete twice),
     *                                  {@link SchemaErrors#VERSION_NOT_SOFT_DELETED} (hard delete first)
     * @throws InvalidRequestException  {@link SchemaErrors#REFERENCE_EXISTS} if another schema references it
     */
    public int deleteVersion(String subject, int version, boolean permanent) {
        checkVersion(version);
        return write(() -> {
            requireWritable(subject, effectiveMode(subject));
            NavigableMap<Integer, StoredVersion> versions = requireSubject(subject, true);
            // "latest" is the latest live version for a soft delete, the latest of all for a hard one
            int n = resolveVersion(subject, versions, version, version != LATEST || permanent);
            StoredVersion v = versions.get(n);
            if (!permanent && v.deleted()) {
                throw new NotFoundException(SchemaErrors.VERSION_SOFT_DELETED, "Subject '" + subject + "' Version " + n
                        + " was soft deleted. Set permanent=true to delete permanently");
            }
            if (permanent && !v.deleted()) {
                throw new NotFoundException(SchemaErrors.VERSION_NOT_SOFT_DELETED, "Subject '" + subject + "' Version "
                        + n + " was not deleted first before being permanently deleted; soft-delete it first "
                        + "(DELETE without permanent=true)");
            }
            requireUnreferenced(subject, n, permanent);
            append(new SchemaRecord(subject, n, permanent ? null : new StoredVersion(v.id(), v.text(), true)));
            return n;
        });
    }

    /**
     * Soft-deletes every version of a subject, or hard-deletes a soft-deleted subject ({@code permanent}, which also
     * drops its compatibility level and mode). Returns the version numbers deleted.
     */
    public List<Integer> deleteSubject(String subject, boolean permanent) {
        return write(() -> {
            requireWritable(subject, effectiveMode(subject));
            NavigableMap<Integer, StoredVersion> versions = state.versionsOf(subject);
            if (versions.isEmpty()) {
                throw subjectNotFound(subject);
            }
            boolean anyLive = versions.values().stream().anyMatch(v -> !v.deleted());
            if (!permanent && !anyLive) {
                throw new NotFoundException(SchemaErrors.SUBJECT_SOFT_DELETED, "Subject '" + subject
                        + "' was soft deleted. Set permanent=true to delete permanently");
            }
            if (permanent && anyLive) {
                throw new NotFoundException(SchemaErrors.SUBJECT_NOT_SOFT_DELETED, "Subject '" + subject
                        + "' was not deleted first before being permanently deleted; soft-delete it first "
                        + "(DELETE /subjects/" + subject + " without permanent=true)");
            }
            List<Integer> deleted = new ArrayList<>();
            for (Map.Entry<Integer, StoredVersion> e : versions.entrySet()) {
                if (permanent || !e.getValue().deleted()) {
                    requireUnreferenced(subject, e.getKey(), permanent);
                    deleted.add(e.getKey());
                }
            }
            for (int n : deleted) {
                StoredVersion v = state.versionsOf(subject).get(n);
                append(new SchemaRecord(subject, n, permanent ? null : new StoredVersion(v.id(), v.text(), true)));
            }
            if (permanent) {
                if (state.subjectLevel(subject).isPresent()) {
                    append(new ConfigRecord(subject, null));
                }
                if (state.subjectMode(subject).isPresent()) {
                    append(new ModeRecord(subject, null));
                }
            }
            return deleted;
        });
    }

    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            store.close();
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public String toString() {
        return "SchemaRegistry[" + store.describe() + "]";
    }

    // ------------------------------------------------------------------ internals (callers hold the lock)

    private void append(Entry entry) {
        store.put(RegistryRecords.key(entry), RegistryRecords.value(entry));
        state.apply(entry);
    }

    private <T> T read(Supplier<T> body) {
        lock.readLock().lock();
        try {
            return body.get();
        } finally {
            lock.readLock().unlock();
        }
    }

    private <T> T write(Supplier<T> body) {
        lock.writeLock().lock();
        try {
            return body.get();
        } finally {
            lock.writeLock().unlock();
        }
    }

    private void write(Runnable body) {
        write(() -> {
            body.run();
            return null;
        });
    }

    private CompatibilityLevel effectiveLevel(String subject) {
        return state.subjectLevel(subject).or(state::globalLevel).orElse(config.defaultCompatibility());
    }

    private RegistryMode effectiveMode(String subject) {
        return state.subjectMode(subject).or(state::globalMode).orElse(RegistryMode.DEFAULT);
    }

    private static void requireWritable(String subject, RegistryMode mode) {
        if (mode == RegistryMode.READONLY || mode == RegistryMode.READONLY_OVERRIDE) {
            throw new InvalidRequestException(SchemaErrors.OPERATION_NOT_PERMITTED, "Subject '" + subject
                    + "' is in read-only mode (" + mode + "); change it with PUT /mode/" + subject
                    + " {\"mode\":\"READWRITE\"} (or PUT /mode for the registry)");
        }
    }

    /** Non-deleted versions, newest first; only {@code only} if given. */
    private List<AvroCompatibility.Previous> previous(String subject, @Nullable Integer only) {
        List<AvroCompatibility.Previous> out = new ArrayList<>();
        for (Map.Entry<Integer, StoredVersion> e : state.versionsOf(subject).descendingMap().entrySet()) {
            StoredVersion v = e.getValue();
            if (v.deleted() || (only != null && e.getKey().intValue() != only)) {
                continue;
            }
            RegistryState.Content c = content(v.id());
            Schema parsed = c.parsed() != null ? c.parsed() : AvroSchemas.parse(c.text(), state::resolve);
            out.add(new AvroCompatibility.Previous(e.getKey(), parsed));
        }
        return out;
    }

    private RegistryState.Content content(int id) {
        return state.content(id).orElseThrow(() -> new NotFoundException(SchemaErrors.SCHEMA_NOT_FOUND,
                "Schema " + id + " not found; ids come from registering (POST /subjects/{subject}/versions) and from "
                        + "the 5-byte header of serialized values"));
    }

    private NavigableMap<Integer, StoredVersion> requireSubject(String subject, boolean includeDeleted) {
        NavigableMap<Integer, StoredVersion> versions = state.versionsOf(subject);
        if (versions.isEmpty() || (!includeDeleted && versions.values().stream().allMatch(StoredVersion::deleted))) {
            throw subjectNotFound(subject);
        }
        return versions;
    }

    private static NotFoundException subjectNotFound(String subject) {
        return new NotFoundException(SchemaErrors.SUBJECT_NOT_FOUND, "Subject '" + subject + "' not found; "
                + "list subjects with GET /subjects, or register a first version with POST /subjects/" + subject
                + "/versions");
    }

    private static int resolveVersion(String subject, NavigableMap<Integer, StoredVersion> versions, int version,
                                      boolean includeDeleted) {
        if (version == LATEST) {
            for (Map.Entry<Integer, StoredVersion> e : versions.descendingMap().entrySet()) {
                if (includeDeleted || !e.getValue().deleted()) {
                    return e.getKey();
                }
            }
        } else {
            StoredVersion v = versions.get(version);
            if (v != null && (includeDeleted || !v.deleted())) {
                return version;
            }
        }
        throw new NotFoundException(SchemaErrors.VERSION_NOT_FOUND, "Version " + (version == LATEST ? "latest"
                : version) + " not found for subject '" + subject + "'; list its versions with GET /subjects/"
                + subject + "/versions" + (includeDeleted ? "" : " (soft-deleted ones need deleted=true)"));
    }

    private void requireUnreferenced(String subject, int version, boolean permanent) {
        List<RegisteredSchema> referrers = state.referrers(subject, version).stream()
                .filter(r -> permanent || !r.deleted()).toList();
        if (!referrers.isEmpty()) {
            throw new InvalidRequestException(SchemaErrors.REFERENCE_EXISTS, "One or more references exist to the "
                    + "schema {subject=" + subject + ", version=" + version + "}: " + referrers.stream()
                    .map(r -> r.subject() + " version " + r.version()).toList() + "; delete those first");
        }
    }

    /** Checks a version argument: 1 or more, or {@link #LATEST}; {@link SchemaErrors#INVALID_VERSION} otherwise. */
    static void checkVersion(int version) {
        if (version != LATEST && version < 1) {
            throw new InvalidRequestException(SchemaErrors.INVALID_VERSION, "The specified version '" + version
                    + "' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\"");
        }
    }

    static void validateSubject(String subject) {
        if (subject.isEmpty() || subject.chars().anyMatch(Character::isISOControl)) {
            throw new InvalidRequestException(SchemaErrors.INVALID_SUBJECT, "The specified subject '" + subject
                    + "' is not valid; use a non-empty name without control characters, e.g. 'orders-value'");
        }
    }

    private void checkSize(SchemaText schema) {
        int bytes = schema.schema().getBytes(StandardCharsets.UTF_8).length;
        if (bytes > config.maxSchemaBytes()) {
            throw new InvalidRequestException(SchemaErrors.SCHEMA_TOO_LARGE, "Schema of " + bytes + " bytes is larger "
                    + "than the limit of " + config.maxSchemaBytes() + " bytes (RegistryConfig.maxSchemaBytes); "
                    + "split it with references");
        }
    }
}
