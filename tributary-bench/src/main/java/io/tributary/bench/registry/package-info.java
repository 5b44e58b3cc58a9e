/**
 * {@code tributary bench registry}: the schema registry's serializers against plain Avro, and its REST lookups.
 */
@NullMarked
package io.tributary.bench.registry;

import org.jspecify.annotations.NullMarked;
