/**
 * {@code tributary bench pipeline}: the processing runtime end to end (produce, process with a no-op handler, commit)
 * on the embedded engine and on the Kafka backend, side by side with a plain kafka-clients poll loop doing the same
 * work against the same broker. Not an API: the command is the interface.
 */
@NullMarked
package io.tributary.bench.pipeline;

import org.jspecify.annotations.NullMarked;
