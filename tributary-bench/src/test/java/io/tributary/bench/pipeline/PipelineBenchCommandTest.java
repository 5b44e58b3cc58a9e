package io.tributary.bench.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.tributary.bench.BenchRun;
import io.tributary.bench.pipeline.PipelineBenchCommand.Mode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.assertj.core.data.Percentage;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs {@code tributary bench pipeline} for real (our processor on the embedded engine, and on an in-JVM Kafka broker
 * beside a raw kafka-clients poll loop) with tiny durations, and checks what it prints, never the speed: speed is for
 * docs/benchmarks.md.
 */
@Tag("slow")
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class PipelineBenchCommandTest {

    @TempDir
    Path dir;

    private static final String[] TINY = {"--seconds", "0.5", "--warmup-seconds", "0", "--latency-seconds", "0.5",
            "--rate", "5000", "--keys", "50", "--partitions", "2"};

    private static String[] args(String... more) {
        List<String> all = new ArrayList<>(List.of("pipeline", "--json"));
        all.addAll(List.of(TINY));
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }

    @Test
    void embeddedRunReportsThroughputDrainAndLatencyOfBothModesWithTheirTargets() throws Exception {
        BenchRun run = BenchRun.of(args("--embedded-only", "--dir", dir.toString()));

        assertThat(run.exitCode()).as("exit code; stderr:\n%s", run.err()).isZero();
        JsonNode root = run.lastLineJson();
        assertThat(root.path("suite").asText()).isEqualTo("pipeline");
        assertThat(root.path("errors")).isEmpty();
        assertThat(root.path("settings").path("rate").asInt()).isEqualTo(5000);
        List<String> names = new ArrayList<>();
        for (JsonNode f : root.path("figures")) {
            names.add(f.path("name").asText());
            assertThat(f.path("value").asDouble()).as(f.toString()).isPositive();
            assertThat(f.has("vs")).as("no Kafka ran, so no ratios: %s", f).isFalse();
        }
        assertThat(names).containsExactlyInAnyOrderElementsOf(
                PipelineBenchCommand.expectedFigures(List.of(Mode.batched, Mode.per_event), false));
        JsonNode e2e = figure(root, "e2e.batched.embedded");
        assertThat(e2e.path("target").asText()).isEqualTo(">= 1000000 records/s");
        assertThat(figure(root, "latency.batched.embedded.p99").path("target").asText()).isEqualTo("< 10000 us");
        assertThat(figure(root, "latency.per-event.embedded.p99").path("met").isBoolean()).isTrue();
        assertThat(figure(root, "latency.batched.embedded.p50").path("description").asText())
                .contains("5,000/s offered");
        assertThat(root.path("settings").path("produce_batch").asInt()).isEqualTo(500);
        assertThat(e2e.path("description").asText()).contains("500 records per call");
    }

    @Test
    void oneRecordPerCallGivesTheSingleAppendWorkload() throws Exception {
        BenchRun run = BenchRun.of(args("--embedded-only", "--modes", "batched", "--produce-batch", "1", "--dir",
                dir.toString()));

        assertThat(run.exitCode()).as("exit code; stderr:\n%s", run.err()).isZero();
        JsonNode root = run.lastLineJson();
        assertThat(root.path("errors")).isEmpty();
        JsonNode e2e = figure(root, "e2e.batched.embedded");
        assertThat(e2e.path("value").asDouble()).isPositive();
        assertThat(e2e.path("description").asText()).contains("one record per call");
    }

    @Test
    void kafkaRunComparesOurProcessorOnBothBackendsWithThePlainPollLoop() throws Exception {
        BenchRun run = BenchRun.of(args("--modes", "batched", "--dir", dir.toString()));

        assertThat(run.exitCode()).as("exit code; stderr:\n%s", run.err()).isZero();
        JsonNode root = run.lastLineJson();
        assertThat(root.path("systems").toString()).isEqualTo("[\"embedded\",\"kafka-backend\",\"kafka-clients\"]");
        assertThat(root.path("figures")).extracting(f -> f.path("name").asText())
                .containsExactlyInAnyOrderElementsOf(PipelineBenchCommand.expectedFigures(List.of(Mode.batched), true));
        JsonNode embedded = figure(root, "e2e.batched.embedded");
        assertThat(embedded.path("vs")).extracting(v -> v.path("peer").asText())
                .containsExactly(PipelineBenchCommand.PEER, PipelineBenchCommand.OURS_ON_KAFKA);
        JsonNode vsPeer = embedded.path("vs").get(0);
        assertThat(vsPeer.path("ratio").asDouble()).isCloseTo(
                embedded.path("value").asDouble() / vsPeer.path("peer_value").asDouble(), Percentage.withPercentage(1));
        JsonNode onKafka = figure(root, "latency.batched.kafka-backend.p99");
        assertThat(onKafka.path("vs")).extracting(v -> v.path("peer").asText()).containsExactly(PipelineBenchCommand.PEER);
        assertThat(run.out()).as("the table comes before the JSON line").contains("figure", PipelineBenchCommand.PEER);
    }

    @Test
    void rejectsBadOptionsAllAtOnceAndSaysWhereTheDefaultsAre() {
        BenchRun run = BenchRun.of("pipeline", "--rate", "0", "--size", "4", "--fsync", "sometimes", "--seconds", "0",
                "--produce-batch", "0");

        assertThat(run.exitCode()).isNotZero();
        assertThat(run.err()).contains("--rate 0", "--size 4", "--fsync 'sometimes'", "--seconds 0.0",
                "--produce-batch 0", "tributary bench pipeline --help");
    }

    private static JsonNode figure(JsonNode root, String name) {
        for (JsonNode f : root.path("figures")) {
            if (f.path("name").asText().equals(name)) {
                return f;
            }
        }
        throw new AssertionError("no figure " + name + " in " + root);
    }
}
