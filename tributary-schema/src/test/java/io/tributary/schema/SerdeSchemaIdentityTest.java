package io.tributary.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.core.NotFoundException;
import io.tributary.core.TributaryException;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.Test;

/**
 * Schemas that Avro's {@code Schema.equals} calls equal although they differ in aliases, doc or enum defaults: the
 * serde must not hand one the reader or the id built for the other.
 */
class SerdeSchemaIdentityTest {

    private static final Schema WRITER = parse("""
            {"type":"record","name":"Customer","namespace":"acme","fields":[
              {"name":"name","type":"string"},
              {"name":"tier","type":{"type":"enum","name":"Tier","symbols":["GOLD","PLATINUM"]}}]}""");

    /** Reads the writer's renamed {@code name} field as {@code fullName}, through an alias. */
    private static final Schema READER_WITH_ALIAS = parse("""
            {"type":"record","name":"Customer","namespace":"acme","fields":[
              {"name":"fullName","type":"string","default":"","aliases":["name"]},
              {"name":"tier","type":{"type":"enum","name":"Tier","symbols":["GOLD","OTHER"],"default":"OTHER"}}]}""");

    /** The same reader without the alias: {@code fullName} is a new field and takes its default. */
    private static final Schema READER_WITHOUT_ALIAS = parse("""
            {"type":"record","name":"Customer","namespace":"acme","fields":[
              {"name":"fullName","type":"string","default":""},
              {"name":"tier","type":{"type":"enum","name":"Tier","symbols":["GOLD","OTHER"],"default":"OTHER"}}]}""");

    private final SchemaRegistry registry = SchemaRegistry.inMemory();
    private final AvroSerializer serializer = new AvroSerializer(registry);
    private final AvroDeserializer deserializer = new AvroDeserializer(registry);

    private static Schema parse(String json) {
        return new Schema.Parser().parse(json);
    }

    private static GenericRecord customer(Schema schema, String name, String tier) {
        GenericRecord r = new GenericData.Record(schema);
        r.put(schema.getFields().get(0).name(), name);
        r.put("tier", new GenericData.EnumSymbol(schema.getField("tier").schema(), tier));
        return r;
    }

    @Test
    void readerSchemasDifferingOnlyByAFieldAliasEachGetTheirOwnReader() {
        assertThat(READER_WITH_ALIAS).as("premise: Avro ignores field aliases in equals").isEqualTo(READER_WITHOUT_ALIAS);
        byte[] bytes = serializer.serialize("customers", customer(WRITER, "Ada", "GOLD"));

        GenericRecord unaliased = (GenericRecord) deserializer.deserialize(bytes, READER_WITHOUT_ALIAS);
        GenericRecord aliased = (GenericRecord) deserializer.deserialize(bytes, READER_WITH_ALIAS);
        GenericRecord unaliasedAgain = (GenericRecord) deserializer.deserialize(bytes, READER_WITHOUT_ALIAS);

        assertThat(aliased.get("fullName")).hasToString("Ada");
        assertThat(unaliased.get("fullName")).hasToString("");
        assertThat(unaliasedAgain.get("fullName")).hasToString("");
    }

    @Test
    void readerSchemasDifferingOnlyByAnEnumDefaultEachGetTheirOwnReader() {
        Schema withDefault = parse("""
                {"type":"enum","name":"Tier","namespace":"acme","symbols":["GOLD","OTHER"],"default":"OTHER"}""");
        Schema withoutDefault = parse("""
                {"type":"enum","name":"Tier","namespace":"acme","symbols":["GOLD","OTHER"]}""");
        Schema writer = parse("""
                {"type":"enum","name":"Tier","namespace":"acme","symbols":["GOLD","PLATINUM"]}""");
        assertThat(withDefault).as("premise: Avro ignores enum defaults in equals").isEqualTo(withoutDefault);
        byte[] bytes = serializer.serialize("tiers", new GenericData.EnumSymbol(writer, "PLATINUM"));

        assertThat(deserializer.deserialize(bytes, withDefault)).hasToString("OTHER");
        // Without a default, a symbol the reader lacks is an error, not the other reader's default.
        assertThatThrownBy(() -> deserializer.deserialize(bytes, withoutDefault))
                .isInstanceOf(TributaryException.class).hasMessageContaining("PLATINUM");
    }

    @Test
    void aSchemaDifferingOnlyInDocAndAliasesIsNotWrittenUnderTheIdOfAnother() {
        Schema documented = parse("""
                {"type":"record","name":"Customer","namespace":"acme","aliases":["acme.Client"],
                 "doc":"A customer, as the sales team records it","fields":[
                  {"name":"name","type":"string","aliases":["label"]},
                  {"name":"tier","type":{"type":"enum","name":"Tier","symbols":["GOLD","PLATINUM"]}}]}""");
        assertThat(documented).as("premise: Avro ignores doc and aliases in equals").isEqualTo(WRITER);
        registry.register("customers-value", WRITER);
        AvroSerializer strict = new AvroSerializer(registry, AvroSerdeConfig.defaults().withAutoRegister(false));
        assertThat(WireFormat.schemaId(strict.serialize("customers", customer(WRITER, "Ada", "GOLD")))).isEqualTo(1);

        assertThatThrownBy(() -> strict.serialize("customers", customer(documented, "Bob", "GOLD")))
                .isInstanceOf(NotFoundException.class)
                .satisfies(e -> assertThat(((TributaryException) e).code()).isEqualTo(SchemaErrors.SCHEMA_NOT_REGISTERED));

        // Auto-registered, it gets an id of its own, and each schema keeps writing under its own.
        byte[] bob = serializer.serialize("customers", customer(documented, "Bob", "GOLD"));
        byte[] ada = serializer.serialize("customers", customer(WRITER, "Ada", "GOLD"));
        assertThat(WireFormat.schemaId(bob)).isNotEqualTo(1);
        assertThat(WireFormat.schemaId(ada)).isEqualTo(1);
        assertThat(deserializer.writerSchema(bob).getDoc()).isEqualTo("A customer, as the sales team records it");
    }

    @Test
    void aSchemaParsedAgainForEveryValueResolvesItsIdOnce() {
        VirtualThreadSerdeTest.CountingClient client = new VirtualThreadSerdeTest.CountingClient();
        AvroSerializer counted = new AvroSerializer(client);

        for (int i = 0; i < 50; i++) {
            Schema fresh = parse(WRITER.toString());
            assertThat(WireFormat.schemaId(counted.serialize("customers", customer(fresh, "c-" + i, "GOLD"))))
                    .isEqualTo(1);
        }

        assertThat(client.registers).hasValue(1);
    }
}
