/**
 * The {@code tributary} command line: {@link io.tributary.cli.TributaryCli} with the subcommands {@code demo},
 * {@code log} and {@code bench}. Each command is a picocli class here; what they share (output formats, the demo
 * workload and its delivery check) lives in {@code .internal}.
 *
 * <p>Commands write results to standard output and progress and errors to standard error, so output can be piped.
 * Errors are one line, {@code Error: <what to do> [<CODE>]}, and the exit status says what kind of error it was
 * ({@link io.tributary.cli.ExitStatus}).
 */
@NullMarked
package io.tributary.cli;

import org.jspecify.annotations.NullMarked;
