package io.tributary.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.core.InvalidRequestException;
import io.tributary.core.NotFoundException;
import io.tributary.core.TributaryException;
import io.tributary.schema.internal.InMemoryRegistryStore;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The registry's rules, in process: versions, ids, deletes, references, normalization, modes, replay. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SchemaRegistryTest {

    static final String ORDER_V1 = "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"acme\",\"fields\":["
            + "{\"name\":\"id\",\"type\":\"string\"}]}";
    static final String ORDER_V2 = "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"acme\",\"fields\":["
            + "{\"name\":\"id\",\"type\":\"string\"},{\"name\":\"qty\",\"type\":\"int\",\"default\":1}]}";
    static final String ORDER_V3 = "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"acme\",\"fields\":["
            + "{\"name\":\"id\",\"type\":\"string\"},{\"name\":\"qty\",\"type\":\"int\",\"default\":1},"
            + "{\"name\":\"note\",\"type\":[\"null\",\"string\"],\"default\":null}]}";

    private final InMemoryRegistryStore store = new InMemoryRegistryStore();
    private final SchemaRegistry registry = new SchemaRegistry(store, RegistryConfig.defaults());

    private static SchemaText avro(String s) {
        return SchemaText.avro(s);
    }

    private static ErrorCodeAssert code(Throwable t) {
        return new ErrorCodeAssert(((TributaryException) t).code().name());
    }

    private record ErrorCodeAssert(String code) {
    }

    @Test
    void registeringTheSameSchemaAgainReturnsTheExistingIdAndVersionWithoutACheck() {
        RegisteredSchema first = registry.register("orders-value", avro(ORDER_V1), RegisterOptions.DEFAULT);
        registry.register("orders-value", avro(ORDER_V2));
        registry.setSubjectCompatibility("orders-value", CompatibilityLevel.FORWARD);
        // v1 again: identical to an existing version, so no new version and no compatibility check
        RegisteredSchema again = registry.register("orders-value", avro(ORDER_V1), RegisterOptions.DEFAULT);
        assertThat(again.id()).isEqualTo(first.id());
        assertThat(again.version()).isEqualTo(1);
        assertThat(registry.versions("orders-value")).containsExactly(1, 2);
    }

    @Test
    void sameSchemaDetectionIgnoresWhitespaceAndAttributeOrder() {
        int id = registry.register("s", avro(ORDER_V1));
        String reordered = "{ \"fields\" : [ { \"type\" : \"string\", \"name\" : \"id\" } ],\n"
                + "  \"namespace\": \"acme\", \"name\": \"Order\", \"type\": \"record\" }";
        assertThat(registry.register("s", avro(reordered))).isEqualTo(id);
        assertThat(registry.lookup("s", avro(reordered))).map(RegisteredSchema::version).contains(1);
        // a default is meaning, not formatting: a schema that differs only by a default is another schema
        String withDefault = ORDER_V1.replace("\"type\":\"string\"}", "\"type\":\"string\",\"default\":\"\"}");
        assertThat(registry.register("s", avro(withDefault))).isNotEqualTo(id);
    }

    @Test
    void normalizeStoresTheCanonicalText() {
        String spaced = "{ \"type\" : \"record\", \"name\" : \"Order\", \"namespace\":\"acme\", \"fields\" : [ "
                + "{ \"name\" : \"id\", \"type\" : \"string\" } ] }";
        RegisteredSchema r = registry.register("s", avro(spaced), new RegisterOptions(true,
                java.util.OptionalInt.empty(), java.util.OptionalInt.empty()));
        assertThat(r.schema()).isEqualTo(ORDER_V1);
    }

    @Test
    void theSameSchemaUnderTwoSubjectsSharesOneIdAndIdsAreNeverReused() {
        int a = registry.register("a", avro(ORDER_V1));
        int b = registry.register("b", avro(ORDER_V1));
        assertThat(b).isEqualTo(a);
        int c = registry.register("c", avro(ORDER_V2));
        assertThat(c).isEqualTo(a + 1);
        registry.deleteSubject("c", false);
        registry.deleteSubject("c", true);
        assertThatThrownBy(() -> registry.schemaById(c)).isInstanceOf(NotFoundException.class);
        // after a hard delete of the newest id, and even after a restart, the next id is new
        SchemaRegistry restarted = new SchemaRegistry(store, RegistryConfig.defaults());
        assertThat(restarted.register("d", avro(ORDER_V3))).isEqualTo(c + 1);
        assertThat(registry.subjectsForId(a, false)).containsExactly("a", "b");
    }

    @Test
    void versionsContinueAfterDeletedOnes() {
        registry.register("s", avro(ORDER_V1));
        registry.register("s", avro(ORDER_V2));
        registry.deleteVersion("s", 2, false);
        assertThat(registry.register("s", avro(ORDER_V3), RegisterOptions.DEFAULT).version()).isEqualTo(3);
        assertThat(registry.versions("s", false, false)).containsExactly(1, 3);
        assertThat(registry.versions("s", true, false)).containsExactly(1, 2, 3);
        assertThat(registry.versions("s", false, true)).containsExactly(2);
    }

    @Test
    void softDeleteHidesAVersionButKeepsItsIdReadable() {
        int id = registry.register("s", avro(ORDER_V1));
        registry.register("s", avro(ORDER_V2));
        assertThat(registry.deleteVersion("s", 1, false)).isEqualTo(1);
        assertThatThrownBy(() -> registry.version("s", 1, false)).isInstanceOf(NotFoundException.class)
                .satisfies(e -> assertThat(code(e).code()).isEqualTo("VERSION_NOT_FOUND"));
        assertThat(registry.version("s", 1, true).deleted()).isTrue();
        assertThat(registry.schemaById(id).schema()).isEqualTo(ORDER_V1);
        assertThatThrownBy(() -> registry.deleteVersion("s", 1, false))
                .satisfies(e -> assertThat(code(e).code()).isEqualTo("VERSION_SOFT_DELETED"));
    }

    @Test
    void hardDeleteIsAllowedOnlyAfterASoftDelete() {
        registry.register("s", avro(ORDER_V1));
        registry.register("s", avro(ORDER_V2));
        assertThatThrownBy(() -> registry.deleteVersion("s", 1, true))
                .satisfies(e -> assertThat(code(e).code()).isEqualTo("VERSION_NOT_SOFT_DELETED"));
        assertThatThrownBy(() -> registry.deleteSubject("s", true))
                .satisfies(e -> assertThat(code(e).code()).isEqualTo("SUBJECT_NOT_SOFT_DELETED"));
        assertThat(registry.deleteSubject("s", false)).containsExactly(1, 2);
        assertThatThrownBy(() -> registry.deleteSubject("s", false))
                .satisfies(e -> assertThat(code(e).code()).isEqualTo("SUBJECT_SOFT_DELETED"));
        assertThat(registry.subjects()).isEmpty();
        assertThat(registry.subjects("", true, false)).containsExactly("s");
        registry.setSubjectCompatibility("s", CompatibilityLevel.FULL);
        assertThat(registry.deleteSubject("s", true)).containsExactly(1, 2);
        assertThat(registry.subjects("", true, false)).isEmpty();
        assertThat(registry.compatibility("s")).as("hard delete drops the subject's level")
                .isEqualTo(CompatibilityLevel.BACKWARD);
        assertThatThrownBy(() -> registry.deleteSubject("s", true))
                .satisfies(e -> assertThat(code(e).code()).isEqualTo("SUBJECT_NOT_FOUND"));
    }

    @Test
    void referencesResolveNamedTypesFromOtherSubjectsAndProtectThemFromDeletion() {
        String customer = "{\"type\":\"record\",\"name\":\"Customer\",\"namespace\":\"acme\",\"fields\":["
                + "{\"name\":\"name\",\"type\":\"string\"}]}";
        String order = "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"acme\",\"fields\":["
                + "{\"name\":\"customer\",\"type\":\"acme.Customer\"}]}";
        int customerId = registry.register("acme.Customer", avro(customer));
        SchemaText withRef = new SchemaText("AVRO", order, List.of(new SchemaReference("acme.Customer",
                "acme.Customer", 1)));
        int orderId = registry.register("orders-value", withRef);
        assertThat(registry.avroSchemaById(orderId).getField("customer").schema().getField("name")).isNotNull();
        assertThat(registry.referencedBy("acme.Customer", 1, false)).containsExactly(orderId);
        assertThatThrownBy(() -> registry.deleteVersion("acme.Customer", 1, false))
                .satisfies(e -> assertThat(code(e).code()).isEqualTo("REFERENCE_EXISTS"));
        assertThat(registry.schemaById(customerId).schema()).isEqualTo(customer);
        // without the reference the type is unknown
        assertThatThrownBy(() -> registry.register("other", avro(order)))
                .satisfies(e -> assertThat(code(e).code()).isEqualTo("INVALID_SCHEMA"));
        SchemaText dangling = new SchemaText("AVRO", order, List.of(new SchemaReference("acme.Customer", "nope", 1)));
        assertThatThrownBy(() -> registry.register("other", dangling))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("nope");
    }

    @Test
    void readOnlyModeRefusesWritesAndImportModeTakesGivenIdsWithoutChecks() {
        registry.register("s", avro(ORDER_V1));
        registry.setSubjectMode("s", RegistryMode.READONLY, false);
        assertThatThrownBy(() -> registry.register("s", avro(ORDER_V2)))
                .satisfies(e -> assertThat(code(e).code()).isEqualTo("OPERATION_NOT_PERMITTED"))
                .hasMessageContaining("read-only");
        assertThatThrownBy(() -> registry.deleteSubject("s", false))
                .satisfies(e -> assertThat(code(e).code()).isEqualTo("OPERATION_NOT_PERMITTED"));
        assertThat(registry.deleteSubjectMode("s")).isEqualTo(RegistryMode.READONLY);

        assertThatThrownBy(() -> registry.setGlobalMode(RegistryMode.IMPORT, false))
                .satisfies(e -> assertThat(code(e).code()).isEqualTo("OPERATION_NOT_PERMITTED"));
        registry.setSubjectMode("imported", RegistryMode.IMPORT, false);
        String incompatible = ORDER_V1.replace("\"string\"", "\"int\"");
        registry.register("imported", avro(ORDER_V1), RegisterOptions.imported(100, 5));
        RegisteredSchema r = registry.register("imported", avro(incompatible), RegisterOptions.imported(101, 6));
        assertThat(r.id()).isEqualTo(101);
        assertThat(r.version()).isEqualTo(6);
        assertThatThrownBy(() -> registry.register("imported", avro(ORDER_V3), RegisterOptions.imported(100, 7)))
                .satisfies(e -> assertThat(code(e).code()).isEqualTo("OPERATION_NOT_PERMITTED"))
                .hasMessageContaining("id 100");
        assertThatThrownBy(() -> registry.register("s", avro(ORDER_V2), RegisterOptions.imported(200, 2)))
                .hasMessageContaining("not in import mode");
        // new ids after an import continue above the imported ones
        registry.deleteSubjectMode("imported");
        assertThat(registry.register("fresh", avro(ORDER_V3))).isEqualTo(102);
    }

    @Test
    void aRefusedRequestChangesNothing() {
        registry.register("s", avro(ORDER_V1));
        int recordsBefore = countStoreRecords();
        assertThatThrownBy(() -> registry.register("s", avro("{\"type\":\"recrd\"}"))).isInstanceOf(
                InvalidRequestException.class);
        assertThatThrownBy(() -> registry.register("s", avro(ORDER_V1.replace("string", "int"))))
                .isInstanceOf(IncompatibleSchemaException.class);
        assertThatThrownBy(() -> registry.deleteVersion("s", 9, false)).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> CompatibilityLevel.parse("SIDEWAYS")).hasMessageContaining("BACKWARD_TRANSITIVE");
        assertThat(countStoreRecords()).isEqualTo(recordsBefore);
        assertThat(registry.versions("s")).containsExactly(1);
    }

    @Test
    void aRestartedRegistryHasExactlyTheStateOfTheOldOne() {
        registry.register("a", avro(ORDER_V1));
        registry.register("a", avro(ORDER_V2));
        registry.register("b", avro(ORDER_V3));
        registry.deleteVersion("a", 1, false);
        registry.setGlobalCompatibility(CompatibilityLevel.FULL);
        registry.setSubjectCompatibility("b", CompatibilityLevel.NONE);
        registry.setSubjectMode("b", RegistryMode.READONLY, false);

        SchemaRegistry restarted = new SchemaRegistry(store, RegistryConfig.defaults());
        assertThat(restarted.schemas("", true, false)).isEqualTo(registry.schemas("", true, false));
        assertThat(restarted.globalCompatibility()).isEqualTo(CompatibilityLevel.FULL);
        assertThat(restarted.compatibility("b")).isEqualTo(CompatibilityLevel.NONE);
        assertThat(restarted.subjectMode("b", false)).isEqualTo(RegistryMode.READONLY);
        assertThat(restarted.versions("a")).containsExactly(2);
    }

    @Test
    void versionNumbersAndSubjectsAreValidated() {
        assertThatThrownBy(() -> registry.version("s", 0, false))
                .satisfies(e -> assertThat(code(e).code()).isEqualTo("INVALID_VERSION"));
        assertThatThrownBy(() -> registry.register("", avro(ORDER_V1)))
                .satisfies(e -> assertThat(code(e).code()).isEqualTo("INVALID_SUBJECT"));
        assertThatThrownBy(() -> registry.register("s", new SchemaText("PROTOBUF", "syntax = \"proto3\";", List.of())))
                .satisfies(e -> assertThat(code(e).code()).isEqualTo("INVALID_SCHEMA"))
                .hasMessageContaining("AVRO");
        SchemaRegistry small = new SchemaRegistry(new InMemoryRegistryStore(),
                RegistryConfig.defaults().withMaxSchemaBytes(1024));
        String big = ORDER_V1.replace("\"id\"", "\"" + "x".repeat(2000) + "\"");
        assertThatThrownBy(() -> small.register("s", avro(big)))
                .satisfies(e -> assertThat(code(e).code()).isEqualTo("SCHEMA_TOO_LARGE"));
    }

    private int countStoreRecords() {
        int[] n = {0};
        store.replay((k, v) -> n[0]++);
        return n[0];
    }
}
