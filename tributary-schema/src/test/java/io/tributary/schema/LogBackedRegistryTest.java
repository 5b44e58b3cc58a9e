package io.tributary.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.log.EventLog;
import io.tributary.log.EventLogs;
import io.tributary.log.NewTopic;
import io.tributary.log.TopicDescription;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The registry stored in a compacted topic of the real embedded log: it comes back after a restart as it was. */
@Tag("slow")
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class LogBackedRegistryTest {

    @TempDir
    Path dir;

    private EventLog openLog() {
        return EventLogs.open(Map.of("tributary.log.backend", "embedded", "tributary.log.embedded.data-dir",
                dir.toString()));
    }

    @Test
    void stateSurvivesARestartOfTheLog() {
        int v2Id;
        try (EventLog log = openLog(); SchemaRegistry registry = SchemaRegistry.open(log)) {
            registry.register("orders-value", SchemaText.avro(SchemaRegistryTest.ORDER_V1));
            v2Id = registry.register("orders-value", SchemaText.avro(SchemaRegistryTest.ORDER_V2));
            registry.register("audit-value", SchemaText.avro(SchemaRegistryTest.ORDER_V3));
            registry.deleteSubject("audit-value", false);
            registry.deleteSubject("audit-value", true);
            registry.setGlobalCompatibility(CompatibilityLevel.FULL_TRANSITIVE);
            registry.setSubjectMode("orders-value", RegistryMode.READONLY, false);
            registry.register("scratch", SchemaText.avro("\"string\""));
            registry.deleteVersion("scratch", 1, false);

            TopicDescription topic = log.admin().describeTopic("_schemas");
            assertThat(topic.partitionCount()).isEqualTo(1);
            assertThat(topic.config().isCompacted()).isTrue();
        }
        try (EventLog log = openLog(); SchemaRegistry registry = SchemaRegistry.open(log)) {
            assertThat(registry.subjects()).containsExactly("orders-value");
            assertThat(registry.subjects("", true, false)).containsExactly("orders-value", "scratch");
            assertThat(registry.latest("orders-value").id()).isEqualTo(v2Id);
            assertThat(registry.latest("orders-value").schema()).isEqualTo(SchemaRegistryTest.ORDER_V2);
            assertThat(registry.globalCompatibility()).isEqualTo(CompatibilityLevel.FULL_TRANSITIVE);
            assertThat(registry.subjectMode("orders-value", false)).isEqualTo(RegistryMode.READONLY);
            assertThatThrownBy(() -> registry.schemaById(3)).as("hard-deleted").hasMessageContaining("not found");
            // ids continue after the hard-deleted one, never reusing it
            assertThat(registry.register("fresh", SchemaText.avro("{\"type\":\"enum\",\"name\":\"E\","
                    + "\"symbols\":[\"A\"]}"))).isEqualTo(5);
        }
    }

    @Test
    void theServerComesBackWithItsSchemasFromTheDataDir() throws Exception {
        String body = "{\"schema\":\"" + SchemaRegistryTest.ORDER_V1.replace("\"", "\\\"") + "\"}";
        try (HttpClient http = HttpClient.newHttpClient()) {
            try (RegistryServer server = RegistryServer.start("127.0.0.1", 0, dir)) {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(server.url()
                                + "/subjects/orders-value/versions")).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.body()).isEqualTo("{\"id\":1}");
            }
            try (RegistryServer server = RegistryServer.start("127.0.0.1", 0, dir)) {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(server.url()
                        + "/schemas/ids/1/schema")).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.body()).isEqualTo(SchemaRegistryTest.ORDER_V1);
            }
        }
    }

    @Test
    void refusesAStateTopicThatIsNotCompacted() {
        try (EventLog log = openLog()) {
            log.admin().createTopic(NewTopic.of("_schemas", 1));
            assertThatThrownBy(() -> SchemaRegistry.open(log)).hasMessageContaining("cleanup.policy=compact");
        }
    }
}
