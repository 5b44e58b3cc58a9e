/** The projection runtime's workers, source readers and catalog tables. Not API. */
@NullMarked
package io.tributary.projection.internal;

import org.jspecify.annotations.NullMarked;
