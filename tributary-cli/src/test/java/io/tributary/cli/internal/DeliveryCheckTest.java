package io.tributary.cli.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The demo's judge: it must pass a perfect delivery and fail every kind of broken one. */
@Timeout(30)
class DeliveryCheckTest {

    /** 10 events over 3 keys: key k gets seqs 0.. in order (key 0: 4 events, keys 1 and 2: 3 each). */
    private static DeliveryCheck tenOverThree() {
        return DeliveryCheck.roundRobin(10, 3);
    }

    private static void deliverInOrder(DeliveryCheck check, long events, int keys) {
        for (long e = 0; e < events; e++) {
            int key = (int) (e % keys);
            check.observe(key, e / keys, key % 2);
        }
    }

    @Test
    void passesWhenEveryEventArrivesOnceAndInOrderPerKey() {
        DeliveryCheck check = tenOverThree();
        deliverInOrder(check, 10, 3);
        DeliveryCheck.Verdict v = check.verdict();
        assertThat(v.passed()).as(v.summary()).isTrue();
        assertThat(v.received()).isEqualTo(10);
        assertThat(v.summary()).startsWith("PASSED");
    }

    @Test
    void passesWhenKeysInterleaveDifferentlyThanTheyWereSent() {
        DeliveryCheck check = tenOverThree();
        // all of key 2 first, then key 0, then key 1: order across keys is not promised
        for (long s = 0; s < 3; s++) {
            check.observe(2, s, 0);
        }
        for (long s = 0; s < 4; s++) {
            check.observe(0, s, 0);
        }
        for (long s = 0; s < 3; s++) {
            check.observe(1, s, 1);
        }
        assertThat(check.verdict().passed()).isTrue();
    }

    @Test
    void failsOnADuplicate() {
        DeliveryCheck check = tenOverThree();
        deliverInOrder(check, 10, 3);
        check.observe(1, 1, 1);
        DeliveryCheck.Verdict v = check.verdict();
        assertThat(v.passed()).isFalse();
        assertThat(v.duplicates()).isEqualTo(1);
        assertThat(v.firstProblem()).hasValueSatisfying(p -> assertThat(p).contains("key 1", "seq 1"));
    }

    @Test
    void failsOnAMissingEventInTheMiddle() {
        DeliveryCheck check = tenOverThree();
        for (long e = 0; e < 10; e++) {
            if (e != 4) { // key 1, seq 1
                check.observe((int) (e % 3), e / 3, 0);
            }
        }
        DeliveryCheck.Verdict v = check.verdict();
        assertThat(v.passed()).isFalse();
        assertThat(v.gaps()).isEqualTo(1);
        assertThat(v.received()).isEqualTo(9);
        assertThat(v.summary()).startsWith("FAILED").contains("9 of 10");
    }

    @Test
    void failsOnAMissingLastEvent() {
        DeliveryCheck check = tenOverThree();
        deliverInOrder(check, 9, 3); // event 9 (key 0, seq 3) never arrives
        DeliveryCheck.Verdict v = check.verdict();
        assertThat(v.passed()).isFalse();
        assertThat(v.missing()).isEqualTo(1);
        assertThat(v.incompleteKeys()).isEqualTo(1);
        assertThat(v.examples()).anySatisfy(p -> assertThat(p).contains("key 0", "through seq 2 of 3"));
    }

    @Test
    void failsWhenTwoEventsOfAKeyAreSwapped() {
        DeliveryCheck check = tenOverThree();
        check.observe(0, 0, 0);
        check.observe(0, 2, 0);
        check.observe(0, 1, 0);
        check.observe(0, 3, 0);
        for (long s = 0; s < 3; s++) {
            check.observe(1, s, 0);
            check.observe(2, s, 0);
        }
        DeliveryCheck.Verdict v = check.verdict();
        assertThat(v.passed()).isFalse();
        assertThat(v.received()).isEqualTo(10);
        assertThat(v.gaps() + v.duplicates()).isPositive();
    }

    @Test
    void failsWhenAKeyArrivesFromTwoPartitions() {
        DeliveryCheck check = DeliveryCheck.roundRobin(2, 1);
        check.observe(0, 0, 3);
        check.observe(0, 1, 4);
        DeliveryCheck.Verdict v = check.verdict();
        assertThat(v.passed()).isFalse();
        assertThat(v.partitionMoves()).isEqualTo(1);
    }

    @Test
    void failsOnAnEventWhoseKeyWasNeverSent() {
        DeliveryCheck check = DeliveryCheck.roundRobin(1, 1);
        check.observe(0, 0, 0);
        check.observe(7, 0, 0);
        assertThat(check.verdict().passed()).isFalse();
    }

    @Test
    void failsOnAnEventBeyondWhatWasSent() {
        DeliveryCheck check = DeliveryCheck.roundRobin(2, 1);
        check.observe(0, 0, 0);
        check.observe(0, 1, 0);
        check.observe(0, 2, 0);
        assertThat(check.verdict().passed()).isFalse();
    }

    @Test
    void askingForTheVerdictTwiceGivesTheSameAnswer() {
        DeliveryCheck check = tenOverThree();
        deliverInOrder(check, 8, 3);
        assertThat(check.verdict()).isEqualTo(check.verdict());
    }

    @Test
    void expectedCountsSpreadEventsRoundRobin() {
        DeliveryCheck check = DeliveryCheck.roundRobin(1_000_000, 10_000);
        deliverInOrder(check, 1_000_000, 10_000);
        assertThat(check.verdict().passed()).isTrue();
    }
}
