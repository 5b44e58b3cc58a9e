package io.tributary.cli;

import io.tributary.log.EventLog;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code tributary log delete}. */
@Command(name = "delete", mixinStandardHelpOptions = true,
        description = "Delete a topic and all its records. This cannot be undone.")
final class DeleteTopicCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    LogOptions where;

    @Parameters(index = "0", paramLabel = "TOPIC", description = "The topic to delete.")
    String topic = "";

    @Option(names = "--if-exists", description = "Succeed without changes if the topic does not exist.")
    boolean ifExists;

    @Override
    public Integer call() {
        try (EventLog log = where.openExisting()) {
            if (ifExists && !log.admin().topicExists(topic)) {
                spec.commandLine().getOut().println("Topic '" + topic + "' does not exist; nothing deleted.");
                return ExitStatus.OK;
            }
            log.admin().deleteTopic(topic);
            spec.commandLine().getOut().println("Deleted topic '" + topic + "'.");
            return ExitStatus.OK;
        }
    }
}
