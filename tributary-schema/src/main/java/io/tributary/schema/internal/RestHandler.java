package io.tributary.schema.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tributary.core.InvalidRequestException;
import io.tributary.core.NotFoundException;
import io.tributary.core.TributaryException;
import io.tributary.schema.CompatibilityLevel;
import io.tributary.schema.CompatibilityResult;
import io.tributary.schema.RegisterOptions;
import io.tributary.schema.RegisteredSchema;
import io.tributary.schema.RegistryMode;
import io.tributary.schema.SchemaErrors;
import io.tributary.schema.SchemaRegistry;
import io.tributary.schema.SchemaText;
import io.tributary.schema.SubjectVersion;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.eclipse.jetty.util.URIUtil;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Confluent-compatible REST API over a {@link SchemaRegistry}, as a Jetty core handler (no servlets), so it can
 * be served alone ({@link io.tributary.schema.RegistryServer}) or mounted in the full server under a context path.
 *
 * <p>Blocking: it runs on the server's virtual threads. Errors are {@code {"error_code": N, "message": "..."}} with
 * Confluent's HTTP statuses and codes ({@link SchemaErrors#rest}); a failed request never changes stored state,
 * because every check runs before the registry appends anything.
 */
public final class RestHandler extends Handler.Abstract {

    private static final Logger LOG = LoggerFactory.getLogger(RestHandler.class);

    public static final String V1 = "application/vnd.schemaregistry.v1+json";
    private static final String GENERIC = "application/vnd.schemaregistry+json";
    private static final String JSON = "application/json";
    private static final List<String> ACCEPTED_BODIES = List.of(V1, GENERIC, JSON, "application/octet-stream");

    private final SchemaRegistry registry;
    private final int maxBodyBytes;

    public RestHandler(SchemaRegistry registry) {
        this.registry = registry;
        // Schema text is JSON inside JSON: escaping can double it, plus the envelope and references.
        this.maxBodyBytes = registry.config().maxSchemaBytes() * 2 + 65_536;
    }

    /** An HTTP-level failure outside the registry's codes (unknown path, wrong method, media type). */
    private static final class HttpFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int status;

        HttpFailure(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    /** A successful reply: a JSON tree, or raw schema text for the {@code /schema} endpoints. */
    private record Reply(int status, @Nullable JsonNode json, @Nullable String raw) {
        static Reply ok(JsonNode json) {
            return new Reply(200, json, null);
        }
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String contentType = responseType(request.getHeaders().get(HttpHeader.ACCEPT));
        Reply reply;
        try {
            if (contentType == null) {
                throw new HttpFailure(406, "HTTP 406 Not Acceptable; accept " + V1 + " or " + JSON);
            }
            reply = route(request);
        } catch (HttpFailure e) {
            reply = new Reply(e.status, error(e.status, e.getMessage()), null);
        } catch (TributaryException e) {
            SchemaErrors.RestError rest = SchemaErrors.rest(e.code());
            if (rest.httpStatus() >= 500) {
                LOG.warn("Registry request {} {} failed", request.getMethod(), request.getHttpURI(), e);
            }
            reply = new Reply(rest.httpStatus(), error(rest.errorCode(), e.getMessage()), null);
        } catch (RuntimeException e) {
            LOG.error("Registry request {} {} failed unexpectedly", request.getMethod(), request.getHttpURI(), e);
            reply = new Reply(500, error(50001, "Internal error: " + e + "; nothing was changed. Check the "
                    + "registry's log and report it with the request that caused it."), null);
        }
        discardUnreadContent(request);
        response.setStatus(reply.status());
        String body;
        if (reply.raw() != null) {
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain;charset=utf-8");
            body = reply.raw();
        } else {
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType == null ? JSON : contentType);
            body = Json.string(reply.json());
        }
        Content.Sink.write(response, true, body, callback);
        return true;
    }

    /**
     * Reads what is left of the request body before the response goes out. A reply that did not need the body (an
     * unknown path or method, 406) left it unread, and Jetty closes a connection with unread content that has not
     * fully arrived yet with a reset, which can overtake the response: the client then saw no reply at all ("header
     * parser received no bytes"; RestApiTest flaked on a 405 to a PATCH with a body). Reading it keeps the
     * connection and the reply.
     */
    private static void discardUnreadContent(Request request) {
        try {
            Content.Source.consumeAll(request);
        } catch (IOException | RuntimeException e) {
            LOG.debug("Could not read the rest of the request body of {} {}", request.getMethod(),
                    request.getHttpURI(), e);
        }
    }

    private static ObjectNode error(int code, String message) {
        return Json.object().put("error_code", code).put("message", message);
    }

