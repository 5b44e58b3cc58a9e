package io.tributary.cli;

import io.tributary.cli.internal.TextTable;
import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import io.tributary.log.EventLog;
import io.tributary.log.OffsetSpec;
import io.tributary.log.TopicPartition;
import java.io.PrintWriter;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code tributary log reset-offsets}: moves a group's committed offsets on one topic. */
@Command(name = "reset-offsets", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Move a consumer group's committed offsets for every partition of a topic.",
            "The group must have no active members (stop its consumers first)."},
        footerHeading = "%nExamples:%n",
        footer = {
            "  tributary log reset-offsets --group billing --topic orders --to-earliest",
            "  tributary log reset-offsets --group billing --topic orders --to-datetime 2026-11-27T10:00:00Z",
        })
final class ResetOffsetsCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    LogOptions where;

    @Option(names = "--group", required = true, paramLabel = "GROUP", description = "The consumer group.")
    String group = "";

    @Option(names = "--topic", required = true, paramLabel = "TOPIC", description = "The topic whose offsets move.")
    String topic = "";

    @ArgGroup(exclusive = true, multiplicity = "1", heading = "Where to (exactly one):%n")
    Target target = new Target();

    static final class Target {
        @Option(names = "--to-earliest", description = "The oldest stored record: reprocess everything.")
        boolean earliest;

        @Option(names = "--to-latest", description = "The end of the log: skip everything stored.")
        boolean latest;

        @Option(names = "--to-datetime", paramLabel = "WHEN",
                description = "The first record at or after this time: ISO-8601, e.g. 2026-11-27T10:00:00Z, "
                        + "2026-11-27T10:00 (local time) or 2026-11-27 (local midnight).")
        @Nullable String datetime;

        @Option(names = "--to-offset", paramLabel = "OFFSET",
                description = "This offset in every partition (must lie between start and end offsets).")
        @Nullable Long offset;
    }

    @Override
    public Integer call() {
        OffsetSpec to = offsetSpec();
        try (EventLog log = where.openExisting()) {
            Map<TopicPartition, Long> moved = new TreeMap<>(log.admin().resetOffsets(group, topic, to));
            PrintWriter out = spec.commandLine().getOut();
            out.println("Reset group '" + group + "' on topic '" + topic + "' to " + describe(to) + ":");
            TextTable table = new TextTable("PARTITION>", "NEW OFFSET>");
            moved.forEach((tp, offset) -> table.row(tp.partition(), offset));
            table.print(out, "  ");
            return ExitStatus.OK;
        }
    }

    OffsetSpec offsetSpec() {
        if (target.earliest) {
            return OffsetSpec.earliest();
        }
        if (target.latest) {
            return OffsetSpec.latest();
        }
        if (target.offset != null) {
            if (target.offset < 0) {
                throw new InvalidRequestException(ErrorCode.INVALID_ARGUMENT, "--to-offset " + target.offset
                        + " is negative; offsets start at 0 (see 'tributary log describe " + topic + "').");
            }
            return OffsetSpec.atOffset(target.offset);
        }
        return OffsetSpec.atTimestamp(parseTime(String.valueOf(target.datetime)).toEpochMilli());
    }

    /** ISO-8601 instant, date-time with offset, local date-time, or local date. */
    static Instant parseTime(String text) {
        String t = text.trim();
        try {
            return Instant.parse(t);
        } catch (DateTimeParseException notInstant) {
            try {
                return OffsetDateTime.parse(t).toInstant();
            } catch (DateTimeParseException notOffset) {
                try {
                    return LocalDateTime.parse(t).atZone(ZoneId.systemDefault()).toInstant();
                } catch (DateTimeParseException notLocal) {
                    try {
                        return LocalDate.parse(t).atStartOfDay(ZoneId.systemDefault()).toInstant();
                    } catch (DateTimeParseException notDate) {
                        throw new InvalidRequestException(ErrorCode.INVALID_ARGUMENT, "--to-datetime '" + text
                                + "' is not an ISO-8601 time; write e.g. 2026-11-27T10:00:00Z, 2026-11-27T10:00 "
                                + "or 2026-11-27.");
                    }
                }
            }
        }
    }

    private static String describe(OffsetSpec spec) {
        return switch (spec) {
            case OffsetSpec.Earliest e -> "the earliest offsets";
            case OffsetSpec.Latest l -> "the latest offsets";
            case OffsetSpec.AtTimestamp t -> "the first records at or after " + Instant.ofEpochMilli(t.timestamp());
            case OffsetSpec.AtOffset o -> "offset " + o.offset();
        };
    }
}
