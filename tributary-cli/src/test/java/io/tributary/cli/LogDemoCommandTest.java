package io.tributary.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code tributary demo log} (the log engine's own demo) as a user runs it, at small size. */
@Timeout(180)
class LogDemoCommandTest {

    private static final String[] SMALL = {"--events", "5000", "--partitions", "4", "--producers", "2",
        "--consumers", "2", "--keys", "100"};

    private static String[] demo(String... extra) {
        List<String> args = new ArrayList<>(List.of("demo", "log"));
        args.addAll(List.of(SMALL));
        args.addAll(List.of(extra));
        return args.toArray(String[]::new);
    }

    @Test
    void printsThroughputLatencyAndAPassedCheck() {
        Shell.Outcome r = Shell.run(demo());
        assertThat(r.status()).as(r.toString()).isZero();
        assertThat(r.out()).contains("Produce:", "events/s", "End to end:", "send->ack", "send->read",
                "Check:       PASSED: all 5,000 events arrived exactly once and in order per key (100 keys).");
    }

    @Test
    void jsonIsOneObjectWithFiguresAndTheCheck() throws Exception {
        Shell.Outcome r = Shell.run(demo("--json"));
        assertThat(r.status()).as(r.toString()).isZero();
        List<String> lines = r.outLines();
        JsonNode json = new ObjectMapper().readTree(lines.get(lines.size() - 1));
        assertThat(json.get("check").get("passed").asBoolean()).isTrue();
        assertThat(json.get("check").get("received").asLong()).isEqualTo(5000);
        List<String> names = new ArrayList<>();
        json.get("figures").forEach(f -> {
            names.add(f.get("name").asText());
            assertThat(f.has("unit")).isTrue();
            assertThat(f.get("value").isNumber()).isTrue();
        });
        assertThat(names).contains("produce.throughput", "end_to_end.throughput", "ack_latency.p50",
                "ack_latency.p99", "end_to_end_latency.p999");
    }

    @Test
    void exitsWithOneWhenTheCheckFails() {
        Shell.Outcome r = Shell.run(demo("--inject-fault", "drop"));
        assertThat(r.status()).as(r.toString()).isEqualTo(ExitStatus.FAILED);
        assertThat(r.out()).contains("Check:       FAILED");
    }
}