    /** Content negotiation as Confluent: the v1 type preferred, then the generic one, then plain JSON. */
    private static @Nullable String responseType(@Nullable String accept) {
        if (accept == null || accept.isBlank()) {
            return V1;
        }
        String a = accept.toLowerCase(Locale.ROOT);
        if (a.contains(V1) || a.contains("*/*") || a.contains("application/*")) {
            return V1;
        }
        if (a.contains(GENERIC)) {
            return GENERIC;
        }
        if (a.contains(JSON)) {
            return JSON;
        }
        return null;
    }

    // ------------------------------------------------------------------ routing

    private Reply route(Request request) {
        String method = request.getMethod();
        List<String> p = segments(Request.getPathInContext(request));
        Fields q = Request.extractQueryParameters(request);
        int n = p.size();
        String first = n == 0 ? "" : p.get(0);
        switch (first) {
            case "" -> {
                requireMethod(method, "GET");
                return Reply.ok(Json.object());
            }
            case "schemas" -> {
                return schemas(request, method, p, q);
            }
            case "subjects" -> {
                return subjects(request, method, p, q);
            }
            case "compatibility" -> {
                if ((n == 4 || n == 5) && p.get(1).equals("subjects") && p.get(3).equals("versions")) {
                    requireMethod(method, "POST");
                    Integer version = n == 5 ? parseVersion(p.get(4)) : null;
                    SchemaRequest body = schemaRequest(request);
                    CompatibilityResult r = registry.testCompatibility(p.get(2), body.text(), version);
                    ObjectNode out = Json.object().put("is_compatible", r.compatible());
                    if (bool(q, "verbose")) {
                        ArrayNode messages = out.putArray("messages");
                        r.messages().forEach(messages::add);
                    }
                    return Reply.ok(out);
                }
            }
            case "config" -> {
                if (n == 1 || n == 2) {
                    return config(request, method, n == 2 ? p.get(1) : null, q);
                }
            }
            case "mode" -> {
                if (n == 1 || n == 2) {
                    return mode(request, method, n == 2 ? p.get(1) : null, q);
                }
            }
            case "contexts" -> {
                if (n == 1) {
                    requireMethod(method, "GET");
                    return Reply.ok(Json.array().add("."));
                }
            }
            default -> {
            }
        }
        throw notFound();
    }

    private Reply schemas(Request request, String method, List<String> p, Fields q) {
        int n = p.size();
        requireMethod(method, "GET");
        if (n == 1) {
            ArrayNode out = Json.array();
            for (RegisteredSchema s : registry.schemas(text(q, "subjectPrefix", ""), bool(q, "deleted"),
                    bool(q, "latestOnly"))) {
                out.add(schemaJson(s));
            }
            return Reply.ok(out);
        }
        if (n == 2 && p.get(1).equals("types")) {
            return Reply.ok(Json.array().add(SchemaText.AVRO));
        }
        if (n >= 3 && n <= 4 && p.get(1).equals("ids")) {
            int id = parseId(p.get(2));
            if (n == 3) {
                SchemaText t = registry.schemaById(id);
                ObjectNode out = Json.object();
                if (!t.schemaType().equals(SchemaText.AVRO)) {
                    out.put("schemaType", t.schemaType());
                }
                out.put("schema", t.schema());
                if (!t.references().isEmpty()) {
                    out.set("references", Json.references(t.references()));
                }
                return Reply.ok(out);
            }
            switch (p.get(3)) {
                case "schema" -> {
                    return new Reply(200, null, registry.schemaById(id).schema());
                }
                case "subjects" -> {
                    ArrayNode out = Json.array();
                    registry.subjectsForId(id, bool(q, "deleted")).forEach(out::add);
                    return Reply.ok(out);
                }
                case "versions" -> {
                    ArrayNode out = Json.array();
                    for (SubjectVersion sv : registry.versionsForId(id, bool(q, "deleted"))) {
                        out.addObject().put("subject", sv.subject()).put("version", sv.version());
                    }
                    return Reply.ok(out);
                }
                default -> {
                }
            }
        }
        throw notFound();
    }

