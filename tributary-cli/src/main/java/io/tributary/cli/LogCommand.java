package io.tributary.cli;

import java.io.InputStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code tributary log}: topics, records and consumer groups of the event log. */
@Command(name = "log", mixinStandardHelpOptions = true,
        description = "Work with the event log: topics, records and consumer groups.%n"
                + "Every subcommand takes --data-dir (embedded log, default ./data) or --bootstrap (Kafka).",
        footerHeading = "%nExamples:%n",
        footer = {
            "  tributary log create-topic orders --partitions 8",
            "  printf 'order-1\\tcreated\\norder-1\\tpaid\\n' | tributary log produce orders --print-acks",
            "  tributary log consume orders --from-beginning --until-end",
            "  tributary log consume orders --group billing --max 100 --json",
            "  tributary log groups billing",
            "  tributary log reset-offsets --group billing --topic orders --to-earliest",
        },
        subcommands = {CreateTopicCommand.class, DescribeTopicCommand.class, ListTopicsCommand.class,
            DeleteTopicCommand.class, ProduceCommand.class, ConsumeCommand.class, GroupsCommand.class,
            ResetOffsetsCommand.class})
final class LogCommand implements Runnable {

    @ParentCommand
    TributaryCli root;

    @Spec
    CommandSpec spec;

    InputStream stdin() {
        return root.stdin();
    }

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "Missing subcommand: try 'tributary log list' or "
                + "'tributary log --help'.");
    }
}
