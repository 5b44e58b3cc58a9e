package io.tributary.schema;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.core.TributaryException;
import io.tributary.schema.internal.InMemoryRegistryStore;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Properties of the registry's state machine over random sequences of operations (jqwik prints the seed of a
 * failing run; re-run it with {@code @Property(seed = "...")}).
 */
class RegistryReplayProperties {

    private static final List<String> SCHEMAS = List.of(
            SchemaRegistryTest.ORDER_V1, SchemaRegistryTest.ORDER_V2, SchemaRegistryTest.ORDER_V3,
            SchemaRegistryTest.ORDER_V1.replace("\"string\"", "\"int\""),
            "\"string\"", "{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"B\"]}");
    private static final List<String> SUBJECTS = List.of("a", "b", "c");

    /** One operation: kind, subject, schema index, version, level or mode index. */
    record Op(int kind, String subject, int schema, int version, int choice) {
    }

    @Provide
    Arbitrary<List<Op>> operations() {
        return Combinators.combine(Arbitraries.integers().between(0, 6), Arbitraries.of(SUBJECTS),
                        Arbitraries.integers().between(0, SCHEMAS.size() - 1), Arbitraries.integers().between(1, 4),
                        Arbitraries.integers().between(0, 6))
                .as(Op::new).list().ofMaxSize(40);
    }

    private static void apply(SchemaRegistry r, Op op) {
        try {
            switch (op.kind()) {
                case 0, 1 -> r.register(op.subject(), SchemaText.avro(SCHEMAS.get(op.schema())));
                case 2 -> r.deleteVersion(op.subject(), op.version(), false);
                case 3 -> r.deleteVersion(op.subject(), op.version(), true);
                case 4 -> r.deleteSubject(op.subject(), op.choice() % 2 == 0);
                case 5 -> r.setSubjectCompatibility(op.subject(), CompatibilityLevel.values()[op.choice()]);
                default -> r.setSubjectMode(op.subject(), op.choice() % 3 == 0 ? RegistryMode.READONLY
                        : RegistryMode.READWRITE, false);
            }
        } catch (TributaryException expected) {
            // refused operations are part of the sequence: they must change nothing
        }
    }

    private static Map<String, Object> snapshot(SchemaRegistry r) {
        Map<String, Object> s = new HashMap<>();
        s.put("schemas", r.schemas("", true, false));
        for (String subject : SUBJECTS) {
            s.put("level-" + subject, r.compatibility(subject));
            s.put("mode-" + subject, r.subjectMode(subject, true));
        }
        return s;
    }

    @Property(tries = 60)
    void aReplayedRegistryEqualsTheOneThatWroteTheStore(@ForAll("operations") List<Op> ops) {
        InMemoryRegistryStore store = new InMemoryRegistryStore();
        SchemaRegistry writer = new SchemaRegistry(store, RegistryConfig.defaults());
        ops.forEach(op -> apply(writer, op));
        SchemaRegistry replayed = new SchemaRegistry(store, RegistryConfig.defaults());
        assertThat(snapshot(replayed)).isEqualTo(snapshot(writer));
    }

    @Property(tries = 60)
    void oneIdPerSchemaAndVersionsIncreaseWithinASubject(@ForAll("operations") List<Op> ops) {
        SchemaRegistry registry = SchemaRegistry.inMemory();
        ops.forEach(op -> apply(registry, op));
        Map<String, Integer> idBySchema = new HashMap<>();
        Map<Integer, String> schemaById = new HashMap<>();
        Map<String, Integer> lastVersion = new HashMap<>();
        for (RegisteredSchema s : registry.schemas("", true, false)) {
            assertThat(Optional.ofNullable(idBySchema.putIfAbsent(s.schema(), s.id()))).isIn(Optional.empty(),
                    Optional.of(s.id()));
            assertThat(Optional.ofNullable(schemaById.putIfAbsent(s.id(), s.schema()))).isIn(Optional.empty(),
                    Optional.of(s.schema()));
            Integer before = lastVersion.put(s.subject(), s.version());
            assertThat(before == null || before < s.version()).isTrue();
        }
    }

    @Example
    void concurrentRegistrationsGetDistinctConsecutiveVersions() throws Exception {
        for (int round = 0; round < 10; round++) {
            concurrentRound();
        }
    }

    private void concurrentRound() throws Exception {
        SchemaRegistry registry = SchemaRegistry.inMemory();
        registry.setSubjectCompatibility("s", CompatibilityLevel.NONE);
        List<String> schemas = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            schemas.add("{\"type\":\"fixed\",\"name\":\"F" + i + "\",\"size\":" + (i + 1) + "}");
        }
        List<Future<Integer>> ids = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
            for (String s : schemas) {
                ids.add(pool.submit(() -> registry.register("s", SchemaText.avro(s))));
                ids.add(pool.submit(() -> registry.register("s", SchemaText.avro(s))));
            }
        }
        List<Integer> distinct = new ArrayList<>();
        for (Future<Integer> f : ids) {
            distinct.add(f.get());
        }
        assertThat(distinct.stream().distinct().count()).isEqualTo(16);
        assertThat(registry.versions("s")).containsExactlyElementsOf(
                java.util.stream.IntStream.rangeClosed(1, 16).boxed().toList());
    }
}
