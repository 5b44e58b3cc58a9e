/**
 * The Kafka backend's implementation: the EventLog parts on kafka-clients, the mapping of topic configs and errors.
 * Nothing here is API.
 */
@NullMarked
package io.tributary.kafka.internal;

import org.jspecify.annotations.NullMarked;
