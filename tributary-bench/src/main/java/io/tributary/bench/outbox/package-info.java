/**
 * {@code tributary bench outbox}: the outbox relay's drain rate and commit-to-publish latency on a private PostgreSQL,
 * optionally side by side with Debezium's embedded engine on the same table and workload.
 */
@NullMarked
package io.tributary.bench.outbox;

import org.jspecify.annotations.NullMarked;
