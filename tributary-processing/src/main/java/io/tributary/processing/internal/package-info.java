/** The processor's poll loop and per-partition scheduling; not API. */
@NullMarked
package io.tributary.processing.internal;

import org.jspecify.annotations.NullMarked;
