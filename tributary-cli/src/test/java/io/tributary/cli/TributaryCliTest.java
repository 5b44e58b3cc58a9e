package io.tributary.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/** The command line's shape, help and input errors: everything decided before a log is opened. */
@Timeout(60)
class TributaryCliTest {

    @TempDir
    Path tmp;

    @Test
    void helpListsDemoLogAndBenchWithExitStatuses() {
        Shell.Outcome r = Shell.run("--help");
        assertThat(r.status()).isZero();
        assertThat(r.out()).contains("demo", "log", "bench", "registry", "Exit status:", "3   not found");
    }

    @Test
    void logHelpListsEverySubcommand() {
        Shell.Outcome r = Shell.run("log", "--help");
        assertThat(r.status()).isZero();
        assertThat(r.out()).contains("create-topic", "describe", "list", "delete", "produce", "consume", "groups",
                "reset-offsets");
    }

    @Test
    void everyCommandHasHelpText() {
        CommandLine root = TributaryCli.commandLine(System.in);
        List<List<String>> paths = List.of(List.of("demo"), List.of("demo", "log"), List.of("demo", "query"), List.of("bench"), List.of("registry"), List.of("log"),
                List.of("log", "create-topic"), List.of("log", "describe"), List.of("log", "list"),
                List.of("log", "delete"), List.of("log", "produce"), List.of("log", "consume"),
                List.of("log", "groups"), List.of("log", "reset-offsets"));
        for (List<String> path : paths) {
            String[] args = java.util.stream.Stream.concat(path.stream(), java.util.stream.Stream.of("--help"))
                    .toArray(String[]::new);
            Shell.Outcome r = Shell.run(args);
            assertThat(r.status()).as(String.join(" ", path)).isZero();
            assertThat(r.out()).as(String.join(" ", path)).startsWith("Usage: tributary " + String.join(" ", path));
        }
        assertThat(root.getSubcommands().get("log").getSubcommands()).hasSize(8);
    }

    @Test
    void versionNamesTributaryAndJava() {
        Shell.Outcome r = Shell.run("--version");
        assertThat(r.status()).isZero();
        assertThat(r.out()).startsWith("tributary ").contains("Java ");
    }

    @Test
    void noCommandIsAUsageError() {
        Shell.Outcome r = Shell.run();
        assertThat(r.status()).isEqualTo(ExitStatus.INVALID);
        assertThat(r.err()).contains("Missing command", "tributary demo");
    }

    @Test
    void unknownSubcommandIsAUsageError() {
        Shell.Outcome r = Shell.run("log", "frobnicate");
        assertThat(r.status()).isEqualTo(ExitStatus.INVALID);
        assertThat(r.err()).contains("frobnicate");
    }

    @Test
    void createTopicWithoutANameIsAUsageError() {
        Shell.Outcome r = Shell.run("log", "create-topic");
        assertThat(r.status()).isEqualTo(ExitStatus.INVALID);
        assertThat(r.err()).contains("Missing required parameter: 'TOPIC'");
    }

    @Test
    void invalidTopicNameIsOneLineWithItsCode() {
        Shell.Outcome r = Shell.run("log", "create-topic", "no spaces!", "--data-dir", tmp.toString());
        assertThat(r.status()).isEqualTo(ExitStatus.INVALID);
        assertThat(r.errLines()).hasSize(1);
        assertThat(r.err()).startsWith("Error: ").contains("'no spaces!'").endsWith("[INVALID_TOPIC_NAME]\n");
    }

    @Test
    void invalidTopicConfigReportsEveryProblemAtOnce() {
        Shell.Outcome r = Shell.run("log", "create-topic", "orders", "--data-dir", tmp.toString(),
                "--config", "retention.ms=soon", "--config", "colour=blue");
        assertThat(r.status()).isEqualTo(ExitStatus.INVALID);
        assertThat(r.errLines()).hasSize(1);
        assertThat(r.err()).contains("retention.ms", "colour", "[INVALID_TOPIC_CONFIG]");
    }

    @Test
    void partitionCountOutOfRangeIsRejected() {
        Shell.Outcome r = Shell.run("log", "create-topic", "orders", "--partitions", "0", "--data-dir", tmp.toString());
        assertThat(r.status()).isEqualTo(ExitStatus.INVALID);
        assertThat(r.err()).contains("[INVALID_PARTITION_COUNT]");
    }

    @Test
    void readingAMissingDataDirSaysWhereAndHowToCreateIt() {
        Path missing = tmp.resolve("nowhere");
        Shell.Outcome r = Shell.run("log", "list", "--data-dir", missing.toString());
        assertThat(r.status()).isEqualTo(ExitStatus.NOT_FOUND);
        assertThat(r.errLines()).hasSize(1);
        assertThat(r.err()).contains(missing.toAbsolutePath().toString(), "create-topic", "[DATA_DIR_NOT_FOUND]");
    }

    @Test
    void unknownBackendNamesTheChoices() {
        Shell.Outcome r = Shell.run("log", "list", "--backend", "carrier-pigeon");
        assertThat(r.status()).isEqualTo(ExitStatus.INVALID);
        assertThat(r.err()).contains("carrier-pigeon", "[UNKNOWN_BACKEND]");
    }

    @Test
    void bootstrapSelectsTheKafkaBackend() {
        LogOptions options = new LogOptions();
        options.bootstrap = "127.0.0.1:9092";
        assertThat(options.settings()).containsEntry("tributary.log.backend", "kafka")
                .containsEntry("tributary.log.kafka.bootstrap-servers", "127.0.0.1:9092")
                .doesNotContainKey("tributary.log.embedded.data-dir");
    }

