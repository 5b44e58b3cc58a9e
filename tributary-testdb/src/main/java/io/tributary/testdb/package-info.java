/**
 * The real databases Tributary's tests run on, in one place: {@link io.tributary.testdb.TestServer} (which servers
 * exist and how to reach them: PostgreSQL and MariaDB on 127.0.0.1, H2 in memory), {@link
 * io.tributary.testdb.PooledTestDatabase} (one pool per database and test suite, unique names, drop and query
 * helpers) and {@link io.tributary.testdb.TestPostgres} (a PostgreSQL wherever tests run: the local server, else an
 * embedded one started from Maven Central binaries).
 *
 * <p>A server that is not there fails the test when {@code CI=true} and skips it, naming the service, elsewhere.
 * This is a test library: modules depend on it with {@code <scope>test</scope>}; it depends on no Tributary module.
 */
@NullMarked
package io.tributary.testdb;

import org.jspecify.annotations.NullMarked;
