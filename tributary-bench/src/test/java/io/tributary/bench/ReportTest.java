package io.tributary.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tributary.bench.internal.Figure;
import io.tributary.bench.internal.PairedRatio;
import io.tributary.bench.internal.Report;
import java.util.List;
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
    void pairedTrialsReportTheMedianPairRatioItsIntervalAndAVerdictThatCanBeUndecided() throws Exception {
        Report r = new Report();
        // Ten rounds in which raw swings from 200k to 300k records/s and ours follows it at 0.87x to 0.96x.
        List<Double> raw = List.of(200e3, 300e3, 250e3, 210e3, 290e3, 230e3, 270e3, 220e3, 260e3, 240e3);
        double[] ratios = {0.87, 0.96, 0.90, 0.91, 0.89, 0.93, 0.88, 0.92, 0.94, 0.95};
        List<Double> ours = new java.util.ArrayList<>();
        for (int i = 0; i < ratios.length; i++) {
            ours.add(raw.get(i) * ratios[i]);
        }
        PairedRatio p = new PairedRatio(ours, raw);
        r.add(Figure.of("appendCb.100B.p1.always", "records/s", p.medianOurs(), "append"));
        r.comparePaired("appendCb.100B.p1.always", "raw kafka-clients, flush.messages=1", p, null, 0.9);

        JsonNode vs = JSON.readTree(r.json(Map.of())).path("figures").get(0).path("vs").get(0);

        assertThat(vs.path("peer_value").asDouble()).isEqualTo(245_000);
        assertThat(vs.path("ratio").asDouble()).isEqualTo(0.915);
        assertThat(vs.path("ratio_of_medians").asDouble()).isEqualTo(Math.round(p.medianOurs() / 245_000 * 1000) / 1000.0);
        assertThat(vs.path("paired").path("ratio_low").asDouble()).isEqualTo(0.88);
        assertThat(vs.path("paired").path("ratio_high").asDouble()).isEqualTo(0.95);
        assertThat(vs.path("paired").path("verdict").asText()).isEqualTo("undecided");
        assertThat(vs.path("target").asText()).isEqualTo(">= 0.9x (undecided)");
        assertThat(vs.path("met").asBoolean()).isFalse();
        assertThat(vs.path("paired").path("ratios")).hasSize(10);
        assertThat(r.table()).contains("[0.88-0.95] of 10, min-max 0.87-0.96", "unclear");
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
