/**
 * The event model every Tributary module shares: {@link io.tributary.core.Record}, {@link io.tributary.core.Headers}
 * with the {@link io.tributary.core.StandardHeaders standard header names}, UUIDv7 event ids, and the one exception
 * hierarchy rooted at {@link io.tributary.core.TributaryException}, whose stable {@link io.tributary.core.ErrorCode codes}
 * the HTTP API reuses.
 */
@NullMarked
package io.tributary.core;

import org.jspecify.annotations.NullMarked;