    @Test
    void dataDirGoesToTheEmbeddedEngine() {
        LogOptions options = new LogOptions();
        options.dataDir = Path.of("/srv/log");
        assertThat(options.settings()).containsEntry("tributary.log.embedded.data-dir", "/srv/log")
                .doesNotContainKey("tributary.log.backend");
    }

    @Test
    void resetOffsetsNeedsExactlyOneTarget() {
        Shell.Outcome none = Shell.run("log", "reset-offsets", "--group", "g", "--topic", "t");
        assertThat(none.status()).isEqualTo(ExitStatus.INVALID);
        assertThat(none.err()).contains("--to-earliest");
        Shell.Outcome two = Shell.run("log", "reset-offsets", "--group", "g", "--topic", "t", "--to-earliest",
                "--to-latest");
        assertThat(two.status()).isEqualTo(ExitStatus.INVALID);
        assertThat(two.err()).contains("mutually exclusive");
    }

    @Test
    void resetOffsetsRejectsATimeThatIsNotIso8601() {
        Shell.Outcome r = Shell.run("log", "reset-offsets", "--group", "g", "--topic", "t", "--to-datetime",
                "yesterday", "--data-dir", tmp.toString());
        assertThat(r.status()).isEqualTo(ExitStatus.INVALID);
        assertThat(r.err()).contains("'yesterday'", "2026-11-27T10:00:00Z", "[INVALID_ARGUMENT]");
    }

    @Test
    void resetOffsetsReadsInstantsOffsetsAndLocalTimes() {
        assertThat(ResetOffsetsCommand.parseTime("2026-11-27T10:00:00Z").toEpochMilli()).isEqualTo(1795773600000L);
        assertThat(ResetOffsetsCommand.parseTime("2026-11-27T11:00:00+01:00").toEpochMilli()).isEqualTo(1795773600000L);
        assertThat(ResetOffsetsCommand.parseTime("2026-11-27T10:00")).isNotNull();
        assertThat(ResetOffsetsCommand.parseTime("2026-11-27")).isNotNull();
    }

    @Test
    void consumeRejectsAZeroMax() {
        Shell.Outcome r = Shell.run("log", "consume", "orders", "--max", "0", "--data-dir", tmp.toString());
        assertThat(r.status()).isEqualTo(ExitStatus.INVALID);
        assertThat(r.err()).contains("--max 0", "[INVALID_ARGUMENT]");
    }

    @Test
    void consumeRejectsPartitionsTogetherWithAGroup() {
        Shell.Outcome r = Shell.run("log", "consume", "orders", "--group", "g", "--partition", "1",
                "--data-dir", tmp.toString());
        assertThat(r.status()).isEqualTo(ExitStatus.INVALID);
        assertThat(r.err()).contains("--partition", "--group");
    }

    @ParameterizedTest
    @ValueSource(strings = {"soon", "10 parsecs", "s"})
    void badDurationsAreUsageErrors(String text) {
        Shell.Outcome r = Shell.run("log", "consume", "orders", "--idle-timeout", text);
        assertThat(r.status()).isEqualTo(ExitStatus.INVALID);
        assertThat(r.err()).contains("is not a duration");
    }

    @Test
    void durationsReadUnitsAndIso8601() {
        DurationConverter c = new DurationConverter();
        assertThat(c.convert("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(c.convert("10s")).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.convert("2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(c.convert("1h")).isEqualTo(Duration.ofHours(1));
        assertThat(c.convert("PT3S")).isEqualTo(Duration.ofSeconds(3));
    }

    @Test
    void registryRejectsAPortThatCannotExist() {
        Shell.Outcome r = Shell.run("registry", "--port", "70000", "--data-dir", tmp.toString());
        assertThat(r.status()).as(r.toString()).isEqualTo(ExitStatus.INVALID);
        assertThat(r.errLines()).hasSize(1);
        assertThat(r.err()).contains("70000");
    }

    @Test
    void demoReportsEveryBadSettingAtOnce() {
        Shell.Outcome r = Shell.run("demo", "log", "--events", "0", "--value-size", "3", "--consumers", "0");
        assertThat(r.status()).isEqualTo(ExitStatus.INVALID);
        assertThat(r.errLines()).hasSize(1);
        assertThat(r.err()).contains("--events 0", "--value-size 3", "--consumers 0", "[INVALID_ARGUMENT]");
    }

    @Test
    void demoRejectsAnUnknownFsyncMode() {
        Shell.Outcome r = Shell.run("demo", "log", "--fsync", "sometimes");
        assertThat(r.status()).isEqualTo(ExitStatus.INVALID);
        assertThat(r.err()).contains("sometimes", "[INVALID_TOPIC_CONFIG]");
    }

    @Test
    void exitStatusFollowsTheKindOfError() {
        assertThat(ExitStatus.of(new io.tributary.core.NotFoundException(io.tributary.log.LogErrors.TOPIC_NOT_FOUND,
                "x"))).isEqualTo(3);
        assertThat(ExitStatus.of(new io.tributary.core.ConflictException(
                io.tributary.log.LogErrors.TOPIC_ALREADY_EXISTS, "x"))).isEqualTo(4);
        assertThat(ExitStatus.of(new io.tributary.core.RetriableException(
                io.tributary.log.LogErrors.PRODUCER_BUFFER_FULL, "x"))).isEqualTo(5);
    }
}
