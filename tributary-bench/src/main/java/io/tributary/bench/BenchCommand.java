package io.tributary.bench;

import io.tributary.bench.eventstore.EventStoreBench;
import io.tributary.bench.outbox.OutboxBenchCommand;
import io.tributary.bench.pipeline.PipelineBenchCommand;
import io.tributary.bench.registry.RegistryBench;
import picocli.CommandLine.Command;

/**
 * {@code tributary bench}: the parent of every benchmark suite. Suites are added as picocli subcommands here.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Run a benchmark suite; see docs/benchmarks.md for recorded figures.",
        subcommands = {LogBenchCommand.class, EventStoreBench.class, OutboxBenchCommand.class, RegistryBench.class,
                PipelineBenchCommand.class})
public final class BenchCommand implements Runnable {

    @Override
    public void run() {
        System.out.println("Choose a suite, e.g. 'tributary bench log'. Run 'tributary bench --help' for the list.");
    }
}
