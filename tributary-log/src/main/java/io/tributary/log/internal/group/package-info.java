/**
 * The consumer side of the embedded engine: {@link io.tributary.log.internal.group.EmbeddedGroups} hands out
 * consumers, runs consumer groups (the {@code GroupCoordinator}: server-side round-robin assignment, incremental
 * revoke-then-assign, one owner per partition at a time, background heartbeats) and keeps committed offsets durable
 * (the {@code OffsetStore}: an append-only, CRC-32C-checked, fsynced file with atomic compaction).
 */
@NullMarked
package io.tributary.log.internal.group;

import org.jspecify.annotations.NullMarked;
