package io.tributary.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tributary.core.ConflictException;
import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import io.tributary.core.NotFoundException;
import io.tributary.core.RetriableException;
import io.tributary.core.TributaryException;
import io.tributary.schema.internal.Json;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.jspecify.annotations.Nullable;

/**
 * A client of the Confluent-compatible REST API (Tributary's {@link RegistryServer} or Confluent Schema Registry),
 * on {@link java.net.http.HttpClient}.
 *
 * <p><b>Caching.</b> What cannot change is cached without expiry: the schema of an id, the parsed schema of an id,
 * the id a (subject, schema) registered or looked up to, and numbered versions. Everything else (latest version,
 * lists, levels, compatibility tests) is asked each time. Caches are unbounded, as the set of schemas an application
 * uses is small.
 * <p><b>Errors.</b> The server's {@code error_code} maps back to {@link SchemaErrors}: 404s throw
 * {@link NotFoundException}, 409 a {@link ConflictException} with {@link SchemaErrors#INCOMPATIBLE_SCHEMA} (its
 * message names the subject, level and incompatibilities), 4xx an {@link InvalidRequestException}, 5xx and an
 * unreachable server a {@link RetriableException}.
 * <p>Thread-safe.
 */
public final class HttpSchemaRegistryClient implements SchemaRegistryClient, AutoCloseable {

    private static final String V1 = "application/vnd.schemaregistry.v1+json";

    private record SubjectSchema(String subject, SchemaText schema) {
    }

    private record SubjectNumber(String subject, int version) {
    }

    private final URI base;
    private final Duration timeout;
    private final HttpClient http;
    private final Map<SubjectSchema, Integer> idBySchema = new ConcurrentHashMap<>();
    private final Map<SubjectSchema, RegisteredSchema> lookups = new ConcurrentHashMap<>();
    private final Map<Integer, SchemaText> textById = new ConcurrentHashMap<>();
    private final Map<Integer, Schema> parsedById = new ConcurrentHashMap<>();
    private final Map<SubjectNumber, RegisteredSchema> versionCache = new ConcurrentHashMap<>();

    /** A client of the registry at {@code baseUrl}, e.g. {@code http://127.0.0.1:8081}, with a 30 s timeout. */
    public HttpSchemaRegistryClient(String baseUrl) {
        this(URI.create(baseUrl), Duration.ofSeconds(30));
    }

