package io.tributary.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tributary.cli.internal.TextTable;
import io.tributary.cli.internal.Units;
import io.tributary.log.EventLog;
import io.tributary.log.PartitionDescription;
import io.tributary.log.TopicDescription;
import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code tributary log describe}. */
@Command(name = "describe", mixinStandardHelpOptions = true,
        description = "Show a topic's partitions (start and end offsets, records, size) and its config.")
final class DescribeTopicCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    LogOptions where;

    @Parameters(index = "0", paramLabel = "TOPIC", description = "The topic to describe.")
    String topic = "";

    @Option(names = "--json", description = "Print one JSON object instead of text.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        try (EventLog log = where.openExisting()) {
            TopicDescription d = log.admin().describeTopic(topic);
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.println(new ObjectMapper().writeValueAsString(toJson(d, log.backend())));
                return ExitStatus.OK;
            }
            long size = d.partitions().stream().mapToLong(PartitionDescription::sizeBytes).reduce(0,
                    (a, b) -> a < 0 || b < 0 ? -1 : a + b);
            out.println("Topic '" + d.name() + "': " + d.partitionCount() + " partition"
                    + (d.partitionCount() == 1 ? "" : "s") + ", " + Units.count(d.recordCountEstimate())
                    + " records, " + Units.bytes(size) + " (" + log.backend() + ")");
            TextTable partitions = new TextTable("PARTITION>", "START>", "END>", "RECORDS>", "SIZE>");
            for (PartitionDescription p : d.partitions()) {
                partitions.row(p.partition(), p.startOffset(), p.endOffset(), p.endOffset() - p.startOffset(),
                        Units.bytes(p.sizeBytes()));
            }
            partitions.print(out, "  ");
            out.println("Config (* = set on this topic, others are defaults):");
            Map<String, String> overrides = d.config().overrides();
            d.config().effective().forEach((k, v) ->
                    out.println((overrides.containsKey(k) ? "* " : "  ") + k + " = " + v));
            return ExitStatus.OK;
        }
    }

    private static ObjectNode toJson(TopicDescription d, String backend) {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode root = mapper.createObjectNode();
        root.put("topic", d.name());
        root.put("backend", backend);
        ArrayNode parts = root.putArray("partitions");
        for (PartitionDescription p : d.partitions()) {
            parts.addObject().put("partition", p.partition()).put("startOffset", p.startOffset())
                    .put("endOffset", p.endOffset()).put("sizeBytes", p.sizeBytes());
        }
        ObjectNode config = root.putObject("config");
        d.config().effective().forEach(config::put);
        ObjectNode overrides = root.putObject("overrides");
        d.config().overrides().forEach(overrides::put);
        return root;
    }
}
