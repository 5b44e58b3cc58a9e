package io.tributary.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The compatibility matrix: every level against every kind of change, registering v1 then v2 through the registry
 * (so the whole path — parse, level lookup, Avro's reader/writer check — is exercised). "Backward" means v2 reads v1
 * data; "forward" means v1 reads v2 data; a level accepts v2 iff the directions it checks hold.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CompatibilityMatrixTest {

    private static final boolean Y = true;
    private static final boolean N = false;

    /** One schema change: v1 → v2 and whether each direction holds. */
    record Change(String name, String v1, String v2, boolean backward, boolean forward) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static String record(String fields) {
        return "{\"type\":\"record\",\"name\":\"Event\",\"namespace\":\"acme\",\"fields\":[" + fields + "]}";
    }

    private static String field(String name, String type) {
        return "{\"name\":\"" + name + "\",\"type\":" + type + "}";
    }

    private static String field(String name, String type, String dflt) {
        return "{\"name\":\"" + name + "\",\"type\":" + type + ",\"default\":" + dflt + "}";
    }

    private static String one(String type) {
        return record(field("v", type));
    }

    private static String enumOf(String symbols, String dflt) {
        return "{\"type\":\"enum\",\"name\":\"Status\",\"symbols\":[" + symbols + "]"
                + (dflt == null ? "" : ",\"default\":" + dflt) + "}";
    }

    private static String nested(String innerFields) {
        return record(field("customer", "{\"type\":\"record\",\"name\":\"Customer\",\"fields\":[" + innerFields + "]}"));
    }

    static List<Change> changes() {
        String id = field("id", "\"string\"");
        return List.of(
                new Change("field added with default", record(id), record(id + "," + field("n", "\"int\"", "0")), Y, Y),
                new Change("field added without default", record(id), record(id + "," + field("n", "\"int\"")), N, Y),
                new Change("field removed that had a default", record(id + "," + field("n", "\"int\"", "0")), record(id), Y, Y),
                new Change("field removed without default", record(id + "," + field("n", "\"int\"")), record(id), Y, N),
                new Change("int promoted to long", one("\"int\""), one("\"long\""), Y, N),
                new Change("long promoted to float", one("\"long\""), one("\"float\""), Y, N),
                new Change("float promoted to double", one("\"float\""), one("\"double\""), Y, N),
                new Change("int promoted to double", one("\"int\""), one("\"double\""), Y, N),
                new Change("long narrowed to int", one("\"long\""), one("\"int\""), N, Y),
                new Change("string to bytes", one("\"string\""), one("\"bytes\""), Y, Y),
                new Change("bytes to string", one("\"bytes\""), one("\"string\""), Y, Y),
                new Change("string to int", one("\"string\""), one("\"int\""), N, N),
                new Change("enum symbol added, no enum default", one(enumOf("\"A\",\"B\"", null)),
                        one(enumOf("\"A\",\"B\",\"C\"", null)), Y, N),
                new Change("enum symbol added, enum default", one(enumOf("\"A\",\"B\"", "\"A\"")),
                        one(enumOf("\"A\",\"B\",\"C\"", "\"A\"")), Y, Y),
                new Change("enum symbol removed, no enum default", one(enumOf("\"A\",\"B\",\"C\"", null)),
                        one(enumOf("\"A\",\"B\"", null)), N, Y),
                new Change("enum symbol removed, enum default", one(enumOf("\"A\",\"B\",\"C\"", "\"A\"")),
                        one(enumOf("\"A\",\"B\"", "\"A\"")), Y, Y),
                new Change("union widened", one("[\"null\",\"string\"]"), one("[\"null\",\"string\",\"int\"]"), Y, N),
                new Change("union narrowed", one("[\"null\",\"string\",\"int\"]"), one("[\"null\",\"string\"]"), N, Y),
                new Change("type made nullable", one("\"string\""), one("[\"null\",\"string\"]"), Y, N),
                new Change("nested record: field added with default", nested(id),
                        nested(id + "," + field("tier", "\"int\"", "1")), Y, Y),
                new Change("nested record: field added without default", nested(id),
                        nested(id + "," + field("tier", "\"int\"")), N, Y),
                new Change("array items int to long", one("{\"type\":\"array\",\"items\":\"int\"}"),
                        one("{\"type\":\"array\",\"items\":\"long\"}"), Y, N),
                new Change("array items string to int", one("{\"type\":\"array\",\"items\":\"string\"}"),
                        one("{\"type\":\"array\",\"items\":\"int\"}"), N, N),
                new Change("map values int to long", one("{\"type\":\"map\",\"values\":\"int\"}"),
                        one("{\"type\":\"map\",\"values\":\"long\"}"), Y, N),
                new Change("map values long to int", one("{\"type\":\"map\",\"values\":\"long\"}"),
                        one("{\"type\":\"map\",\"values\":\"int\"}"), N, Y),
                new Change("field renamed with alias", record(field("name", "\"string\"")),
                        record("{\"name\":\"fullName\",\"type\":\"string\",\"aliases\":[\"name\"]}"), Y, N),
                new Change("field renamed without alias", record(field("name", "\"string\"")),
                        record(field("fullName", "\"string\"")), N, N),
                new Change("record renamed with alias",
                        "{\"type\":\"record\",\"name\":\"Event\",\"namespace\":\"acme\",\"fields\":[" + id + "]}",
                        "{\"type\":\"record\",\"name\":\"Happening\",\"namespace\":\"acme\",\"aliases\":[\"acme.Event\"],"
                                + "\"fields\":[" + id + "]}", Y, N),
                new Change("fixed size changed", one("{\"type\":\"fixed\",\"name\":\"Hash\",\"size\":16}"),
                        one("{\"type\":\"fixed\",\"name\":\"Hash\",\"size\":32}"), N, N),
                new Change("fixed size kept", one("{\"type\":\"fixed\",\"name\":\"Hash\",\"size\":16}"),
                        one("{\"type\":\"fixed\",\"name\":\"Hash\",\"size\":16,\"doc\":\"sha\"}"), Y, Y),
                new Change("namespace changed",
                        "{\"type\":\"record\",\"name\":\"Event\",\"namespace\":\"acme.v1\",\"fields\":[" + id + "]}",
                        "{\"type\":\"record\",\"name\":\"Event\",\"namespace\":\"acme.v2\",\"fields\":[" + id + "]}", Y, Y));
    }

    static Stream<Arguments> matrix() {
        List<Arguments> out = new ArrayList<>();
        for (Change c : changes()) {
            for (CompatibilityLevel level : CompatibilityLevel.values()) {
                boolean accepted = (!level.checksBackward() || c.backward()) && (!level.checksForward() || c.forward());
                out.add(Arguments.of(c, level, accepted));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{1}: {0} -> accepted={2}")
    @MethodSource("matrix")
    void registersTheSecondVersionOnlyWhenTheLevelAllowsTheChange(Change change, CompatibilityLevel level,
                                                                  boolean accepted) {
        try (SchemaRegistry registry = SchemaRegistry.inMemory()) {
            registry.setSubjectCompatibility("s", level);
            registry.register("s", SchemaText.avro(change.v1()));
            CompatibilityResult tested = registry.testCompatibility("s", SchemaText.avro(change.v2()));
            assertThat(tested.compatible()).as("test endpoint agrees").isEqualTo(accepted);
            if (accepted) {
                assertThat(registry.register("s", SchemaText.avro(change.v2()), RegisterOptions.DEFAULT).version())
                        .isEqualTo(2);
            } else {
                assertThatThrownBy(() -> registry.register("s", SchemaText.avro(change.v2())))
                        .isInstanceOfSatisfying(IncompatibleSchemaException.class, e -> {
                            assertThat(e.subject()).isEqualTo("s");
                            assertThat(e.level()).isEqualTo(level);
                            assertThat(e.incompatibilities()).isNotEmpty()
                                    .allSatisfy(i -> assertThat(i.location()).startsWith("/"));
                            assertThat(e.getMessage()).contains("\"s\"", level.name());
                        });
                assertThat(registry.versions("s")).containsExactly(1);
            }
        }
    }

    // ---- transitive chains of three versions: v1 -> v2 passes everything, v3 breaks only against v1

    private static final String V1 = record(field("a", "\"int\""));
    private static final String V2 = record(field("a", "\"int\"") + "," + field("b", "\"string\"", "\"x\""));
    private static final String V3 = record(field("a", "\"int\"") + "," + field("b", "\"string\""));

    static Stream<Arguments> chains() {
        return Stream.of(
                // v3 drops b's default: reads v2 data (b present) but not v1 data (b missing, no default)
                Arguments.of(CompatibilityLevel.BACKWARD, V1, V2, V3, true),
                Arguments.of(CompatibilityLevel.BACKWARD_TRANSITIVE, V1, V2, V3, false),
                Arguments.of(CompatibilityLevel.FULL, V1, V2, V3, true),
                Arguments.of(CompatibilityLevel.FULL_TRANSITIVE, V1, V2, V3, false),
                // reversed: v1 has b without default, v2 gives it one, v3 removes b: v2 can read v3, v1 cannot
                Arguments.of(CompatibilityLevel.FORWARD, V3, V2, V1, true),
                Arguments.of(CompatibilityLevel.FORWARD_TRANSITIVE, V3, V2, V1, false),
                // NONE accepts even a change no reader survives
                Arguments.of(CompatibilityLevel.NONE, V1, V2, record(field("a", "\"string\"")), true));
    }

    @ParameterizedTest(name = "{0}: third version accepted={4}")
    @MethodSource("chains")
    void transitiveLevelsCompareWithEveryVersionAndOthersOnlyWithTheLatest(CompatibilityLevel level, String v1,
                                                                           String v2, String v3, boolean accepted) {
        try (SchemaRegistry registry = SchemaRegistry.inMemory()) {
            registry.setSubjectCompatibility("chain", CompatibilityLevel.NONE);
            registry.register("chain", SchemaText.avro(v1));
            registry.register("chain", SchemaText.avro(v2));
            registry.setSubjectCompatibility("chain", level);
            if (accepted) {
                assertThat(registry.register("chain", SchemaText.avro(v3), RegisterOptions.DEFAULT).version())
                        .isEqualTo(3);
            } else {
                assertThatThrownBy(() -> registry.register("chain", SchemaText.avro(v3)))
                        .isInstanceOfSatisfying(IncompatibleSchemaException.class, e ->
                                assertThat(e.incompatibilities()).extracting(Incompatibility::againstVersion)
                                        .containsOnly(1));
            }
        }
    }

    @Test
    void softDeletedVersionsAreLeftOutOfTransitiveChecks() {
        try (SchemaRegistry registry = SchemaRegistry.inMemory()) {
            registry.setSubjectCompatibility("chain", CompatibilityLevel.BACKWARD_TRANSITIVE);
            registry.register("chain", SchemaText.avro(V1));
            registry.register("chain", SchemaText.avro(V2));
            assertThatThrownBy(() -> registry.register("chain", SchemaText.avro(V3)))
                    .isInstanceOf(IncompatibleSchemaException.class);
            registry.deleteVersion("chain", 1, false);
            assertThat(registry.register("chain", SchemaText.avro(V3), RegisterOptions.DEFAULT).version()).isEqualTo(3);
        }
    }

    @Test
    void reportsEveryIncompatibilityWithItsLocationNotOnlyTheFirst() {
        try (SchemaRegistry registry = SchemaRegistry.inMemory()) {
            registry.register("s", SchemaText.avro(record(field("id", "\"string\""))));
            String twoMissing = record(field("id", "\"string\"") + "," + field("x", "\"int\"") + ","
                    + field("y", "\"int\""));
            CompatibilityResult r = registry.testCompatibility("s", SchemaText.avro(twoMissing));
            assertThat(r.compatible()).isFalse();
            assertThat(r.incompatibilities()).extracting(Incompatibility::type)
                    .containsOnly("READER_FIELD_MISSING_DEFAULT_VALUE");
            assertThat(r.incompatibilities()).extracting(Incompatibility::location)
                    .containsExactly("/fields/1", "/fields/2");
            assertThat(r.messages()).allSatisfy(m -> assertThat(m).contains("BACKWARD", "version:1"));
        }
    }

    @Test
    void theDefaultLevelIsBackward() {
        try (SchemaRegistry registry = SchemaRegistry.inMemory()) {
            assertThat(registry.globalCompatibility()).isEqualTo(CompatibilityLevel.BACKWARD);
            assertThat(registry.compatibility("anything")).isEqualTo(CompatibilityLevel.BACKWARD);
        }
    }
}
