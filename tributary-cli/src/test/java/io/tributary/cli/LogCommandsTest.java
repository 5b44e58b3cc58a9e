package io.tributary.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code tributary log ...} against the embedded engine in a temporary folder, as a user types it. */
@Timeout(120)
class LogCommandsTest {

    @TempDir
    Path dir;

    private Shell.Outcome log(String... args) {
        return logWithInput("", args);
    }

    private Shell.Outcome logWithInput(String stdin, String... args) {
        String[] full = Stream.concat(Stream.of("log"), Stream.concat(Stream.of(args),
                Stream.of("--data-dir", dir.toString()))).toArray(String[]::new);
        return Shell.runWithInput(stdin, full);
    }

    private void ok(Shell.Outcome r) {
        assertThat(r.status()).as(r.toString()).isZero();
    }

    @Test
    void recordsProducedFromStandardInputAreConsumedBackAsAcknowledged() {
        ok(log("create-topic", "orders", "--partitions", "3"));

        Shell.Outcome produced = logWithInput("order-1\tcreated\norder-2\tcreated\n\norder-1\tpaid\nno key here\n",
                "produce", "orders", "--print-acks");
        ok(produced);
        List<String> acks = produced.outLines();
        assertThat(acks).hasSize(4);
        assertThat(produced.err()).contains("Produced 4 records to 'orders'");

        Shell.Outcome consumed = log("consume", "orders", "--from-beginning", "--until-end");
        ok(consumed);
        assertThat(consumed.outLines()).containsExactlyInAnyOrderElementsOf(acks);

        Map<String, List<String[]>> byKey = new HashMap<>();
        for (String line : consumed.outLines()) {
            String[] f = line.split("\t", -1);
            assertThat(f).hasSize(4);
            byKey.computeIfAbsent(f[2], k -> new ArrayList<>()).add(f);
        }
        List<String[]> order1 = byKey.get("order-1");
        assertThat(order1).extracting(f -> f[3]).containsExactly("created", "paid");
        assertThat(order1.get(0)[0]).as("one key, one partition").isEqualTo(order1.get(1)[0]);
        assertThat(Long.parseLong(order1.get(1)[1])).isGreaterThan(Long.parseLong(order1.get(0)[1]));
        assertThat(byKey.get("")).extracting(f -> f[3]).containsExactly("no key here");
    }

    @Test
    void consumeAsJsonPrintsOneObjectPerRecord() throws Exception {
        ok(log("create-topic", "orders"));
        ok(logWithInput("k1\tv1\nk2\tv2\n", "produce", "orders"));

        Shell.Outcome r = log("consume", "orders", "--from-beginning", "--until-end", "--json");
        ok(r);
        assertThat(r.outLines()).hasSize(2);
        JsonNode first = new ObjectMapper().readTree(r.outLines().get(0));
        assertThat(first.get("topic").asText()).isEqualTo("orders");
        assertThat(first.get("partition").asInt()).isZero();
        assertThat(first.get("offset").asLong()).isZero();
        assertThat(first.get("key").asText()).isEqualTo("k1");
        assertThat(first.get("value").asText()).isEqualTo("v1");
    }

    @Test
    void generatedRecordsAreAllStoredAndDescribed() {
        ok(log("create-topic", "load", "--partitions", "4", "--config", "fsync=never"));
        Shell.Outcome produced = log("produce", "load", "--count", "2000", "--keys", "10");
        ok(produced);
        assertThat(produced.err()).contains("Produced 2,000 records");

        Shell.Outcome consumed = log("consume", "load", "--from-beginning", "--until-end");
        ok(consumed);
        assertThat(consumed.outLines()).hasSize(2000);
        assertThat(new HashSet<>(consumed.outLines())).hasSize(2000);

        Shell.Outcome described = log("describe", "load");
        ok(described);
        assertThat(described.out()).contains("Topic 'load': 4 partitions, 2,000 records", "* fsync = never",
                "  retention.ms = 604800000");
    }

    @Test
    void describeAsJsonListsPartitionsAndConfig() throws Exception {
        ok(log("create-topic", "orders", "--partitions", "2"));
        Shell.Outcome r = log("describe", "orders", "--json");
        ok(r);
        JsonNode json = new ObjectMapper().readTree(r.out());
        assertThat(json.get("partitions")).hasSize(2);
        assertThat(json.get("config").get("cleanup.policy").asText()).isEqualTo("delete");
    }

