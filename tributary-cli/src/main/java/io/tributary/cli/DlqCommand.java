package io.tributary.cli;

import io.tributary.cli.internal.TextTable;
import io.tributary.core.Header;
import io.tributary.log.EventLog;
import io.tributary.log.LogRecord;
import io.tributary.processing.DeadLetter;
import io.tributary.processing.DeadLetterAction;
import io.tributary.processing.DeadLetterPolicy;
import io.tributary.processing.DeadLetterSelection;
import io.tributary.processing.DeadLetters;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code tributary dlq}: a processor's dead-letter queue: list and inspect entries, and redrive, skip or purge them.
 * Actions are recorded in the processor's actions topic; the running processor carries them out within its action
 * check interval, or at its next start.
 */
@Command(name = "dlq", mixinStandardHelpOptions = true,
        description = {"Inspect and repair a processor's dead-letter queue (see docs/processing.md).",
            "An event whose last attempt failed is 'dead'; in sequenced mode later events of its key are 'parked'",
            "behind it. Fix the cause, then 'redrive' the entries, or 'skip' the dead ones (the key moves on to its",
            "parked events), or 'purge' them (nothing of them is handled)."},
        subcommands = {DlqCommand.ListEntries.class, DlqCommand.Inspect.class, DlqCommand.Redrive.class,
            DlqCommand.Skip.class, DlqCommand.Purge.class})
