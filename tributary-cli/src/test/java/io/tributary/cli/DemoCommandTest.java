package io.tributary.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code tributary demo} (order fulfilment) and {@code demo query} as a user runs them, at small size. */
@Timeout(300)
class DemoCommandTest {

    @TempDir
    Path tmp;

    @Test
    void runsTheOrderFlowPassesEveryCheckAndLeavesAQueryableReadModel() throws Exception {
        String dir = tmp.resolve("demo").toString();
        Shell.Outcome r = Shell.run("demo", "--orders", "300", "--partitions", "2", "--poison-every", "30",
                "--data-dir", dir, "--json");
        assertThat(r.status()).as(r.toString()).isZero();
        assertThat(r.out()).contains("placed -> confirmed: p50", "every order charged exactly once",
                "All checks passed.");
        assertThat(r.err()).contains("registered OrderPlaced v2", "killing the payment processor", "redriving 10 dead-lettered", "orders in the dead-letter queue payments.dlq");
        List<String> lines = r.outLines();
        JsonNode json = new ObjectMapper().readTree(lines.get(lines.size() - 1));
        assertThat(json.get("passed").asBoolean()).isTrue();
        assertThat(json.get("ordersPlaced").asLong()).isEqualTo(300);
        assertThat(json.get("redriven").asLong()).isEqualTo(10);
        assertThat(json.get("deadLettered").asLong()).isEqualTo(10);
        assertThat(json.get("dlqLeft").asLong()).isZero();

        Shell.Outcome status = Shell.run("demo", "query", "status", "--data-dir", dir);
        assertThat(status.status()).as(status.toString()).isZero();
        assertThat(status.out()).contains("SHIPPED", "CANCELLED");
        Shell.Outcome order = Shell.run("demo", "query", "order", "o0000000", "--data-dir", dir);
        assertThat(order.out()).contains("order o0000000").containsAnyOf("status SHIPPED", "status CANCELLED");
    }

    @Test
    void queryWithoutAnEarlierRunSaysToRunTheDemoFirst() {
        Shell.Outcome r = Shell.run("demo", "query", "status", "--data-dir", tmp.resolve("none").toString());
        assertThat(r.status()).isEqualTo(3);
        assertThat(r.err()).contains("run 'tributary demo' first", "[DEMO_DATA_NOT_FOUND]");
    }

    @Test
    void refusesToWipeAFolderItDidNotMake() throws Exception {
        java.nio.file.Files.writeString(tmp.resolve("precious.txt"), "keep me");
        Shell.Outcome r = Shell.run("demo", "--orders", "100", "--data-dir", tmp.toString());
        assertThat(r.status()).isEqualTo(ExitStatus.INVALID);
        assertThat(r.err()).contains("will not wipe it");
        assertThat(tmp.resolve("precious.txt")).exists();
    }
}
