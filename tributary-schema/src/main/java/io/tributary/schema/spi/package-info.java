/**
 * Extension points of the schema module: how a topic and a record map to a subject
 * ({@link io.tributary.schema.spi.SubjectNameStrategy}).
 */
@NullMarked
package io.tributary.schema.spi;

import org.jspecify.annotations.NullMarked;
