package io.tributary.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.tributary.bench.internal.LogSuite;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs {@code tributary bench log --quick --json} for real (embedded engine, child JVMs) and checks the shape of what
 * it prints, never the speed: speed is for docs/benchmarks.md, taken on a quiet machine.
 */
@Tag("slow")
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class LogBenchCommandTest {

    private static final Set<String> UNITS = Set.of("records/s", "us", "ms", "MiB");

    @TempDir
    Path dir;

    @Test
    void quickJsonRunReportsEveryEmbeddedFigureAsOneJsonObjectOnTheLastLine() throws Exception {
        BenchRun run = BenchRun.of("log", "--quick", "--json", "--dir", dir.toString());

        assertThat(run.exitCode()).as("exit code; stderr:\n%s", run.err()).isZero();
        JsonNode root = run.lastLineJson();
        assertThat(root.path("suite").asText()).isEqualTo("log");
        assertThat(root.path("backend").asText()).isEqualTo("embedded");
        assertThat(root.path("quick").asBoolean()).isTrue();
        assertThat(root.path("errors").isArray()).isTrue();
        assertThat(root.path("errors")).isEmpty();
        assertThat(root.path("machine").path("cores").asInt()).isPositive();
        assertThat(root.path("settings").path("append_batch").asInt()).as("the embedded engine appends one by one")
                .isEqualTo(1);
        assertThat(figure(root, "append.100B.p1.never").path("description").asText())
                .contains("append() per record (Record.of, copying)");

        List<String> names = new ArrayList<>();
        for (JsonNode f : root.path("figures")) {
            names.add(f.path("name").asText());
            assertThat(f.path("unit").asText()).as(f.toString()).isIn(UNITS);
            assertThat(f.path("value").isNumber()).as(f.toString()).isTrue();
            assertThat(f.path("value").asDouble()).as(f.toString()).isPositive();
            assertThat(f.has("vs")).as("no peer ran, so no comparisons: %s", f).isFalse();
            if (f.path("unit").asText().equals("records/s")) {
                assertThat(f.path("description").asText()).contains("records");
            }
        }
        LogSuite.Settings quick = new LogSuite.Settings(dir, List.of(100, 1024), 6, 1, 100, Duration.ZERO,
                Duration.ZERO, 1, Duration.ZERO, 1, Duration.ZERO, 1, 1, 1);
        assertThat(names).containsExactlyInAnyOrderElementsOf(LogSuite.expectedEmbeddedFigures(quick));

        for (String targeted : List.of("ack.100B.always.p50", "p2c.100B.never.block.p50", "startup.first_durable_append")) {
            JsonNode f = figure(root, targeted);
            assertThat(f.path("target").asText()).as(targeted).isNotBlank();
            assertThat(f.path("met").isBoolean()).as(targeted).isTrue();
        }
        assertThat(run.out()).as("the human-readable table comes before the JSON line")
                .contains("figure", "append.100B.p1.always", "startup.first_durable_append");
    }

    @Test
    void vsChronicleAttachesChroniclesFiguresWithRatiosAndTargets() throws Exception {
        BenchRun run = BenchRun.of("log", "--quick", "--json", "--vs", "chronicle", "--sizes", "100",
                "--partitions", "1", "--startup-runs", "0", "--dir", dir.toString());

        assertThat(run.exitCode()).as("exit code; stderr:\n%s", run.err()).isZero();
        JsonNode root = run.lastLineJson();
        assertThat(root.path("vs").toString()).isEqualTo("[\"chronicle\"]");

        JsonNode pageCache = figure(root, "append.100B.p1.never");
        JsonNode vs = pageCache.path("vs").get(0);
        assertThat(vs.path("peer").asText()).startsWith("chronicle default");
        assertThat(vs.path("peer_value").asDouble()).isPositive();
        assertThat(vs.path("ratio").asDouble())
                .isCloseTo(pageCache.path("value").asDouble() / vs.path("peer_value").asDouble(),
                        org.assertj.core.data.Percentage.withPercentage(1));
        assertThat(vs.path("target").asText()).isEqualTo(">= 0.5x");
        assertThat(vs.path("met").isBoolean()).isTrue();

        JsonNode durable = figure(root, "append.100B.p1.always");
        assertThat(durable.path("vs")).extracting(n -> n.path("peer").asText())
                .containsExactly("chronicle SYNC, sync() every append", "chronicle SYNC, sync() every 100 appends");
        assertThat(figure(root, "p2c.100B.never.spin.p50").path("vs").get(0).path("peer").asText())
                .isEqualTo("chronicle spinning tailer");
    }

    @Test
    void vsKafkaComparesOurDurableModeWithFlushEveryMessageAndPageCacheModeWithStockKafka() throws Exception {
        BenchRun run = BenchRun.of("log", "--quick", "--json", "--vs", "kafka", "--sizes", "1024", "--partitions", "1",
                "--startup-runs", "0", "--dir", dir.toString());

        assertThat(run.exitCode()).as("exit code; stderr:\n%s", run.err()).isZero();
        JsonNode root = run.lastLineJson();
        assertThat(root.path("vs").toString()).isEqualTo("[\"kafka\"]");

        JsonNode durable = figure(root, "append.1KiB.p1.always").path("vs").get(0);
        assertThat(durable.path("peer").asText()).isEqualTo("kafka flush.messages=1");
        assertThat(durable.path("peer_value").asDouble()).isPositive();
        assertThat(durable.path("target").asText()).isEqualTo(">= 6x");
        JsonNode pageCache = figure(root, "append.1KiB.p1.never").path("vs").get(0);
        assertThat(pageCache.path("peer").asText()).isEqualTo("kafka (stock, no flush)");
        assertThat(figure(root, "append.1KiB.p1.interval-100ms").has("vs"))
                .as("Kafka has no fsync interval of its own, so no comparison").isFalse();
        for (String name : List.of("consume.1KiB", "ack.100B.always.p50", "ack.100B.never.p99",
                "p2c.100B.never.block.p50", "p2c.100B.always.block.p999")) {
            assertThat(figure(root, name).path("vs").get(0).path("peer_value").asDouble()).as(name).isPositive();
        }
    }

    @Test
    void backendKafkaRunsTheWorkloadThroughOurSpiAndNamesItsBulkAppendFiguresAfterTheBatch() throws Exception {
        BenchRun run = BenchRun.of("log", "--quick", "--json", "--backend", "kafka", "--sizes", "100",
                "--partitions", "1", "--dir", dir.toString());

        assertThat(run.exitCode()).as("exit code; stderr:\n%s", run.err()).isZero();
        JsonNode root = run.lastLineJson();
        assertThat(root.path("backend").asText()).isEqualTo("kafka");
        assertThat(root.path("settings").path("append_batch").asInt()).isEqualTo(64);
        JsonNode append = figure(root, "appendAll64.100B.p1.never");
        assertThat(append.path("description").asText()).contains("append throughput", "appendAll() of 64 records",
                "Record.wrapping");
        // The broker runs in this JVM: every trial read its meters, so the row gives their medians and ours' paired
        // differences from raw. A renamed meter would leave these out.
        assertThat(append.path("description").asText()).contains("; broker, medians: ",
                "; broker, paired medians minus kafka-clients: ");
        java.util.regex.Matcher handlers = java.util.regex.Pattern.compile("; broker, medians: .*?handlers (\\d+\\.\\d+) us")
                .matcher(append.path("description").asText());
        assertThat(handlers.find()).as("handler CPU in %s", append.path("description").asText()).isTrue();
        assertThat(Double.parseDouble(handlers.group(1))).as("broker handler CPU per record, us").isPositive();
        JsonNode vs = append.path("vs").get(0);
        assertThat(vs.path("peer").asText()).isEqualTo("raw kafka-clients");
        assertThat(vs.path("peer_value").asDouble()).isPositive();
        assertThat(vs.path("target").asText()).as("the verdict on the interval of the median pair ratio")
                .matches(">= 0\\.9x \\((above|below|undecided)\\)");
        assertThat(root.path("settings").path("pairs").asInt()).isEqualTo(2);
        JsonNode paired = vs.path("paired");
        assertThat(paired.path("pairs").asInt()).isEqualTo(2);
        assertThat(paired.path("ratios")).hasSize(2);
        assertThat(vs.path("ratio").asDouble()).isEqualTo(paired.path("ratio_median").asDouble());
        assertThat(vs.path("met").asBoolean()).isEqualTo(paired.path("verdict").asText().equals("above"));
        assertThat(figure(root, "consume.100B").path("vs").get(0).path("paired").path("pairs").asInt()).isEqualTo(2);
        assertThat(figure(root, "appendAll64.100B.p1.always").path("vs").get(0).path("peer").asText())
                .isEqualTo("raw kafka-clients, flush.messages=1");
        assertThat(root.path("figures")).extracting(f -> f.path("name").asText())
                .as("a bulk run never reports under the per-record append.* names of recorded runs")
                .noneMatch(n -> n.startsWith("append."));
        assertThat(root.path("figures")).extracting(f -> f.path("name").asText())
                .as("embedded-only figures are not part of a Kafka backend run")
                .doesNotContain("startup.first_durable_append", "fdatasync.100B.p50", "append.100B.p1.interval-100ms");
    }

    @Test
    void rejectsContradictoryOptionsWithAMessageThatSaysWhatToDrop() {
        BenchRun run = BenchRun.of("log", "--backend", "kafka", "--vs", "chronicle", "--sizes", "8");

        assertThat(run.exitCode()).as(run.err()).isEqualTo(2);
        assertThat(run.err()).contains("drop --vs chronicle").contains("--sizes [8] must each be between 16 and 1000000");
    }

    @Test
    void rejectsPairsOutOfRangeAndAnAaCheckWithoutTheKafkaBackend() {
        BenchRun run = BenchRun.of("log", "--aa", "--pairs", "0");

        assertThat(run.exitCode()).as(run.err()).isEqualTo(2);
        assertThat(run.err()).contains("--aa checks the paired method of --backend kafka; add --backend kafka")
                .contains("--pairs 0 must be between 1 and 100");
    }

    @Test
    void rejectsAnAppendBatchOutsideOneToTheWorkloadsBulkSize() {
        for (String bad : List.of("0", "65")) {
            BenchRun run = BenchRun.of("log", "--append-batch", bad);

            assertThat(run.exitCode()).as(run.err()).isEqualTo(2);
            assertThat(run.err()).contains("--append-batch " + bad + " must be between 1 and 64");
        }
    }

    @Test
    void rejectsAnAppendBatchLargerThanTheInFlightBoundOfTheLargestSizeNamingTheLargestThatFits() {
        // 16 MiB / 300,000 B = 55 records in flight: one appendAll of 64 could never be let through whole.
        BenchRun run = BenchRun.of("log", "--sizes", "100,300000", "--append-batch", "64");

        assertThat(run.exitCode()).as(run.err()).isEqualTo(2);
        assertThat(run.err()).contains("--append-batch 64 is more than the 55 records", "--sizes 300000",
                "use --append-batch 55 or less");
    }

    @Test
    void backendKafkaLowersItsDefaultAppendBatchToTheInFlightBoundOfLargeValues() {
        LogBenchCommand large = new LogBenchCommand();
        large.sizes = List.of(100, 300_000);
        LogBenchCommand small = new LogBenchCommand();

        assertThat(large.appendBatch(LogBenchCommand.Backend.kafka)).isEqualTo(55);
        assertThat(small.appendBatch(LogBenchCommand.Backend.kafka)).isEqualTo(64);
        assertThat(large.appendBatch(LogBenchCommand.Backend.embedded)).isEqualTo(1);
    }

    private static JsonNode figure(JsonNode root, String name) {
        for (JsonNode f : root.path("figures")) {
            if (f.path("name").asText().equals(name)) {
                return f;
            }
        }
        throw new AssertionError("no figure named " + name + " in " + root);
    }
}
