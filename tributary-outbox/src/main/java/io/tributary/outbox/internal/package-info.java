/** Outbox internals: SQL per dialect, the header codec, the relay loop. Not API. */
@NullMarked
package io.tributary.outbox.internal;

import org.jspecify.annotations.NullMarked;
