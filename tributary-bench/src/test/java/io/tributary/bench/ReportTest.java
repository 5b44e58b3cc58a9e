package io.tributary.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tributary.bench.internal.Figure;
import io.tributary.bench.internal.Report;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReportTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void ratioIsOursOverThePeersAndTheTargetSaysWhetherItWasMet() throws Exception {
        Report r = new Report();
        r.add(Figure.of("append.100B.p1.never", "records/s", 2_000_000, "append"));
        r.compareAtLeast("append.100B.p1.never", "kafka (stock, no flush)", 400_000, 4);
        r.add(Figure.of("append.1KiB.p1.always", "records/s", 200_000, "append"));
        r.compareAtLeast("append.1KiB.p1.always", "kafka flush.messages=1", 50_000, 6);

        JsonNode root = JSON.readTree(r.json(Map.of("suite", "log")));

        JsonNode met = root.path("figures").get(0).path("vs").get(0);
        assertThat(met.path("ratio").asDouble()).isEqualTo(5.0);
        assertThat(met.path("target").asText()).isEqualTo(">= 4x");
        assertThat(met.path("met").asBoolean()).isTrue();
        JsonNode missed = root.path("figures").get(1).path("vs").get(0);
        assertThat(missed.path("ratio").asDouble()).isEqualTo(4.0);
        assertThat(missed.path("met").asBoolean()).isFalse();
        assertThat(r.table()).contains("5.00x", "NO");
    }

    @Test
    void absoluteTargetsAreJudgedOnOurFigureAlone() throws Exception {
        Report r = new Report();
        r.add(Figure.of("startup.first_durable_append", "ms", 280, "startup")
                .withTarget(Figure.Verdict.below(280, 300, "ms")));
        r.add(Figure.of("p2c.100B.never.block.p50", "us", 25, "p2c").withTarget(Figure.Verdict.below(25, 20, "us")));

        JsonNode figures = JSON.readTree(r.json(Map.of())).path("figures");

        assertThat(figures.get(0).path("target").asText()).isEqualTo("< 300 ms");
        assertThat(figures.get(0).path("met").asBoolean()).isTrue();
        assertThat(figures.get(1).path("met").asBoolean()).isFalse();
    }

    @Test
    void comparisonsWithAPeerThatMeasuredNothingOfOursAreDropped() throws Exception {
        Report r = new Report();
        r.compare("append.100B.p1.interval-100ms", "kafka", 1);

        assertThat(r.figures()).isEmpty();
        assertThat(JSON.readTree(r.json(Map.of())).path("figures")).isEmpty();
    }

    @Test
    void aZeroPeerFigureGivesANullRatioNotInvalidJson() throws Exception {
        Report r = new Report();
        r.add(Figure.of("consume.100B", "records/s", 10, "consume"));
        r.compare("consume.100B", "kafka", 0);

        JsonNode vs = JSON.readTree(r.json(Map.of())).path("figures").get(0).path("vs").get(0);

        assertThat(vs.path("ratio").isNull()).isTrue();
    }
}