final class DlqCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Which processor, and where its dead-letter topic is. */
    static final class Queue {
        @Parameters(index = "0", paramLabel = "PROCESSOR", description = "The processor's name (its consumer group).")
        String processor = "";

        @Option(names = "--topic", paramLabel = "TOPIC",
                description = "Its dead-letter topic, if not the default <PROCESSOR>.dlq.")
        @Nullable String topic;

        DeadLetters open(EventLog log) {
            DeadLetterPolicy policy = topic == null ? DeadLetterPolicy.sequenced()
                    : DeadLetterPolicy.sequenced().withTopic(topic);
            return DeadLetters.of(log, processor, policy);
        }
    }

    static String text(byte @Nullable [] bytes) {
        if (bytes == null) {
            return "-";
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return "base64:" + Base64.getEncoder().encodeToString(bytes);
        }
    }

    private static String oneLine(String s, int max) {
        String flat = s.replace('\n', ' ').replace('\r', ' ');
        return flat.length() <= max ? flat : flat.substring(0, max - 3) + "...";
    }

    private static String pending(DeadLetter d) {
        return d.pendingAction().map(a -> a.kind().name().toLowerCase(java.util.Locale.ROOT)).orElse("-");
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List open entries in original order (per key: the dead entry, then those parked behind it).")
    static final class ListEntries implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        LogOptions where;

        @Mixin
        Queue queue;

        @Option(names = "--key", paramLabel = "KEY", description = "Only entries of this key (UTF-8).")
        @Nullable String key;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            try (EventLog log = where.openExisting()) {
                DeadLetters dlq = queue.open(log);
                List<DeadLetter> letters = key == null ? dlq.list() : dlq.list(DeadLetterSelection.key(key));
                if (letters.isEmpty()) {
                    out.println("No open dead-letter entries for processor '" + queue.processor + "' (topic '"
                            + dlq.topic() + "').");
                    return ExitStatus.OK;
                }
                TextTable t = new TextTable("ID", "STATUS", "KEY", "ATTEMPTS>", "LAST FAILURE", "ERROR", "PENDING");
                for (DeadLetter d : letters) {
                    t.row(d.id(), d.status().name().toLowerCase(java.util.Locale.ROOT), text(d.key()),
                            d.failure().map(f -> (Object) f.attempts()).orElse("-"),
                            d.failure().map(f -> (Object) f.lastFailureAt()).orElse("-"),
                            d.failure().map(f -> oneLine(f.exceptionClass() + ": " + f.message(), 80))
                                    .orElse("parked behind " + d.parkedBehind().orElse("?")),
                            pending(d));
                }
                t.print(out, "");
            }
            return ExitStatus.OK;
        }
    }

    @Command(name = "inspect", mixinStandardHelpOptions = true,
            description = "Show one entry: the original event (key, value, headers) and the failure.")
    static final class Inspect implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        LogOptions where;

        @Mixin
        Queue queue;

        @Option(names = "--entry", required = true, paramLabel = "ID",
                description = "The entry id, e.g. orders-0@17 (from 'tributary dlq list').")
        String entry = "";

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            try (EventLog log = where.openExisting()) {
                DeadLetter d = queue.open(log).inspect(entry);
                LogRecord o = d.original();
                out.println("id:             " + d.id());
                out.println("status:         " + d.status().name().toLowerCase(java.util.Locale.ROOT));
                out.println("processor:      " + d.processor());
                out.println("original:       " + o.topic() + " partition " + o.partition() + " offset " + o.offset()
                        + " at " + Instant.ofEpochMilli(o.timestamp()));
                out.println("key:            " + text(o.key()));
                out.println("value:          " + text(o.value()));
                for (Header h : o.headers().all()) {
                    out.println("header:         " + h.name() + "=" + text(h.value()));
                }
                d.failure().ifPresent(f -> {
                    out.println("exception:      " + f.exceptionClass());
                    out.println("message:        " + f.message());
                    out.println("attempts:       " + f.attempts());
                    out.println("first failure:  " + f.firstFailureAt());
                    out.println("last failure:   " + f.lastFailureAt());
                });
                d.parkedBehind().ifPresent(b -> out.println("parked behind:  " + b));
                out.println("stored at:      " + d.position().topic() + " partition " + d.position().partition()
                        + " offset " + d.dlqOffset());
                out.println("pending action: " + d.pendingAction().map(a -> a.kind().name()
                        .toLowerCase(java.util.Locale.ROOT) + " (" + a.id() + ", requested " + a.requestedAt() + ")")
                        .orElse("-"));
            }
            return ExitStatus.OK;
        }
    }

    /** Which entries an action applies to: exactly one of --entry, --key, --all. */
    static final class Target {
        @Option(names = "--entry", paramLabel = "ID", description = "One entry, e.g. orders-0@17.")
        @Nullable String entry;

        @Option(names = "--key", paramLabel = "KEY", description = "Every open entry of this key (UTF-8).")
        @Nullable String key;

        @Option(names = "--all", description = "Every open entry.")
        boolean all;

        DeadLetterSelection selection() {
            if (entry != null) {
                return DeadLetterSelection.entry(entry);
            }
            if (key != null) {
                return DeadLetterSelection.key(key);
            }
            return DeadLetterSelection.all();
        }
    }

    /** Redrive, skip or purge: records the action for the processor to carry out. */
    abstract static class EntryAction implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        LogOptions where;

        @Mixin
        Queue queue;

        @ArgGroup(exclusive = true, multiplicity = "1")
        Target target;

        abstract DeadLetterAction request(DeadLetters dlq, DeadLetterSelection selection);

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            try (EventLog log = where.openExisting()) {
                DeadLetterSelection selection = target.selection();
                DeadLetterAction a = request(queue.open(log), selection);
                String verb = a.kind().name().toLowerCase(java.util.Locale.ROOT);
                if (a.entries() == 0) {
                    out.println("Nothing to " + verb + ": processor '" + queue.processor
                            + "' has no open dead-letter entries.");
                } else {
                    out.println("Requested " + verb + " of " + selection.describe() + " (" + a.entries()
                            + " entr" + (a.entries() == 1 ? "y" : "ies") + ") as action " + a.id() + ". The running "
                            + "processor '" + queue.processor + "' carries it out shortly, or at its next start; "
                            + "'tributary dlq list " + queue.processor + "' shows it as pending until then.");
                }
            }
            return ExitStatus.OK;
        }
    }

    @Command(name = "redrive", mixinStandardHelpOptions = true,
            description = {"Hand entries to the processor's handler again (after fixing the cause), in their",
                "original order per key; a key's parked entries follow its dead ones. An entry that fails again",
                "is dead again."})
    static final class Redrive extends EntryAction {
        @Override
        DeadLetterAction request(DeadLetters dlq, DeadLetterSelection selection) {
            return dlq.redrive(selection);
        }
    }

    @Command(name = "skip", mixinStandardHelpOptions = true,
            description = {"Give up on dead entries (never handled); their keys move on to the parked entries,",
                "which are handled. A parked entry is skipped only when named with --entry."})
    static final class Skip extends EntryAction {
        @Override
        DeadLetterAction request(DeadLetters dlq, DeadLetterSelection selection) {
            return dlq.skip(selection);
        }
    }

    @Command(name = "purge", mixinStandardHelpOptions = true,
            description = "Drop entries, dead and parked, without handling any of them; their keys move on.")
    static final class Purge extends EntryAction {
        @Override
        DeadLetterAction request(DeadLetters dlq, DeadLetterSelection selection) {
            return dlq.purge(selection);
        }
    }
}
