package io.tributary.bench.internal;

import picocli.CommandLine.Option;

/**
 * The output options that mean the same in every suite that mixes them in ({@code bench log},
 * {@code bench pipeline}): {@code --json}. A picocli {@code @Mixin}, so the option name and its help text are written
 * once. Suites whose {@code --json} help text differs keep their own option. Set by picocli before the command runs;
 * read on the command's thread only.
 */
public final class OutputOptions {

    @Option(names = "--json", description = "Print every figure as one JSON object on the last stdout line.")
    boolean json;

    /** Whether the last stdout line must be one JSON object holding every figure. */
    public boolean json() {
        return json;
    }
}