    @Test
    void consumeStopsAfterMax() {
        ok(log("create-topic", "orders"));
        ok(log("produce", "orders", "--count", "50"));
        Shell.Outcome r = log("consume", "orders", "--from-beginning", "--max", "7");
        ok(r);
        assertThat(r.outLines()).hasSize(7);
        assertThat(r.outLines().get(6)).startsWith("0\t6\t");
    }

    @Test
    void withoutFromBeginningOnlyNewRecordsAreRead() {
        ok(log("create-topic", "orders"));
        ok(log("produce", "orders", "--count", "3"));
        Shell.Outcome r = log("consume", "orders", "--until-end");
        ok(r);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).contains("--from-beginning");
    }

    @Test
    void listShowsTopicsSortedAndDeleteRemovesOne() {
        ok(log("create-topic", "payments"));
        ok(log("create-topic", "orders"));
        assertThat(log("list").outLines()).containsExactly("orders", "payments");

        ok(log("delete", "payments"));
        assertThat(log("list").outLines()).containsExactly("orders");
        ok(log("delete", "payments", "--if-exists"));
    }

    @Test
    void anUnknownTopicIsOneClearLineWithItsCode() {
        ok(log("create-topic", "orders"));
        for (String[] command : List.of(new String[] {"consume", "ordres", "--until-end"},
                new String[] {"describe", "ordres"}, new String[] {"produce", "ordres", "--count", "1"},
                new String[] {"delete", "ordres"})) {
            Shell.Outcome r = log(command);
            assertThat(r.status()).as(r.toString()).isEqualTo(ExitStatus.NOT_FOUND);
            assertThat(r.errLines()).as(r.toString()).hasSize(1);
            assertThat(r.err()).as(r.toString()).startsWith("Error: ").contains("'ordres'", "create-topic")
                    .endsWith("[TOPIC_NOT_FOUND]\n");
        }
    }

    @Test
    void creatingAnExistingTopicIsAConflictUnlessAsked() {
        ok(log("create-topic", "orders"));
        Shell.Outcome again = log("create-topic", "orders");
        assertThat(again.status()).as(again.toString()).isEqualTo(ExitStatus.CONFLICT);
        assertThat(again.err()).contains("[TOPIC_ALREADY_EXISTS]");
        ok(log("create-topic", "orders", "--if-not-exists"));
    }

    @Test
    void producingToAPartitionThatDoesNotExistIsRejected() {
        ok(log("create-topic", "orders", "--partitions", "2"));
        Shell.Outcome r = log("produce", "orders", "--partition", "5", "--count", "1");
        assertThat(r.status()).as(r.toString()).isEqualTo(ExitStatus.INVALID);
        assertThat(r.err()).contains("partitions 0 to 1", "[PARTITION_OUT_OF_RANGE]");
    }

    @Test
    void aGroupResumesWhereItStoppedAndResetMovesItBack() {
        // One partition: a group's lag counts only partitions it has committed, so this keeps the figures exact.
        ok(log("create-topic", "orders"));
        ok(log("produce", "orders", "--count", "10"));

        Shell.Outcome first = log("consume", "orders", "--group", "billing", "--from-beginning", "--max", "4");
        ok(first);
        assertThat(first.outLines()).hasSize(4);

        Shell.Outcome groups = log("groups");
        ok(groups);
        assertThat(groups.out()).contains("billing").containsPattern("billing\\s+EMPTY\\s+0\\s+6");

        Shell.Outcome rest = log("consume", "orders", "--group", "billing", "--until-end");
        ok(rest);
        assertThat(rest.outLines()).hasSize(6).doesNotContainAnyElementsOf(first.outLines());

        Shell.Outcome described = log("groups", "billing");
        ok(described);
        assertThat(described.out()).contains("Group 'billing'", "total lag 0", "COMMITTED");

        Shell.Outcome reset = log("reset-offsets", "--group", "billing", "--topic", "orders", "--to-earliest");
        ok(reset);
        assertThat(reset.out()).contains("Reset group 'billing' on topic 'orders' to the earliest offsets");
        assertThat(log("groups", "billing").out()).contains("total lag 10");

        Shell.Outcome again = log("consume", "orders", "--group", "billing", "--until-end");
        ok(again);
        assertThat(again.outLines()).hasSize(10);
    }

    @Test
    void anUnknownGroupIsNotFound() {
        ok(log("create-topic", "orders"));
        Shell.Outcome r = log("groups", "nobody");
        assertThat(r.status()).as(r.toString()).isEqualTo(ExitStatus.NOT_FOUND);
        assertThat(r.err()).contains("[GROUP_NOT_FOUND]");
    }
}
