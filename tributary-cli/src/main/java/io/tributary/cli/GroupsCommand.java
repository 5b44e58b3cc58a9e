package io.tributary.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tributary.cli.internal.TextTable;
import io.tributary.log.EventLog;
import io.tributary.log.GroupDescription;
import io.tributary.log.GroupMember;
import io.tributary.log.PartitionLag;
import io.tributary.log.TopicPartition;
import java.io.PrintWriter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code tributary log groups}: lists consumer groups, or describes one with its members and lag. */
@Command(name = "groups", mixinStandardHelpOptions = true,
        description = {"List consumer groups with their state, members and total lag.",
            "With a GROUP, show its members and, per partition, the committed offset, end offset and lag.",
            "Lag = end offset - committed offset: how many records the group has yet to process."})
final class GroupsCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    LogOptions where;

    @Parameters(index = "0", arity = "0..1", paramLabel = "GROUP", description = "The group to describe.")
    @Nullable String group;

    @Option(names = "--json", description = "Print JSON instead of text.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        try (EventLog log = where.openExisting()) {
            if (group != null) {
                GroupDescription d = log.admin().describeGroup(group);
                if (json) {
                    out.println(new ObjectMapper().writeValueAsString(toJson(d)));
                } else {
                    describe(d, out);
                }
                return ExitStatus.OK;
            }
            List<String> groups = log.admin().listGroups();
            if (json) {
                ObjectMapper mapper = new ObjectMapper();
                ArrayNode all = mapper.createArrayNode();
                for (String g : groups) {
                    all.add(toJson(log.admin().describeGroup(g)));
                }
                out.println(mapper.writeValueAsString(all));
                return ExitStatus.OK;
            }
            if (groups.isEmpty()) {
                spec.commandLine().getErr().println("No consumer groups yet; one appears when a consumer commits, e.g. "
                        + "'tributary log consume orders --group billing --from-beginning --until-end'.");
                return ExitStatus.OK;
            }
            TextTable table = new TextTable("GROUP", "STATE", "MEMBERS>", "LAG>");
            for (String g : groups) {
                GroupDescription d = log.admin().describeGroup(g);
                table.row(g, d.state(), d.members().size(), d.totalLag());
            }
            table.print(out, "");
            return ExitStatus.OK;
        }
    }

    private static void describe(GroupDescription d, PrintWriter out) {
        out.println("Group '" + d.groupId() + "': " + d.state() + ", " + d.members().size() + " member"
                + (d.members().size() == 1 ? "" : "s") + ", total lag " + d.totalLag());
        Map<TopicPartition, String> owner = new HashMap<>();
        for (GroupMember m : d.members()) {
            for (TopicPartition tp : m.assignment()) {
                owner.put(tp, m.clientId() + " (" + m.memberId() + ")");
            }
        }
        if (!d.members().isEmpty()) {
            TextTable members = new TextTable("MEMBER", "CLIENT", "PARTITIONS");
            for (GroupMember m : d.members()) {
                members.row(m.memberId(), m.clientId(), new TreeSet<>(m.assignment()).toString());
            }
            members.print(out, "  ");
        }
        TextTable offsets = new TextTable("TOPIC", "PARTITION>", "COMMITTED>", "END>", "LAG>", "OWNER");
        for (PartitionLag lag : d.offsets()) {
            offsets.row(lag.partition().topic(), lag.partition().partition(),
                    lag.committedOffset() < 0 ? "-" : lag.committedOffset(), lag.endOffset(), lag.lag(),
                    owner.getOrDefault(lag.partition(), "-"));
        }
        if (!offsets.isEmpty()) {
            offsets.print(out, "  ");
        }
    }

    private static ObjectNode toJson(GroupDescription d) {
        ObjectNode root = new ObjectMapper().createObjectNode();
        root.put("group", d.groupId());
        root.put("state", d.state().name());
        root.put("totalLag", d.totalLag());
        ArrayNode members = root.putArray("members");
        for (GroupMember m : d.members()) {
            ObjectNode node = members.addObject().put("memberId", m.memberId()).put("clientId", m.clientId());
            ArrayNode assignment = node.putArray("assignment");
            for (TopicPartition tp : new TreeSet<>(m.assignment())) {
                assignment.addObject().put("topic", tp.topic()).put("partition", tp.partition());
            }
        }
        ArrayNode offsets = root.putArray("offsets");
        for (PartitionLag lag : d.offsets()) {
            offsets.addObject().put("topic", lag.partition().topic()).put("partition", lag.partition().partition())
                    .put("committedOffset", lag.committedOffset()).put("endOffset", lag.endOffset())
                    .put("lag", lag.lag());
        }
        return root;
    }
}
