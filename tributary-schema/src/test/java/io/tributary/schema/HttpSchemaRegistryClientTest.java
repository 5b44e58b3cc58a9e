package io.tributary.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.core.ConflictException;
import io.tributary.core.NotFoundException;
import io.tributary.core.RetriableException;
import io.tributary.core.TributaryException;
import io.tributary.schema.testmodel.OrderPlaced;
import io.tributary.schema.testmodel.Status;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The Java client over real HTTP: same answers as the registry in process, errors mapped back, caches that hold. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HttpSchemaRegistryClientTest {

    private SchemaRegistry registry;
    private RegistryServer server;
    private HttpSchemaRegistryClient client;

    @BeforeEach
    void start() {
        registry = SchemaRegistry.inMemory();
        server = RegistryServer.start("127.0.0.1", 0, registry);
        client = new HttpSchemaRegistryClient(server.url());
    }

    @AfterEach
    void stop() {
        client.close();
        server.stop();
        registry.close();
    }

    @Test
    void registersLooksUpAndFetchesAsTheRegistryDoes() {
        int id = client.register("orders-value", SchemaText.avro(SchemaRegistryTest.ORDER_V1));
        assertThat(client.register("orders-value", SchemaText.avro(SchemaRegistryTest.ORDER_V1))).isEqualTo(id);
        assertThat(client.lookup("orders-value", SchemaText.avro(SchemaRegistryTest.ORDER_V1)))
                .map(RegisteredSchema::version).contains(1);
        assertThat(client.lookup("orders-value", SchemaText.avro(SchemaRegistryTest.ORDER_V2))).isEmpty();
        assertThat(client.lookup("nope", SchemaText.avro(SchemaRegistryTest.ORDER_V2))).isEmpty();
        assertThat(client.schemaById(id).schema()).isEqualTo(SchemaRegistryTest.ORDER_V1);
        assertThat(client.avroSchemaById(id).getFullName()).isEqualTo("acme.Order");
        assertThat(client.latest("orders-value").version()).isEqualTo(1);
        assertThat(client.version("orders-value", 1).id()).isEqualTo(id);
        assertThat(client.subjects()).containsExactly("orders-value");
        assertThat(client.versions("orders-value")).containsExactly(1);
        assertThat(client.compatibility("orders-value")).isEqualTo(CompatibilityLevel.BACKWARD);
        client.setCompatibility("orders-value", CompatibilityLevel.FULL);
        assertThat(registry.compatibility("orders-value")).isEqualTo(CompatibilityLevel.FULL);
        assertThat(client.testCompatibility("orders-value", SchemaText.avro(SchemaRegistryTest.ORDER_V2)).compatible())
                .isTrue();
        assertThat(client.deleteSubject("orders-value", false)).containsExactly(1);
        assertThat(client.subjects()).isEmpty();
    }

    @Test
    void errorsComeBackWithTheRegistrysCodes() {
        client.register("s", SchemaText.avro(SchemaRegistryTest.ORDER_V1));
        assertThatThrownBy(() -> client.register("s", SchemaText.avro(SchemaRegistryTest.ORDER_V1
                .replace("\"string\"", "\"int\"")))).isInstanceOf(ConflictException.class)
                .hasMessageContaining("40901").hasMessageContaining("BACKWARD").hasMessageContaining("\"s\"");
        assertThatThrownBy(() -> client.schemaById(42)).isInstanceOf(NotFoundException.class)
                .satisfies(e -> assertThat(((TributaryException) e).code()).isEqualTo(SchemaErrors.SCHEMA_NOT_FOUND));
        assertThatThrownBy(() -> client.latest("missing"))
                .satisfies(e -> assertThat(((TributaryException) e).code()).isEqualTo(SchemaErrors.SUBJECT_NOT_FOUND));
        assertThatThrownBy(() -> client.register("s", SchemaText.avro("{nope")))
                .satisfies(e -> assertThat(((TributaryException) e).code()).isEqualTo(SchemaErrors.INVALID_SCHEMA));
        CompatibilityResult r = client.testCompatibility("s", SchemaText.avro(SchemaRegistryTest.ORDER_V1
                .replace("\"string\"", "\"int\"")));
        assertThat(r.compatible()).isFalse();
        assertThat(r.messages()).anySatisfy(m -> assertThat(m).contains("TYPE_MISMATCH"));
    }

    @Test
    void idsAndSchemasStayCachedWhenTheServerIsGone() {
        int id = client.register("s", SchemaText.avro(SchemaRegistryTest.ORDER_V1));
        client.avroSchemaById(id);
        client.version("s", 1);
        server.stop();
        assertThat(client.register("s", SchemaText.avro(SchemaRegistryTest.ORDER_V1))).isEqualTo(id);
        assertThat(client.schemaById(id).schema()).isEqualTo(SchemaRegistryTest.ORDER_V1);
        assertThat(client.avroSchemaById(id).getFullName()).isEqualTo("acme.Order");
        assertThat(client.version("s", 1).id()).isEqualTo(id);
        assertThatThrownBy(() -> client.latest("s")).isInstanceOf(RetriableException.class)
                .hasMessageContaining("unreachable");
    }

    @Test
    void serializersWorkOverHttpAndResolveReferencesThroughIt() {
        AvroSerializer serializer = new AvroSerializer(client);
        AvroDeserializer deserializer = new AvroDeserializer(client);
        OrderPlaced order = OrderPlaced.newBuilder().setOrderId("o-1").setAmountCents(12L).setStatus(Status.PAID)
                .build();
        assertThat(deserializer.deserialize(serializer.serialize("orders", order), OrderPlaced.class)).isEqualTo(order);

        String customer = "{\"type\":\"record\",\"name\":\"Customer\",\"namespace\":\"acme\",\"fields\":["
                + "{\"name\":\"name\",\"type\":\"string\"}]}";
        String withCustomer = "{\"type\":\"record\",\"name\":\"Invoice\",\"namespace\":\"acme\",\"fields\":["
                + "{\"name\":\"customer\",\"type\":\"acme.Customer\"}]}";
        client.register("acme.Customer", SchemaText.avro(customer));
        int id = client.register("invoices-value", new SchemaText("AVRO", withCustomer,
                List.of(new SchemaReference("acme.Customer", "acme.Customer", 1))));
        HttpSchemaRegistryClient fresh = new HttpSchemaRegistryClient(server.url());
        assertThat(fresh.avroSchemaById(id).getField("customer").schema().getFullName()).isEqualTo("acme.Customer");
        GenericRecord invoice = new org.apache.avro.generic.GenericData.Record(fresh.avroSchemaById(id));
        GenericRecord who = new org.apache.avro.generic.GenericData.Record(invoice.getSchema().getField("customer")
                .schema());
        who.put("name", "Ada");
        invoice.put("customer", who);
        byte[] bytes = new AvroSerializer(fresh).serialize("invoices", invoice);
        assertThat(WireFormat.schemaId(bytes)).isEqualTo(registry.lookup("invoices-value", SchemaText.avro(
                invoice.getSchema().toString())).map(RegisteredSchema::id).orElseThrow());
        fresh.close();
    }
}
