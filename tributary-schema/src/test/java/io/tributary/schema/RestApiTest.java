package io.tributary.schema;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The REST API over real HTTP (a server on 127.0.0.1, port 0; plain java.net.http requests): for every endpoint the
 * success shape and Confluent's HTTP status and numeric error code for each way it can fail.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RestApiTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String V1 = "application/vnd.schemaregistry.v1+json";
    private static final String ORDER_V1 = SchemaRegistryTest.ORDER_V1;
    private static final String ORDER_V2 = SchemaRegistryTest.ORDER_V2;
    private static final String INCOMPATIBLE = ORDER_V1.replace("\"string\"", "\"int\"");

    private RegistryServer server;
    private HttpClient http;

    record Reply(int status, String contentType, String body) {
        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + body, e);
            }
        }

        int errorCode() {
            return json().get("error_code").asInt();
        }

        String message() {
            return json().get("message").asText();
        }
    }

    @BeforeEach
    void start() {
        server = RegistryServer.start("127.0.0.1", 0, SchemaRegistry.inMemory());
        http = HttpClient.newHttpClient();
    }

    @AfterEach
    void stop() {
        http.close();
        server.stop();
        server.registry().close();
    }

    private Reply call(String method, String path, String body) {
        return call(method, path, body, V1, V1);
    }

    private Reply call(String method, String path, String body, String contentType, String accept) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.url() + path)).header("Accept", accept);
        if (body == null) {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            b.header("Content-Type", contentType).method(method, HttpRequest.BodyPublishers.ofString(body));
        }
        try {
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return new Reply(r.statusCode(), r.headers().firstValue("Content-Type").orElse(""), r.body());
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    private static String schemaBody(String schema) {
        return JSON.createObjectNode().put("schema", schema).toString();
    }

    private int register(String subject, String schema) {
        Reply r = call("POST", "/subjects/" + subject + "/versions", schemaBody(schema));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json().get("id").asInt();
    }

    private void assertError(Reply r, int status, int errorCode) {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        assertThat(r.errorCode()).as(r.body()).isEqualTo(errorCode);
        assertThat(r.message()).isNotBlank();
    }

    @Test
    void rootAndTypesAnswerWithTheRegistryContentType() {
        Reply root = call("GET", "/", null);
        assertThat(root.status()).isEqualTo(200);
        assertThat(root.contentType()).startsWith(V1);
        assertThat(root.json().isObject()).isTrue();
        assertThat(call("GET", "/schemas/types", null).json()).hasToString("[\"AVRO\"]");
        assertThat(call("GET", "/subjects", null, V1, "application/json").contentType()).startsWith("application/json");
        assertThat(call("GET", "/subjects", null, V1, "text/html").status()).isEqualTo(406);
    }

    @Test
    void registerReturnsTheIdAndReportsEachKindOfBadRequest() {
        Reply ok = call("POST", "/subjects/orders-value/versions", schemaBody(ORDER_V1));
        assertThat(ok.status()).isEqualTo(200);
        assertThat(ok.json()).hasToString("{\"id\":1}");
        assertThat(call("POST", "/subjects/orders-value/versions", schemaBody(ORDER_V1)).json().get("id").asInt())
                .isEqualTo(1);
        assertThat(call("POST", "/subjects/orders-value/versions", schemaBody(ORDER_V1), "application/json", V1)
                .status()).isEqualTo(200);

        Reply incompatible = call("POST", "/subjects/orders-value/versions", schemaBody(INCOMPATIBLE));
        assertError(incompatible, 409, 40901);
        assertThat(incompatible.message()).contains("orders-value", "BACKWARD", "TYPE_MISMATCH", "/fields/0/type");

        assertError(call("POST", "/subjects/orders-value/versions", schemaBody("{\"type\":\"recrod\"}")), 422, 42201);
        assertError(call("POST", "/subjects/orders-value/versions", "{\"schemaType\":\"AVRO\"}"), 422, 42201);
        assertError(call("POST", "/subjects/orders-value/versions",
                "{\"schemaType\":\"PROTOBUF\",\"schema\":\"syntax = \\\"proto3\\\";\"}"), 422, 42201);
        assertError(call("POST", "/subjects/orders-value/versions", "{\"schema\": "), 400, 400);
        assertError(call("POST", "/subjects/orders-value/versions",
                "{\"schema\":\"" + ORDER_V1.replace("\"", "\\\"") + "\",\"id\":7}"), 422, 42205);
        assertThat(call("POST", "/subjects/orders-value/versions", schemaBody(ORDER_V1), "text/plain", V1).status())
                .isEqualTo(415);
        assertThat(call("GET", "/subjects/orders-value/versions", null).json()).hasToString("[1]");
    }

    @Test
    void lookupFindsARegisteredSchemaUnderItsSubject() {
        register("orders-value", ORDER_V1);
        Reply found = call("POST", "/subjects/orders-value", schemaBody(ORDER_V1));
        assertThat(found.status()).isEqualTo(200);
        assertThat(found.json().get("subject").asText()).isEqualTo("orders-value");
        assertThat(found.json().get("version").asInt()).isEqualTo(1);
        assertThat(found.json().get("id").asInt()).isEqualTo(1);
        assertThat(found.json().get("schema").asText()).isEqualTo(ORDER_V1);
        assertError(call("POST", "/subjects/nope", schemaBody(ORDER_V1)), 404, 40401);
        assertError(call("POST", "/subjects/orders-value", schemaBody(ORDER_V2)), 404, 40403);
        assertError(call("POST", "/subjects/orders-value", schemaBody("not avro")), 422, 42201);
    }

    @Test
    void subjectsAndVersionsAreListedAndFetched() {
        register("a", ORDER_V1);
        register("a", ORDER_V2);
        register("b", ORDER_V1);
        assertThat(call("GET", "/subjects", null).json()).hasToString("[\"a\",\"b\"]");
        assertThat(call("GET", "/subjects?subjectPrefix=b", null).json()).hasToString("[\"b\"]");
        assertThat(call("GET", "/subjects/a/versions", null).json()).hasToString("[1,2]");
        assertError(call("GET", "/subjects/zzz/versions", null), 404, 40401);

        JsonNode latest = call("GET", "/subjects/a/versions/latest", null).json();
        assertThat(latest.get("version").asInt()).isEqualTo(2);
        assertThat(latest.get("id").asInt()).isEqualTo(2);
        assertThat(call("GET", "/subjects/a/versions/1", null).json().get("schema").asText()).isEqualTo(ORDER_V1);
        Reply raw = call("GET", "/subjects/a/versions/1/schema", null);
        assertThat(raw.status()).isEqualTo(200);
        assertThat(raw.body()).isEqualTo(ORDER_V1);
        assertError(call("GET", "/subjects/a/versions/3", null), 404, 40402);
        assertError(call("GET", "/subjects/zzz/versions/1", null), 404, 40401);
        assertError(call("GET", "/subjects/a/versions/abc", null), 422, 42202);
        assertError(call("GET", "/subjects/a/versions/0", null), 422, 42202);
        assertThat(call("GET", "/subjects/a/versions/1/referencedby", null).json()).hasToString("[]");
        assertError(call("GET", "/subjects/a/versions/9/referencedby", null), 404, 40402);
    }

    @Test
    void schemasAreFetchedById() {
        int id = register("a", ORDER_V1);
        register("b", ORDER_V1);
        JsonNode byId = call("GET", "/schemas/ids/" + id, null).json();
        assertThat(byId.get("schema").asText()).isEqualTo(ORDER_V1);
        assertThat(call("GET", "/schemas/ids/" + id + "/schema", null).body()).isEqualTo(ORDER_V1);
        assertThat(call("GET", "/schemas/ids/" + id + "/subjects", null).json()).hasToString("[\"a\",\"b\"]");
        assertThat(call("GET", "/schemas/ids/" + id + "/versions", null).json())
                .hasToString("[{\"subject\":\"a\",\"version\":1},{\"subject\":\"b\",\"version\":1}]");
        assertThat(call("GET", "/schemas", null).json()).hasSize(2);
        assertError(call("GET", "/schemas/ids/999", null), 404, 40403);
        assertError(call("GET", "/schemas/ids/999/subjects", null), 404, 40403);
        assertError(call("GET", "/schemas/ids/x", null), 404, 40403);
    }

    @Test
    void deletesFollowTheSoftThenHardRule() {
        register("a", ORDER_V1);
        register("a", ORDER_V2);
        assertError(call("DELETE", "/subjects/a/versions/2?permanent=true", null), 404, 40407);
        assertThat(call("DELETE", "/subjects/a/versions/2", null).json().asInt()).isEqualTo(2);
        assertError(call("DELETE", "/subjects/a/versions/2", null), 404, 40406);
        assertThat(call("GET", "/subjects/a/versions?deleted=true", null).json()).hasToString("[1,2]");
        assertThat(call("GET", "/subjects/a/versions/2?deleted=true", null).json().get("deleted").asBoolean()).isTrue();
        assertThat(call("DELETE", "/subjects/a/versions/2?permanent=true", null).json().asInt()).isEqualTo(2);
        assertError(call("DELETE", "/subjects/a/versions/7", null), 404, 40402);
        assertError(call("DELETE", "/subjects/a/versions/x", null), 422, 42202);

        assertError(call("DELETE", "/subjects/a?permanent=true", null), 404, 40405);
        assertThat(call("DELETE", "/subjects/a", null).json()).hasToString("[1]");
        assertError(call("DELETE", "/subjects/a", null), 404, 40404);
        assertThat(call("GET", "/subjects?deleted=true", null).json()).hasToString("[\"a\"]");
        assertThat(call("DELETE", "/subjects/a?permanent=true", null).json()).hasToString("[1]");
        assertError(call("DELETE", "/subjects/a", null), 404, 40401);
    }

    @Test
    void aReferencedSchemaCannotBeDeleted() {
        String customer = "{\"type\":\"record\",\"name\":\"Customer\",\"namespace\":\"acme\",\"fields\":["
                + "{\"name\":\"name\",\"type\":\"string\"}]}";
        String order = "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"acme\",\"fields\":["
                + "{\"name\":\"customer\",\"type\":\"acme.Customer\"}]}";
        register("acme.Customer", customer);
        String body = JSON.createObjectNode().put("schema", order).set("references", JSON.createArrayNode().add(
                JSON.createObjectNode().put("name", "acme.Customer").put("subject", "acme.Customer").put("version", 1)))
                .toString();
        Reply r = call("POST", "/subjects/orders-value/versions", body);
        assertThat(r.status()).isEqualTo(200);
        int id = r.json().get("id").asInt();
        assertThat(call("GET", "/schemas/ids/" + id, null).json().get("references").get(0).get("subject").asText())
                .isEqualTo("acme.Customer");
        assertThat(call("GET", "/subjects/acme.Customer/versions/1/referencedby", null).json())
                .hasToString("[" + id + "]");
        assertError(call("DELETE", "/subjects/acme.Customer/versions/1", null), 422, 42206);
    }

    @Test
    void compatibilityCanBeTestedWithoutRegistering() {
        register("a", ORDER_V1);
        assertThat(call("POST", "/compatibility/subjects/a/versions/latest", schemaBody(ORDER_V2)).json())
                .hasToString("{\"is_compatible\":true}");
        Reply verbose = call("POST", "/compatibility/subjects/a/versions/1?verbose=true", schemaBody(INCOMPATIBLE));
        assertThat(verbose.json().get("is_compatible").asBoolean()).isFalse();
        assertThat(verbose.json().get("messages").get(0).asText()).contains("TYPE_MISMATCH");
        assertThat(call("POST", "/compatibility/subjects/a/versions", schemaBody(INCOMPATIBLE)).json()
                .get("is_compatible").asBoolean()).isFalse();
        assertThat(call("POST", "/compatibility/subjects/new/versions", schemaBody(ORDER_V1)).json()
                .get("is_compatible").asBoolean()).isTrue();
        assertError(call("POST", "/compatibility/subjects/nope/versions/latest", schemaBody(ORDER_V1)), 404, 40401);
        assertError(call("POST", "/compatibility/subjects/a/versions/5", schemaBody(ORDER_V1)), 404, 40402);
        assertError(call("POST", "/compatibility/subjects/a/versions/zero", schemaBody(ORDER_V1)), 422, 42202);
        assertError(call("POST", "/compatibility/subjects/a/versions/latest", schemaBody("{")), 422, 42201);
        assertThat(call("GET", "/subjects/a/versions", null).json()).hasToString("[1]");
    }

    @Test
    void configIsReadSetAndResetGloballyAndPerSubject() {
        assertThat(call("GET", "/config", null).json()).hasToString("{\"compatibilityLevel\":\"BACKWARD\"}");
        assertThat(call("PUT", "/config", "{\"compatibility\":\"FULL\"}").json())
                .hasToString("{\"compatibility\":\"FULL\"}");
        assertThat(call("GET", "/config", null).json().get("compatibilityLevel").asText()).isEqualTo("FULL");
        assertError(call("PUT", "/config", "{\"compatibility\":\"SIDEWAYS\"}"), 422, 42203);
        assertError(call("PUT", "/config", "{}"), 422, 42203);
        assertError(call("PUT", "/config", "not json"), 400, 400);
        assertThat(call("DELETE", "/config", null).json().get("compatibilityLevel").asText()).isEqualTo("FULL");
        assertThat(call("GET", "/config", null).json().get("compatibilityLevel").asText()).isEqualTo("BACKWARD");

        register("a", ORDER_V1);
        assertError(call("GET", "/config/a", null), 404, 40408);
        assertThat(call("GET", "/config/a?defaultToGlobal=true", null).json().get("compatibilityLevel").asText())
                .isEqualTo("BACKWARD");
        assertThat(call("PUT", "/config/a", "{\"compatibility\":\"NONE\"}").status()).isEqualTo(200);
        assertThat(call("GET", "/config/a", null).json().get("compatibilityLevel").asText()).isEqualTo("NONE");
        assertThat(call("POST", "/subjects/a/versions", schemaBody(INCOMPATIBLE)).status()).isEqualTo(200);
        assertThat(call("DELETE", "/config/a", null).json().get("compatibilityLevel").asText()).isEqualTo("NONE");
        assertError(call("DELETE", "/config/never-seen", null), 404, 40401);
    }

    @Test
    void modesAreReadSetAndEnforced() {
        assertThat(call("GET", "/mode", null).json()).hasToString("{\"mode\":\"READWRITE\"}");
        register("a", ORDER_V1);
        assertError(call("PUT", "/mode", "{\"mode\":\"BOGUS\"}"), 422, 42204);
        assertError(call("PUT", "/mode", "{\"mode\":\"IMPORT\"}"), 422, 42205);
        assertError(call("GET", "/mode/a", null), 404, 40409);
        assertThat(call("PUT", "/mode/a", "{\"mode\":\"READONLY\"}").json()).hasToString("{\"mode\":\"READONLY\"}");
        assertThat(call("GET", "/mode/a", null).json().get("mode").asText()).isEqualTo("READONLY");
        assertError(call("POST", "/subjects/a/versions", schemaBody(ORDER_V2)), 422, 42205);
        assertError(call("DELETE", "/subjects/a/versions/1", null), 422, 42205);
        assertThat(call("DELETE", "/mode/a", null).json().get("mode").asText()).isEqualTo("READONLY");
        assertThat(call("POST", "/subjects/a/versions", schemaBody(ORDER_V2)).status()).isEqualTo(200);

        assertThat(call("PUT", "/mode/imp", "{\"mode\":\"IMPORT\"}").status()).isEqualTo(200);
        String imported = JSON.createObjectNode().put("schema", ORDER_V1).put("id", 50).put("version", 3).toString();
        assertThat(call("POST", "/subjects/imp/versions", imported).json().get("id").asInt()).isEqualTo(50);
        assertThat(call("GET", "/subjects/imp/versions", null).json()).hasToString("[3]");
        assertError(call("POST", "/subjects/imp/versions", schemaBody(ORDER_V2)), 422, 42205);
    }

    @Test
    void unknownPathsAndMethodsGetHttpErrorsInTheSameEnvelope() {
        assertError(call("GET", "/nothing/here", null), 404, 404);
        assertError(call("PATCH", "/subjects", "{}"), 405, 405);
        assertError(call("DELETE", "/schemas/types", null), 405, 405);
    }

    @Test
    void aReplyThatDoesNotNeedTheBodyKeepsTheConnectionWhenTheBodyArrivesLate() throws Exception {
        // Regression: a 405 was written without reading the request body. Jetty resets a connection whose unread
        // body has not fully arrived, and the reset can overtake the reply (RestApiTest once saw no reply at all to
        // a PATCH). Here half the body comes late on purpose: the reply must arrive and the connection stay usable.
        String body = "{\"pad\":\"" + "x".repeat(20_000) + "\"}";
        byte[] bytes = body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(10_000);
            java.io.OutputStream out = socket.getOutputStream();
            java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(),
                    java.nio.charset.StandardCharsets.UTF_8));
            out.write(("PATCH /subjects HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: " + V1 + "\r\nContent-Type: " + V1
                    + "\r\nContent-Length: " + bytes.length + "\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            out.write(bytes, 0, bytes.length / 2);
            out.flush();
            Thread.sleep(300); // the server decides before the rest arrives
            out.write(bytes, bytes.length / 2, bytes.length - bytes.length / 2);
            out.flush();
            assertThat(statusAndSkipBody(in)).isEqualTo(405);

            out.write(("GET /subjects HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: " + V1 + "\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            out.flush();
            assertThat(statusAndSkipBody(in)).as("the same connection serves the next request").isEqualTo(200);
        }
    }

    /** Reads one HTTP/1.1 response with a Content-Length body; returns its status. */
    private static int statusAndSkipBody(java.io.BufferedReader in) throws IOException {
        String status = in.readLine();
        assertThat(status).as("a status line (null: the server closed the connection)").isNotNull();
        int length = 0;
        for (String h = in.readLine(); h != null && !h.isEmpty(); h = in.readLine()) {
            if (h.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                length = Integer.parseInt(h.substring("content-length:".length()).trim());
            }
        }
        for (int i = 0; i < length; i++) {
            in.read(); // bodies here are ASCII JSON: one char per byte
        }
        return Integer.parseInt(status.split(" ")[1]);
    }

    @Test
    void badRequestsLeaveStoredStateUnchanged() {
        register("a", ORDER_V1);
        String before = call("GET", "/schemas?deleted=true", null).body();
        call("POST", "/subjects/a/versions", schemaBody(INCOMPATIBLE));
        call("POST", "/subjects/a/versions", "{oops");
        call("POST", "/subjects/a/versions", schemaBody("{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[1]}"));
        call("PUT", "/config/a", "{\"compatibility\":\"MAYBE\"}");
        call("PUT", "/mode/a", "{\"mode\":\"WRITEONLY\"}");
        call("DELETE", "/subjects/a?permanent=true", null);
        assertThat(call("GET", "/schemas?deleted=true", null).body()).isEqualTo(before);
        assertError(call("GET", "/config/a", null), 404, 40408);
        assertError(call("GET", "/mode/a", null), 404, 40409);
    }
}
