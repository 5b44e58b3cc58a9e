/**
 * Projections: the read side of CQRS. A projection applies events from a log topic or from the event store to JDBC
 * read-model tables, and stores its checkpoint in the same transaction as the rows it writes, so after a crash it
 * resumes exactly where the committed read model is (exactly-once in effect).
 *
 * <p>Start one with {@link io.tributary.projection.Projection#start}; rebuild it from the beginning into shadow tables
 * with {@link io.tributary.projection.Projection#rebuild}; readers find the live tables with
 * {@link io.tributary.projection.ReadModels#liveTable}.
 */
@NullMarked
package io.tributary.projection;

import org.jspecify.annotations.NullMarked;
