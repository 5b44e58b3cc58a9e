/**
 * The events the order-fulfilment services exchange: Avro schemas (in this package's resources), topic names and
 * header names. This is the contract between the services; each one reads it with its own reader schema.
 */
@NullMarked
package io.tributary.examples.contracts;

import org.jspecify.annotations.NullMarked;