    private Reply subjects(Request request, String method, List<String> p, Fields q) {
        int n = p.size();
        if (n == 1) {
            requireMethod(method, "GET");
            ArrayNode out = Json.array();
            registry.subjects(text(q, "subjectPrefix", ""), bool(q, "deleted"), bool(q, "deletedOnly"))
                    .forEach(out::add);
            return Reply.ok(out);
        }
        String subject = p.get(1);
        if (n == 2) {
            requireMethod(method, "POST", "DELETE");
            if (method.equals("POST")) {
                SchemaRequest body = schemaRequest(request);
                return Reply.ok(schemaJson(registry.lookup(subject, body.text(), bool(q, "deleted"))));
            }
            ArrayNode out = Json.array();
            registry.deleteSubject(subject, bool(q, "permanent")).forEach(out::add);
            return Reply.ok(out);
        }
        if (!p.get(2).equals("versions")) {
            throw notFound();
        }
        if (n == 3) {
            requireMethod(method, "GET", "POST");
            if (method.equals("GET")) {
                ArrayNode out = Json.array();
                registry.versions(subject, bool(q, "deleted"), bool(q, "deletedOnly")).forEach(out::add);
                return Reply.ok(out);
            }
            SchemaRequest body = schemaRequest(request);
            RegisteredSchema r = registry.register(subject, body.text(),
                    new RegisterOptions(bool(q, "normalize"), body.id(), body.version()));
            return Reply.ok(Json.object().put("id", r.id()));
        }
        int version = parseVersion(p.get(3));
        if (n == 4) {
            requireMethod(method, "GET", "DELETE");
            if (method.equals("GET")) {
                return Reply.ok(schemaJson(registry.version(subject, version, bool(q, "deleted"))));
            }
            return Reply.ok(Json.MAPPER.getNodeFactory().numberNode(
                    registry.deleteVersion(subject, version, bool(q, "permanent"))));
        }
        if (n == 5) {
            requireMethod(method, "GET");
            switch (p.get(4)) {
                case "schema" -> {
                    return new Reply(200, null, registry.version(subject, version, bool(q, "deleted")).schema());
                }
                case "referencedby" -> {
                    ArrayNode out = Json.array();
                    registry.referencedBy(subject, version, bool(q, "deleted")).forEach(out::add);
                    return Reply.ok(out);
                }
                default -> {
                }
            }
        }
        throw notFound();
    }

    private Reply config(Request request, String method, @Nullable String subject, Fields q) {
        requireMethod(method, "GET", "PUT", "DELETE");
        switch (method) {
            case "GET" -> {
                CompatibilityLevel level = subject == null ? registry.globalCompatibility()
                        : registry.subjectCompatibility(subject, bool(q, "defaultToGlobal"));
                return Reply.ok(Json.object().put("compatibilityLevel", level.name()));
            }
            case "PUT" -> {
                JsonNode body = body(request);
                JsonNode level = body.get("compatibility");
                if (level == null || !level.isTextual()) {
                    level = body.get("compatibilityLevel");
                }
                if (level == null || !level.isTextual()) {
                    throw new InvalidRequestException(SchemaErrors.INVALID_COMPATIBILITY_LEVEL, "Invalid "
                            + "compatibility level: send {\"compatibility\": \"BACKWARD\"} (or FORWARD, FULL, NONE, "
                            + "and the _TRANSITIVE variants)");
                }
                CompatibilityLevel parsed = CompatibilityLevel.parse(level.asText());
                if (subject == null) {
                    registry.setGlobalCompatibility(parsed);
                } else {
                    registry.setSubjectCompatibility(subject, parsed);
                }
                return Reply.ok(Json.object().put("compatibility", parsed.name()));
            }
            default -> {
                CompatibilityLevel before = subject == null ? registry.deleteGlobalCompatibility()
                        : registry.deleteSubjectCompatibility(subject);
                return Reply.ok(Json.object().put("compatibilityLevel", before.name()));
            }
        }
    }

    private Reply mode(Request request, String method, @Nullable String subject, Fields q) {
        requireMethod(method, "GET", "PUT", "DELETE");
        switch (method) {
            case "GET" -> {
                RegistryMode mode = subject == null ? registry.globalMode()
                        : registry.subjectMode(subject, bool(q, "defaultToGlobal"));
                return Reply.ok(Json.object().put("mode", mode.name()));
            }
            case "PUT" -> {
                JsonNode m = body(request).get("mode");
                if (m == null || !m.isTextual()) {
                    throw new InvalidRequestException(SchemaErrors.INVALID_MODE, "Invalid mode: send {\"mode\": "
                            + "\"READWRITE\"} (or READONLY, READONLY_OVERRIDE, IMPORT)");
                }
                RegistryMode mode = RegistryMode.parse(m.asText());
                if (subject == null) {
                    registry.setGlobalMode(mode, bool(q, "force"));
                } else {
                    registry.setSubjectMode(subject, mode, bool(q, "force"));
                }
                return Reply.ok(Json.object().put("mode", mode.name()));
            }
            default -> {
                RegistryMode before = subject == null ? registry.deleteGlobalMode()
                        : registry.deleteSubjectMode(subject);
                return Reply.ok(Json.object().put("mode", before.name()));
            }
        }
    }

    // ------------------------------------------------------------------ request parsing

    private record SchemaRequest(SchemaText text, OptionalInt id, OptionalInt version) {
    }

