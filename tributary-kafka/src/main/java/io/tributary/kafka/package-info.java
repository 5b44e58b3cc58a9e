/**
 * The EventLog API on Apache Kafka: select it with {@code tributary.log.backend=kafka} and point it at a cluster with
 * {@code tributary.log.kafka.bootstrap-servers}; application code stays the same. See {@link
 * io.tributary.kafka.KafkaLogConfig} for every setting and its default, and {@code docs/kafka.md} for the move from
 * the embedded engine.
 */
@NullMarked
package io.tributary.kafka;

import org.jspecify.annotations.NullMarked;
