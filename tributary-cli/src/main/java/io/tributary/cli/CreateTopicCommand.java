package io.tributary.cli;

import io.tributary.log.EventLog;
import io.tributary.log.NewTopic;
import io.tributary.log.TopicConfig;
import io.tributary.log.TopicDescription;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code tributary log create-topic}. */
@Command(name = "create-topic", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Create a topic.",
        footerHeading = "%nTopic config keys (--config):%n",
        footer = {
            "  retention.ms         delete closed segments older than this; -1 = forever (default 7 days)",
            "  retention.bytes      per partition size limit; -1 = none (default)",
            "  segment.bytes        roll a new segment at this size (default 1 GiB)",
            "  max.message.bytes    largest record accepted (default 1048588)",
            "  cleanup.policy       delete (default), compact, or compact,delete",
            "  min.compaction.lag.ms, delete.retention.ms   compaction timing",
            "  fsync                always (default), interval:<ms>, or never",
            "%nExample: tributary log create-topic orders --partitions 8 --config fsync=interval:100",
        })
final class CreateTopicCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    LogOptions where;

    @Parameters(index = "0", paramLabel = "TOPIC", description = "Topic name: letters, digits, '.', '_', '-'; at most 249 characters.")
    String topic = "";

    @Option(names = {"-p", "--partitions"}, paramLabel = "N", defaultValue = "1",
            description = "Number of partitions (default: ${DEFAULT-VALUE}). Records with one key stay in one partition, in order.")
    int partitions = 1;

    @Option(names = {"-c", "--config"}, paramLabel = "KEY=VALUE", description = "Topic config override (repeatable); keys below.")
    Map<String, String> config = new LinkedHashMap<>();

    @Option(names = "--if-not-exists", description = "Succeed without changes if the topic already exists.")
    boolean ifNotExists;

    @Override
    public Integer call() {
        // Validated before the log is opened, so a typo is reported even when the log cannot be reached.
        NewTopic request = new NewTopic(topic, partitions, TopicConfig.of(config));
        PrintWriter out = spec.commandLine().getOut();
        try (EventLog log = where.open()) {
            if (ifNotExists && log.admin().topicExists(topic)) {
                out.println("Topic '" + topic + "' already exists; left unchanged.");
                return ExitStatus.OK;
            }
            TopicDescription created = log.admin().createTopic(request);
            out.println("Created topic '" + created.name() + "' with " + created.partitionCount() + " partition"
                    + (created.partitionCount() == 1 ? "" : "s")
                    + (config.isEmpty() ? "" : " and config " + created.config().overrides()) + ".");
            return ExitStatus.OK;
        }
    }
}
