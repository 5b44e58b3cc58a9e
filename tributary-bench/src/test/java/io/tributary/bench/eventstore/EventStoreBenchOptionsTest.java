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

    @Test
    void rejectsPairsWithoutAxonToPairWith() {
        assertThat(refused("--backend", "postgres", "--pairs", "8")).contains("--pairs", "needs --vs axon");
        assertThat(refused("--backend", "embedded", "--vs", "axon", "--pairs", "8")).contains("--backend postgres or both");
        assertThat(refused("--vs", "axon", "--only", "reads", "--pairs", "8")).contains("--only appends");
    }

    @Test
    void rejectsPairsOutsideOneToAHundred() {
        assertThat(refused("--vs", "axon", "--pairs", "0")).contains("--pairs 0 must be between 1 and 100");
        assertThat(refused("--vs", "axon", "--pairs", "101")).contains("--pairs 101 must be between 1 and 100");
    }

    @Test
    void rejectsAnOddNumberOfPairsWhichTheMirroredOrderCannotBalance() {
        // Regression: --pairs 5 ran AB BA BA AB AB, ours first in 3 rounds of 5, while help promised each side half.
        assertThat(refused("--vs", "axon", "--only", "appends", "--pairs", "5"))
                .contains("--pairs 5 is odd", "use --pairs 4 or 6", "or 1 for a single run");
        assertThat(refused("--vs", "axon", "--pairs", "99")).contains("--pairs 99 is odd");
    }

    @Test
    void helpShowsTheDefaultNumberOfPairs() {
        java.io.StringWriter out = new java.io.StringWriter();
        CommandLine cmd = new CommandLine(new EventStoreBench());
        cmd.setOut(new java.io.PrintWriter(out, true));
        cmd.execute("--help");
        assertThat(out.toString().replaceAll("\\s+", " ")).contains("default with --vs axon: " + EventStoreBench.DEFAULT_PAIRS + ")", "90% interval");
    }

    @Test
    void rejectsAnUnknownPeerBeforeRunningAnything() {
        // Regression: --vs was checked only after the embedded workloads had run.
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            assertThat(refused("--backend", "embedded", "--only", "reads", "--vs", "kafka")).contains("--vs kafka is not a known peer");
        } finally {
            System.setOut(old);
        }
        assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
    }
}
