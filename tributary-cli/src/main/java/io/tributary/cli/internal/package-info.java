/**
 * What the commands share and nothing outside the CLI should use: record output formats, progress lines, the demo
 * workload ({@link io.tributary.cli.internal.DemoWorkload}) and its {@link io.tributary.cli.internal.DeliveryCheck}.
 */
@NullMarked
package io.tributary.cli.internal;

import org.jspecify.annotations.NullMarked;
