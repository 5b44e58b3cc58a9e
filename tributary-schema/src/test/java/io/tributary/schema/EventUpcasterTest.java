package io.tributary.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.schema.testmodel.OrderPlaced;
import java.util.concurrent.TimeUnit;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Stored events of old schemas come out in the current schema: by resolution, or by a hand-written step. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EventUpcasterTest {

    private static final Schema NAME_V1 = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"Registered\","
            + "\"fields\":[{\"name\":\"fullName\",\"type\":\"string\"}]}");
    private static final Schema NAME_V2 = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"Registered\","
            + "\"fields\":[{\"name\":\"first\",\"type\":\"string\"},{\"name\":\"last\",\"type\":\"string\"}]}");
    private static final Schema NAME_V3 = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"Registered\","
            + "\"fields\":[{\"name\":\"first\",\"type\":\"string\"},{\"name\":\"last\",\"type\":\"string\"},"
            + "{\"name\":\"locale\",\"type\":\"string\",\"default\":\"en\"}]}");

    private final SchemaRegistry registry = SchemaRegistry.inMemory();
    private final AvroSerializer serializer = new AvroSerializer(registry);

    @Test
    void resolutionAloneUpcastsWhenTheSchemasAreCompatible() {
        byte[] stored = serializer.serialize("orders", SerdeTest.v1("o-1", 5));
        GenericRecord current = EventUpcaster.builder(registry, OrderPlaced.getClassSchema()).build().upcast(stored);
        assertThat(current.getSchema()).isEqualTo(OrderPlaced.getClassSchema());
        assertThat(current.get("quantity")).isEqualTo(1);
        assertThat(current.get("amountCents")).isEqualTo(5L);
    }

    @Test
    void aStepMigratesWhatResolutionCannotThenResolutionDoesTheRest() {
        registry.setSubjectCompatibility("people-value", CompatibilityLevel.NONE);
        GenericRecord v1 = new GenericData.Record(NAME_V1);
        v1.put("fullName", "Ada Lovelace");
        byte[] storedV1 = serializer.serialize("people", v1);
        GenericRecord v2 = new GenericData.Record(NAME_V2);
        v2.put("first", "Alan");
        v2.put("last", "Turing");
        byte[] storedV2 = serializer.serialize("people", v2);

        EventUpcaster upcaster = EventUpcaster.builder(registry, NAME_V3).step(NAME_V1, old -> {
            String[] parts = old.get("fullName").toString().split(" ", 2);
            GenericRecord next = new GenericData.Record(NAME_V2);
            next.put("first", parts[0]);
            next.put("last", parts[1]);
            return next;
        }).build();

        GenericRecord a = upcaster.upcast(storedV1);
        assertThat(a.getSchema()).isEqualTo(NAME_V3);
        assertThat(a.get("first").toString()).isEqualTo("Ada");
        assertThat(a.get("last").toString()).isEqualTo("Lovelace");
        assertThat(a.get("locale").toString()).isEqualTo("en");
        GenericRecord b = upcaster.upcast(storedV2);
        assertThat(b.get("first").toString()).isEqualTo("Alan");
        assertThat(b.get("locale").toString()).isEqualTo("en");
    }

    @Test
    void withoutAStepAnUnreadableOldEventFailsSayingWhatToAdd() {
        registry.setSubjectCompatibility("people-value", CompatibilityLevel.NONE);
        GenericRecord v1 = new GenericData.Record(NAME_V1);
        v1.put("fullName", "Ada Lovelace");
        byte[] stored = serializer.serialize("people", v1);
        assertThatThrownBy(() -> EventUpcaster.builder(registry, NAME_V3).build().upcast(stored))
                .hasMessageContaining("cannot read data written with schema id 1")
                .hasMessageContaining("missing required field").hasMessageContaining("EventUpcaster step");
    }
}
