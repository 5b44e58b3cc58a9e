package io.tributary.cli;

import io.tributary.log.EventLog;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code tributary log list}. */
@Command(name = "list", mixinStandardHelpOptions = true, description = "List topics, one name per line, sorted.")
final class ListTopicsCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    LogOptions where;

    @Override
    public Integer call() {
        try (EventLog log = where.openExisting()) {
            List<String> topics = log.admin().listTopics();
            PrintWriter out = spec.commandLine().getOut();
            topics.forEach(out::println);
            if (topics.isEmpty()) {
                spec.commandLine().getErr().println("No topics yet; create one with "
                        + "'tributary log create-topic orders --partitions 8'.");
            }
            return ExitStatus.OK;
        }
    }
}