    private SchemaRequest schemaRequest(Request request) {
        JsonNode body = body(request);
        if (!body.isObject()) {
            throw new InvalidRequestException(SchemaErrors.MALFORMED_REQUEST, "The request body must be a JSON object "
                    + "such as {\"schema\": \"{\\\"type\\\": \\\"string\\\"}\"}");
        }
        JsonNode schema = body.get("schema");
        if (schema == null || schema.isNull() || !schema.isTextual() || schema.asText().isBlank()) {
            throw new InvalidRequestException(SchemaErrors.INVALID_SCHEMA, "Empty schema: send the Avro schema as "
                    + "JSON text in the 'schema' field, e.g. {\"schema\": \"{\\\"type\\\": \\\"string\\\"}\"}");
        }
        JsonNode type = body.get("schemaType");
        String schemaType = type == null || type.isNull() ? SchemaText.AVRO : type.asText();
        SchemaText text = new SchemaText(schemaType.toUpperCase(Locale.ROOT), schema.asText(),
                Json.references(body.get("references")));
        return new SchemaRequest(text, optionalInt(body, "id"), optionalInt(body, "version"));
    }

    private static OptionalInt optionalInt(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return OptionalInt.empty();
        }
        if (!v.canConvertToInt()) {
            throw new InvalidRequestException(SchemaErrors.MALFORMED_REQUEST, "'" + field + "' must be an integer, got "
                    + v);
        }
        int i = v.asInt();
        // Confluent's clients send 0 or -1 for "not given"
        return i <= 0 ? OptionalInt.empty() : OptionalInt.of(i);
    }

    private JsonNode body(Request request) {
        String type = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
        if (type != null) {
            String bare = type.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
            if (!ACCEPTED_BODIES.contains(bare)) {
                throw new HttpFailure(415, "HTTP 415 Unsupported Media Type: send " + V1 + " or " + JSON
                        + ", not " + bare);
            }
        }
        byte[] bytes;
        try (InputStream in = Content.Source.asInputStream(request)) {
            bytes = in.readNBytes(maxBodyBytes + 1);
        } catch (IOException e) {
            throw new InvalidRequestException(SchemaErrors.MALFORMED_REQUEST, "The request body could not be read: "
                    + e.getMessage(), e);
        }
        if (bytes.length > maxBodyBytes) {
            throw new InvalidRequestException(SchemaErrors.SCHEMA_TOO_LARGE, "The request body is larger than "
                    + maxBodyBytes + " bytes; the registry accepts schemas up to "
                    + registry.config().maxSchemaBytes() + " bytes");
        }
        if (bytes.length == 0) {
            throw new InvalidRequestException(SchemaErrors.MALFORMED_REQUEST, "The request body is empty; send a "
                    + "JSON object");
        }
        return Json.parse(bytes, "The request body");
    }

    private static List<String> segments(String path) {
        List<String> out = new ArrayList<>();
        for (String s : path.split("/")) {
            if (!s.isEmpty()) {
                out.add(URIUtil.decodePath(s));
            }
        }
        return out;
    }

    private static int parseVersion(String s) {
        if (s.equals("latest") || s.equals("-1")) {
            return SchemaRegistry.LATEST;
        }
        try {
            int v = Integer.parseInt(s);
            if (v >= 1) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below, as for any other bad version
        }
        throw new InvalidRequestException(SchemaErrors.INVALID_VERSION, "The specified version '" + s + "' is not a "
                + "valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\"");
    }

    private static int parseId(String s) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new NotFoundException(SchemaErrors.SCHEMA_NOT_FOUND, "Schema '" + s + "' not found; schema ids are "
                    + "whole numbers");
        }
    }

    private static boolean bool(Fields q, String name) {
        String v = q.getValue(name);
        return v != null && v.equalsIgnoreCase("true");
    }

    private static String text(Fields q, String name, String fallback) {
        String v = q.getValue(name);
        return v == null ? fallback : v;
    }

    private static void requireMethod(String method, String... allowed) {
        for (String a : allowed) {
            if (a.equals(method)) {
                return;
            }
        }
        throw new HttpFailure(405, "HTTP 405 Method Not Allowed: use " + String.join(" or ", allowed));
    }

    private static HttpFailure notFound() {
        return new HttpFailure(404, "HTTP 404 Not Found");
    }

    static ObjectNode schemaJson(RegisteredSchema s) {
        ObjectNode out = Json.object().put("subject", s.subject()).put("version", s.version()).put("id", s.id());
        if (!s.schemaType().equals(SchemaText.AVRO)) {
            out.put("schemaType", s.schemaType());
        }
        if (!s.references().isEmpty()) {
            out.set("references", Json.references(s.references()));
        }
        out.put("schema", s.schema());
        if (s.deleted()) {
            out.put("deleted", true);
        }
        return out;
    }
}
