package io.tributary.bench.eventstore;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Options that would make the bench silently run something other than what was asked are refused before it runs. */
class EventStoreBenchOptionsTest {

    private static String refused(String... args) {
        PrintStream old = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        int rc;
        try {
            rc = new CommandLine(new EventStoreBench()).execute(args);
        } finally {
            System.setErr(old);
        }
        assertThat(rc).as("exit code of %s", String.join(" ", args)).isEqualTo(2);
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void rejectsPacedOnlyWithThePostgresBackendWhichWouldRunNothing() {
        assertThat(refused("--backend", "postgres", "--only", "paced")).contains("--only paced", "--backend embedded");
    }

    @Test
    void rejectsSettingsWithThePostgresBackendWhichWouldIgnoreThem() {
        assertThat(refused("--backend", "postgres", "--setting", "tributary.log.embedded.segment-preallocate-bytes=0"))
                .contains("--setting applies to the embedded backend only");
    }

    @Test
    void rejectsSettingsThatTheBenchSetsForEachRun() {
        assertThat(refused("--backend", "embedded", "--setting", "tributary.log.embedded.data-dir=/tmp/elsewhere"))
                .contains("tributary.log.embedded.data-dir cannot be overridden", "--dir");
    }

    @Test
    void rejectsAnAppendShapeThatIsNoWorkloadWhichWouldRunNothing() {
        assertThat(refused("--backend", "postgres", "--append-shape", "1x8x10000"))
                .contains("--append-shape 1x8x10000 is not one of the append workloads", "--threads 4", "1x4x10000",
                        "10x64x10000");
        assertThat(refused("--backend", "postgres", "--append-shape", "ten")).contains("--append-shape ten");
    }

    @Test
    void rejectsAnAppendShapeWithAGroupThatRunsNoAppends() {
        assertThat(refused("--backend", "postgres", "--only", "reads", "--append-shape", "1x4x10000"))
                .contains("--only reads does not run");
    }

    @Test
    void rejectsAPeerWithOnlyTheSerialisedStrategyWhichItIsNeverComparedOn() {
        assertThat(refused("--backend", "postgres", "--position-strategy", "serialised", "--vs", "axon"))
                .contains("transaction_id strategy only");
        assertThat(refused("--backend", "postgres", "--position-strategy", "dense")).contains("--position-strategy dense");
    }

    @Test
    void rejectsAPositionStrategyWithTheEmbeddedBackendWhichWouldIgnoreIt() {
        assertThat(refused("--backend", "embedded", "--position-strategy", "serialised"))
                .contains("--position-strategy serialised applies to the PostgreSQL backend", "--backend postgres");
    }
}
