/**
 * The registry's insides: the state cache, the store it is rebuilt from (a compacted topic of the event log), the
 * Avro parsing and compatibility checks, and the REST handler. Nothing here is API.
 */
@NullMarked
package io.tributary.schema.internal;

import org.jspecify.annotations.NullMarked;
