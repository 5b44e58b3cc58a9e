/** The PostgreSQL backend: plain JDBC over HikariCP, one server-side function per append. Not an API. */
@NullMarked
package io.tributary.eventstore.internal.postgres;

import org.jspecify.annotations.NullMarked;
