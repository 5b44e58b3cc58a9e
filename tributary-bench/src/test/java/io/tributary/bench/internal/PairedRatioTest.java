package io.tributary.bench.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.tributary.bench.internal.PairedRatio.Outcome;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PairedRatioTest {

    @Test
    void theRatioIsTheMedianOfThePerPairRatiosNotTheRatioOfTheMedians() {
        // Raw moves 2x between rounds while ours tracks it at 0.95x: the pairs see 0.95 each time.
        PairedRatio p = new PairedRatio(List.of(95.0, 190.0, 95.0, 190.0, 190.0),
                List.of(100.0, 200.0, 100.0, 200.0, 200.0));

        assertThat(p.medianRatio()).isCloseTo(0.95, within(1e-9));
        assertThat(p.minRatio()).isCloseTo(0.95, within(1e-9));
        assertThat(p.maxRatio()).isCloseTo(0.95, within(1e-9));
        assertThat(p.medianOurs()).isEqualTo(190.0);
        assertThat(p.medianReference()).isEqualTo(200.0);
    }

    @Test
    void theIntervalIsTheSignTestsOrderStatisticsWithAtLeastNinetyPercentCoverage() {
        // n = 10: P(Bin(10, 1/2) <= 1) = 11/1024 <= 0.05 < P(<= 2) = 56/1024, so the 2nd and 9th smallest ratios.
        assertThat(PairedRatio.rank(10)).isEqualTo(2);
        assertThat(PairedRatio.rank(12)).isEqualTo(3);
        assertThat(PairedRatio.rank(16)).isEqualTo(5);
        assertThat(PairedRatio.rank(5)).isEqualTo(1);
        PairedRatio ten = ratios(0.80, 0.99, 0.92, 0.95, 0.93, 0.97, 0.94, 0.96, 0.98, 1.20);

        assertThat(ten.low()).isCloseTo(0.92, within(1e-9));
        assertThat(ten.high()).isCloseTo(0.99, within(1e-9));
        assertThat(ten.coverage()).isCloseTo(1 - 2 * 11.0 / 1024, within(1e-9));
        for (int n = 5; n <= 40; n++) {
            assertThat(ratios(new double[n]).coverage()).as("n = %d", n).isGreaterThanOrEqualTo(0.90);
        }
    }

    @Test
    void theVerdictIsDecidedOnlyWhenTheWholeIntervalIsOnOneSideOfTheTarget() {
        assertThat(ratios(0.80, 0.99, 0.92, 0.95, 0.93, 0.97, 0.94, 0.96, 0.98, 1.20).against(0.9))
                .as("one low outlier does not sink a row that clears the line").isEqualTo(Outcome.ABOVE);
        assertThat(ratios(0.70, 0.85, 0.84, 0.86, 0.88, 0.83, 0.87, 0.82, 0.89, 1.05).against(0.9))
                .isEqualTo(Outcome.BELOW);
        assertThat(ratios(0.85, 0.95, 0.87, 0.93, 0.89, 0.91, 0.88, 0.92, 0.90, 0.94).against(0.9))
                .as("straddling the line").isEqualTo(Outcome.UNDECIDED);
    }

    @Test
    void tooFewPairsFallBackToTheRangeAndSayHowLittleItCovers() {
        PairedRatio two = ratios(0.95, 1.05);

        assertThat(two.low()).isCloseTo(0.95, within(1e-9));
        assertThat(two.high()).isCloseTo(1.05, within(1e-9));
        assertThat(two.coverage()).isCloseTo(0.5, within(1e-9));
    }

    @Test
    void tooFewPairsForANinetyPercentIntervalAreNeverAVerdict() {
        // Regression: a quick run (2 pairs) or --pairs 1-4 claimed `above` from the range of a few ratios.
        assertThat(ratios(1.2, 1.3).against(0.9)).isEqualTo(Outcome.UNDECIDED);
        assertThat(ratios(1.2, 1.3, 1.1, 1.25).against(0.9)).isEqualTo(Outcome.UNDECIDED);
        assertThat(ratios(0.5, 0.6, 0.55, 0.4).against(0.9)).isEqualTo(Outcome.UNDECIDED);
        assertThat(ratios(1.2, 1.3, 1.1, 1.25, 1.15).against(0.9)).as("5 pairs are enough").isEqualTo(Outcome.ABOVE);
    }

    @Test
    void refusesUnpairedOrFailedTrialsNamingWhatIsWrong() {
        assertThatThrownBy(() -> new PairedRatio(List.of(1.0, 2.0), List.of(1.0)))
                .hasMessageContaining("2 of ours, 1 of the reference's");
        assertThatThrownBy(() -> new PairedRatio(List.of(1.0, Double.NaN), List.of(1.0, 1.0)))
                .hasMessageContaining("trial 2").hasMessageContaining("left out of both sides");
    }

    @Test
    void pairingDropsTheRoundsInWhichEitherSidesTrialFailed() {
        PairedRatio p = PairedRatio.ofRounds(List.of(90.0, Double.NaN, 80.0, 95.0), List.of(100.0, 100.0, Double.NaN, 100.0))
                .orElseThrow();

        assertThat(p.ours()).containsExactly(90.0, 95.0);
        assertThat(p.reference()).containsExactly(100.0, 100.0);
        assertThat(PairedRatio.ofRounds(List.of(Double.NaN), List.of(1.0))).isEmpty();
    }

    @Test
    void twoSidesTakeTurnsGoingFirstInMirroredOrderSoEachLeadsHalfOfAnyEvenNumberOfRounds() {
        List<List<Integer>> orders = new ArrayList<>();
        for (int round = 0; round < 8; round++) {
            orders.add(PairedRatio.roundOrder(2, round));
        }

        // A B, B A, B A, A B, and again: a drift over four rounds falls on both sides alike.
        assertThat(orders).containsExactly(List.of(0, 1), List.of(1, 0), List.of(1, 0), List.of(0, 1),
                List.of(0, 1), List.of(1, 0), List.of(1, 0), List.of(0, 1));
        for (int rounds = 2; rounds <= 40; rounds += 2) {
            int oursFirst = 0;
            for (int round = 0; round < rounds; round++) {
                oursFirst += PairedRatio.roundOrder(2, round).getFirst() == 0 ? 1 : 0;
            }
            assertThat(oursFirst).as("%d rounds", rounds).isEqualTo(rounds / 2);
        }
    }

    @Test
    void refusesARoundOrderWithNoSidesOrBeforeTheFirstRound() {
        assertThatThrownBy(() -> PairedRatio.roundOrder(0, 0)).hasMessageContaining("round 0 of 0 sides");
        assertThatThrownBy(() -> PairedRatio.roundOrder(2, -1)).hasMessageContaining("round -1 of 2 sides");
    }

    @Test
    void theVerdictIsOneWordThatReportsPrintAndJsonCarries() {
        assertThat(Outcome.ABOVE.word()).isEqualTo("above");
        assertThat(Outcome.BELOW.word()).isEqualTo("below");
        assertThat(Outcome.UNDECIDED.word()).isEqualTo("undecided");
        assertThat(Figure.Verdict.pairedAtLeast(ratios(1.2, 1.3, 1.1, 1.25, 1.15), 1.0).text()).isEqualTo(">= 1x (above)");
    }

    /** Raw at 1000 records/s every round, ours at {@code ratio x 1000}; zeros become 1.0. */
    private static PairedRatio ratios(double... ratios) {
        List<Double> ours = new ArrayList<>();
        List<Double> raw = new ArrayList<>();
        for (double r : ratios) {
            ours.add((r == 0 ? 1.0 : r) * 1000);
            raw.add(1000.0);
        }
        return new PairedRatio(ours, raw);
    }
}