    public HttpSchemaRegistryClient(URI baseUrl, Duration timeout) {
        String s = baseUrl.toString();
        this.base = URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s);
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).version(HttpClient.Version.HTTP_1_1).build();
    }

    @Override
    public int register(String subject, SchemaText schema) {
        SubjectSchema key = new SubjectSchema(subject, schema);
        Integer cached = idBySchema.get(key);
        if (cached != null) {
            return cached;
        }
        JsonNode reply = send("POST", "/subjects/" + enc(subject) + "/versions", body(schema));
        int id = reply.get("id").asInt();
        idBySchema.put(key, id);
        textById.putIfAbsent(id, schema);
        return id;
    }

    @Override
    public Optional<RegisteredSchema> lookup(String subject, SchemaText schema) {
        SubjectSchema key = new SubjectSchema(subject, schema);
        RegisteredSchema cached = lookups.get(key);
        if (cached != null) {
            return Optional.of(cached);
        }
        try {
            RegisteredSchema found = registered(send("POST", "/subjects/" + enc(subject), body(schema)));
            lookups.put(key, found);
            idBySchema.put(key, found.id());
            return Optional.of(found);
        } catch (NotFoundException e) {
            if (e.code().equals(SchemaErrors.SUBJECT_NOT_FOUND) || e.code().equals(SchemaErrors.SCHEMA_NOT_FOUND)) {
                return Optional.empty();
            }
            throw e;
        }
    }

    @Override
    public SchemaText schemaById(int id) {
        SchemaText cached = textById.get(id);
        if (cached != null) {
            return cached;
        }
        JsonNode reply = send("GET", "/schemas/ids/" + id, null);
        SchemaText text = new SchemaText(reply.path("schemaType").asText(SchemaText.AVRO), reply.get("schema").asText(),
                Json.references(reply.get("references")));
        textById.put(id, text);
        return text;
    }

    @Override
    public Schema avroSchemaById(int id) {
        Schema cached = parsedById.get(id);
        if (cached != null) {
            return cached;
        }
        Schema parsed = parse(schemaById(id));
        parsedById.put(id, parsed);
        return parsed;
    }

    @Override
    public RegisteredSchema version(String subject, int version) {
        SubjectNumber key = new SubjectNumber(subject, version);
        RegisteredSchema cached = versionCache.get(key);
        if (cached != null) {
            return cached;
        }
        RegisteredSchema r = registered(send("GET", "/subjects/" + enc(subject) + "/versions/" + version
                + "?deleted=true", null));
        versionCache.put(key, r);
        return r;
    }

    @Override
    public RegisteredSchema latest(String subject) {
        return registered(send("GET", "/subjects/" + enc(subject) + "/versions/latest", null));
    }

    @Override
    public CompatibilityResult testCompatibility(String subject, SchemaText schema) {
        CompatibilityLevel level = compatibility(subject);
        JsonNode reply = send("POST", "/compatibility/subjects/" + enc(subject) + "/versions?verbose=true",
                body(schema));
        List<Incompatibility> found = new ArrayList<>();
        for (JsonNode m : reply.path("messages")) {
            found.add(new Incompatibility("REPORTED_BY_SERVER", "/", m.asText(), 0, "BACKWARD"));
        }
        boolean ok = reply.path("is_compatible").asBoolean(false);
        if (!ok && found.isEmpty()) {
            found.add(new Incompatibility("REPORTED_BY_SERVER", "/", "the server gave no details", 0, "BACKWARD"));
        }
        return new CompatibilityResult(ok, level, ok ? List.of() : found);
    }

    @Override
    public CompatibilityLevel compatibility(String subject) {
        JsonNode reply = send("GET", "/config/" + enc(subject) + "?defaultToGlobal=true", null);
        return CompatibilityLevel.parse(reply.get("compatibilityLevel").asText());
    }

    /** Sets a subject's compatibility level. */
    public void setCompatibility(String subject, CompatibilityLevel level) {
        send("PUT", "/config/" + enc(subject), Json.object().put("compatibility", level.name()));
    }

    /** Sets the registry-wide compatibility level. */
    public void setGlobalCompatibility(CompatibilityLevel level) {
        send("PUT", "/config", Json.object().put("compatibility", level.name()));
    }

    @Override
    public List<String> subjects() {
        List<String> out = new ArrayList<>();
        send("GET", "/subjects", null).forEach(n -> out.add(n.asText()));
        return out;
    }

    @Override
    public List<Integer> versions(String subject) {
        List<Integer> out = new ArrayList<>();
        send("GET", "/subjects/" + enc(subject) + "/versions", null).forEach(n -> out.add(n.asInt()));
        return out;
    }

    /** Soft- or hard-deletes a subject; returns the versions deleted. Clears this client's caches for it. */
    public List<Integer> deleteSubject(String subject, boolean permanent) {
        List<Integer> out = new ArrayList<>();
        send("DELETE", "/subjects/" + enc(subject) + (permanent ? "?permanent=true" : ""), null)
                .forEach(n -> out.add(n.asInt()));
        idBySchema.keySet().removeIf(k -> k.subject().equals(subject));
        lookups.keySet().removeIf(k -> k.subject().equals(subject));
        versionCache.keySet().removeIf(k -> k.subject().equals(subject));
        return out;
    }

    @Override
    public void close() {
        http.close();
    }

    // ------------------------------------------------------------------ HTTP

    private static ObjectNode body(SchemaText schema) {
        ObjectNode o = Json.object();
        if (!schema.schemaType().equals(SchemaText.AVRO)) {
            o.put("schemaType", schema.schemaType());
        }
        o.put("schema", schema.schema());
        if (!schema.references().isEmpty()) {
            o.set("references", Json.references(schema.references()));
        }
        return o;
    }

    private static RegisteredSchema registered(JsonNode n) {
        return new RegisteredSchema(n.get("subject").asText(), n.get("version").asInt(), n.get("id").asInt(),
                n.path("schemaType").asText(SchemaText.AVRO), n.get("schema").asText(),
                Json.references(n.get("references")), n.path("deleted").asBoolean(false));
    }

    private static String enc(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private JsonNode send(String method, String path, @Nullable JsonNode body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(timeout)
                .header("Accept", V1);
        if (body != null) {
            b.header("Content-Type", V1);
            b.method(method, HttpRequest.BodyPublishers.ofByteArray(Json.bytes(body)));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        HttpResponse<byte[]> response;
        try {
            response = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new RetriableException(ErrorCode.UNAVAILABLE, "Schema registry at " + base + " is unreachable ("
                    + method + " " + path + "): " + e + "; check that it runs (tributary registry --port 8081)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RetriableException(ErrorCode.UNAVAILABLE, "Interrupted while calling the schema registry at "
                    + base + " (" + method + " " + path + ")", e);
        }
        int status = response.statusCode();
        if (status / 100 == 2) {
            return Json.parse(response.body(), "The registry's reply to " + method + " " + path);
        }
        throw error(method, path, status, response.body());
    }

    private TributaryException error(String method, String path, int status, byte[] body) {
        int code = status;
        String message = new String(body, StandardCharsets.UTF_8);
        try {
            JsonNode n = Json.MAPPER.readTree(body);
            if (n != null && n.has("error_code")) {
                code = n.get("error_code").asInt();
                message = n.path("message").asText(message);
            }
        } catch (IOException e) {
            // not JSON: keep the raw body as the message
        }
        ErrorCode ec = SchemaErrors.fromRest(code);
        String text = "Schema registry " + base + " refused " + method + " " + path + " (HTTP " + status
                + ", error_code " + code + "): " + (message.isBlank() ? "no message" : message);
        if (status == 404) {
            return new NotFoundException(ec.equals(ErrorCode.INTERNAL) ? SchemaErrors.SCHEMA_NOT_FOUND : ec, text);
        }
        if (status == 409) {
            return new ConflictException(SchemaErrors.INCOMPATIBLE_SCHEMA, text);
        }
        if (status >= 400 && status < 500) {
            return new InvalidRequestException(ec.equals(ErrorCode.INTERNAL) ? SchemaErrors.MALFORMED_REQUEST : ec,
                    text);
        }
        return new RetriableException(ec.equals(ErrorCode.INTERNAL) ? SchemaErrors.STORE_ERROR : ec, text);
    }
}
