/**
 * Real Apache Kafka 4.x brokers (KRaft, broker and controller in one node) started inside the current JVM from the
 * Maven Central artifacts, for tests and benchmarks: {@link io.tributary.testbroker.KafkaTestBroker} (one node) and
 * {@link io.tributary.testbroker.KafkaTestCluster} (several nodes, any of which can be stopped and restarted).
 *
 * <p>Everything listens on 127.0.0.1 on free ports and keeps its data in a temporary folder that {@code close()}
 * deletes. The broker defaults favour fast tests (no initial rebalance delay, short minimum session timeout, frequent
 * retention and cleaner checks, internal topics sized to the node count); every one can be overridden through
 * {@link io.tributary.testbroker.KafkaTestBrokerConfig#withBrokerProperty}.
 */
@NullMarked
package io.tributary.testbroker;

import org.jspecify.annotations.NullMarked;
