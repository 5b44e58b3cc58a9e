package io.tributary.bench.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/**
 * Runs {@code bench outbox --quick --json} for real (a private PostgreSQL, the embedded log, and Debezium in a child
 * JVM), with sizes cut further so the class stays bounded on a busy 2-core machine, and checks the report's shape and
 * that every figure was measured. Speed is not asserted here: that is what the benchmark prints.
 */
@Tag("slow")
@Timeout(value = 240, unit = TimeUnit.SECONDS) // per test; ~25 s and ~40 s on a quiet box, 24 s and 111 s at load 20-30
class OutboxBenchCommandTest {

    private static final String[] SMALL = {"--quick", "--json", "--rows", "2000", "--seconds", "2", "--rate", "200"};

    @Test
    void reportsDrainAndLiveFiguresOfOurRelayAsOneJsonLine() throws Exception {
        JsonNode report = run(SMALL);

        assertThat(report.get("benchmark").asText()).isEqualTo("outbox");
        assertThat(report.get("machine").get("cores").asInt()).isPositive();
        assertThat(report.get("config").get("rows").asInt()).isEqualTo(2000);
        List<String> names = names(report);
        assertThat(names).contains("drain.1relay.rate", "drain.2relays.rate", "live.notify.p50", "live.notify.p99",
                "live.notify.p999", "live.notify.max", "live.poll.p50", "live.poll.p99", "live.poll.max");
        assertThat(names).noneMatch(n -> n.startsWith("debezium."));
        for (JsonNode f : report.get("figures")) {
            assertThat(f.get("unit").asText()).isNotBlank();
            assertThat(f.get("value").isNumber()).as("value of %s", f.get("name")).isTrue();
            assertThat(f.get("value").asDouble()).as("value of %s", f.get("name")).isGreaterThanOrEqualTo(0);
            assertThat(f.has("peer")).as("%s has no peer without --vs", f.get("name")).isFalse();
        }
        assertThat(figure(report, "drain.1relay.rate").get("value").asDouble()).isPositive();
        assertThat(figure(report, "live.notify.p99").get("target").asText()).contains("50 ms");
        assertThat(figure(report, "live.notify.p99").get("target_met").isBoolean()).isTrue();
        assertThat(figure(report, "drain.1relay.rate").get("target").asText()).contains("20,000");
    }

    @Test
    void comparesEachFigureWithDebeziumOnTheSameTableAndWorkload() throws Exception {
        JsonNode report = run(concat(SMALL, "--vs", "debezium"));

        List<String> names = names(report);
        assertThat(names).contains("debezium.drain.rate", "debezium.live.defaults.p99", "debezium.live.poll10.p99");
        JsonNode drain = figure(report, "drain.1relay.rate");
        assertThat(drain.get("peer").asText()).isEqualTo("debezium.drain.rate");
        assertThat(drain.get("peer_value").asDouble()).isPositive()
                .isEqualTo(figure(report, "debezium.drain.rate").get("value").asDouble());
        assertThat(drain.get("ratio").asDouble())
                .isCloseTo(drain.get("value").asDouble() / drain.get("peer_value").asDouble(), org.assertj.core.data.Offset.offset(0.01));
        assertThat(drain.get("target").asText()).contains("Debezium");
        JsonNode notifyP99 = figure(report, "live.notify.p99");
        assertThat(notifyP99.get("peer").asText()).isEqualTo("debezium.live.poll10.p99");
        assertThat(notifyP99.get("peer_value").asDouble()).isPositive();
        assertThat(figure(report, "live.poll.p99").get("peer").asText()).isEqualTo("debezium.live.defaults.p99");
    }

    @Test
    void liveOnlyMeasuresTheLiveCasesAndNoDrain() throws Exception {
        JsonNode report = run(concat(SMALL, "--live-only"));

        List<String> names = names(report);
        assertThat(names).contains("live.notify.p99", "live.poll.p99", "live.notify.write_rate");
        assertThat(names).noneMatch(n -> n.startsWith("drain."));
        assertThat(figure(report, "live.notify.p99").get("value").asDouble()).isGreaterThanOrEqualTo(0);
    }

    @Test
    void rejectsAnUnknownPeer() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int exit = new CommandLine(new OutboxBenchCommand(new PrintStream(bytes, true, StandardCharsets.UTF_8)))
                .execute("--vs", "outboxlib");
        assertThat(exit).isEqualTo(2);
    }

    private static JsonNode run(String... args) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int exit = new CommandLine(new OutboxBenchCommand(new PrintStream(bytes, true, StandardCharsets.UTF_8)))
                .execute(args);
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertThat(exit).as("exit code; output:%n%s", out).isZero();
        String[] lines = out.strip().split("\n");
        String last = lines[lines.length - 1];
        assertThat(last).as("the last line is one JSON object").startsWith("{").endsWith("}");
        return new ObjectMapper().readTree(last);
    }

    private static List<String> names(JsonNode report) {
        List<String> names = new ArrayList<>();
        report.get("figures").forEach(f -> names.add(f.get("name").asText()));
        return names;
    }

    private static JsonNode figure(JsonNode report, String name) {
        for (JsonNode f : report.get("figures")) {
            if (f.get("name").asText().equals(name)) {
                return f;
            }
        }
        throw new AssertionError("No figure '" + name + "' in " + report);
    }

    private static String[] concat(String[] a, String... b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
