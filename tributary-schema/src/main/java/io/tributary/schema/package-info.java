/**
 * Avro schemas for events: a registry of subjects and versions with compatibility rules, a Confluent-compatible
 * REST API ({@link io.tributary.schema.RegistryServer}) and client ({@link io.tributary.schema.HttpSchemaRegistryClient}),
 * serializers in the Confluent wire format, producer-side enforcement and reader-side evolution (upcasting).
 *
 * <h2>Wire format</h2>
 * <pre>
 * byte 0      magic, always 0x00
 * bytes 1..4  schema id, a signed 32-bit big-endian integer, assigned by the registry
 * bytes 5..   the value in Avro binary encoding, written with the schema of that id
 * </pre>
 * Bytes are interchangeable with Confluent's {@code KafkaAvroSerializer}/{@code KafkaAvroDeserializer}.
 */
@NullMarked
package io.tributary.schema;

import org.jspecify.annotations.NullMarked;
