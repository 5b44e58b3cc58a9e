/**
 * Benchmarks, run as {@code ./tributary bench <suite>}. Each suite is a picocli command registered in
 * {@link io.tributary.bench.BenchCommand}; each says its workload, and with {@code --json} prints one JSON object
 * (figures with name, unit, value, and for {@code --vs} runs the peer's figure and the ratio) as its last line.
 */
@NullMarked
package io.tributary.bench;

import org.jspecify.annotations.NullMarked;
