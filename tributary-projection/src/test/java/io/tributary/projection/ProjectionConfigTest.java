package io.tributary.projection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ProjectionConfigTest {

    @Test
    void defaultsAreTheDocumentedOnes() {
        ProjectionConfig c = ProjectionConfig.of("order-totals");
        assertThat(c.maxBatchEvents()).isEqualTo(500);
        assertThat(c.pollTimeout()).isEqualTo(Duration.ofMillis(100));
        assertThat(c.catalogPrefix()).isEqualTo("tributary_projection").isEqualTo(ReadModels.DEFAULT_PREFIX);
        assertThat(c.stopTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.lagCountLimit()).isEqualTo(100_000);
        assertThat(c.retry().maxAttempts()).isEqualTo(5);
    }

    @Test
    void reportsEveryProblemOfAConfigAtOnce() {
        assertThatThrownBy(() -> new ProjectionConfig("no spaces allowed", 0, Duration.ZERO,
                ProjectionConfig.of("x").retry(), "Bad-Prefix", Duration.ofSeconds(-1), 0,
                io.tributary.processing.ProcessorTelemetry.defaults()))
                .isInstanceOfSatisfying(InvalidRequestException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_CONFIG))
                .hasMessageContaining("name 'no spaces allowed'")
                .hasMessageContaining("maxBatchEvents=0")
                .hasMessageContaining("pollTimeout=PT0S")
                .hasMessageContaining("catalogPrefix 'Bad-Prefix'")
                .hasMessageContaining("stopTimeout=PT-1S")
                .hasMessageContaining("lagCountLimit=0");
    }

    @Test
    void rejectsReadModelTableNamesThatAreNotPlainLowerCaseIdentifiers() {
        assertThatThrownBy(() -> ReadModel.of(List.of("Orders", "x;drop", "ok", "ok"), (c, t) -> { }))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("'Orders'").hasMessageContaining("'x;drop'").hasMessageContaining("duplicates");
        assertThatThrownBy(() -> ReadModel.of(List.of(), (c, t) -> { })).hasMessageContaining("no tables");
    }

    @Test
    void versionTablesNameEachVersionApartAndRejectUndeclaredTables() {
        VersionTables v3 = new VersionTables("order-totals", 3, Set.of("order_totals"));
        assertThat(v3.name("order_totals")).isEqualTo("order_totals_v3");
        assertThatThrownBy(() -> v3.name("customers"))
                .isInstanceOfSatisfying(InvalidRequestException.class,
                        e -> assertThat(e.code()).isEqualTo(ProjectionErrors.PROJECTION_UNKNOWN_TABLE))
                .hasMessageContaining("order-totals").hasMessageContaining("customers")
                .hasMessageContaining("[order_totals]");
    }
}
