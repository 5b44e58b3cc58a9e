package io.tributary.log.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectNestedMethod;

import io.tributary.log.tck.ReferenceLog.Flaw;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.platform.engine.DiscoverySelector;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;

/**
 * The kit's tests can fail: each deliberate {@link Flaw} of the reference backend is caught by the kit test of the
 * rule it breaks. (The same tests pass on the unflawed reference, in {@link ReferenceLogConformanceTest}.)
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class KitCatchesFlawedBackendsTest {

    @ParameterizedTest
    @EnumSource(Flaw.class)
    void eachFlawIsCaughtByTheTestOfTheRuleItBreaks(Flaw flaw) {
        FlawedKit.flaws = Set.of(flaw);
        try {
            EngineExecutionResults results = EngineTestKit.engine("junit-jupiter").selectors(catcher(flaw)).execute();

            assertThat(results.testEvents().started().count()).as("the catching test ran").isEqualTo(1);
            assertThat(results.testEvents().failed().count()).as("the kit caught %s", flaw).isEqualTo(1);
        } finally {
            FlawedKit.flaws = Set.of();
        }
    }

    @Test
    void theCommitPropertyCatchesAMemberThatResumesPastTheCommit() {
        FlawedKit.flaws = Set.of(Flaw.RESUMES_ONE_PAST_THE_COMMIT);
        try {
            EngineExecutionResults results = EngineTestKit.engine("jqwik").selectors(selectMethod(FlawedKit.class,
                    "resumesAfterRandomCommitPointsWithoutLossOrDuplicatesBeyondTheUncommittedTail", "java.util.List"))
                    .execute();

            assertThat(results.testEvents().started().count()).isEqualTo(1);
            assertThat(results.testEvents().failed().count()).isEqualTo(1);
        } finally {
            FlawedKit.flaws = Set.of();
        }
    }

    private static DiscoverySelector catcher(Flaw flaw) {
        return switch (flaw) {
            case KEYLESS_TO_ONE_PARTITION -> kit(EventLogConformanceKit.KeysAndPartitions.class,
                    "spreadsKeylessRecordsOverEveryPartition");
            case DROPS_REPEATED_HEADERS -> kit(EventLogConformanceKit.Producer.class,
                    "roundTripsKeysValuesHeadersTombstonesAndTimestampsByteForByte");
            case TIMESTAMP_SEEK_SKIPS_EXACT_MATCH -> kit(EventLogConformanceKit.Consumer.class,
                    "seeksToTheFirstRecordAtOrAfterATimestamp");
            case IGNORES_MAX_POLL_RECORDS -> kit(EventLogConformanceKit.Consumer.class,
                    "returnsAtMostMaxPollRecordsPerPoll");
            case IGNORES_PAUSE -> kit(EventLogConformanceKit.Consumer.class,
                    "pausedPartitionsReturnNothingUntilResumedAndKeepTheirPositions");
            case HANDS_OVER_BEFORE_REVOKE -> kit(EventLogConformanceKit.Groups.class,
                    "rebalancesWhenAMemberJoinsRevokingBeforeAssigning");
            case COMMITS_UNOWNED_PARTITIONS -> kit(EventLogConformanceKit.BadInput.class,
                    "rejectsCommittingOffsetsForAPartitionTheMemberDoesNotOwn");
            case RESUMES_ONE_PAST_THE_COMMIT -> kit(EventLogConformanceKit.Commits.class,
                    "resumesExactlyAtTheCommittedOffsetsAfterTheMemberLeaves");
            case RESETS_ACTIVE_GROUPS -> kit(EventLogConformanceKit.GroupAdministration.class,
                    "rejectsResettingOffsetsWhileMembersAreActiveNamingThem");
            case IGNORES_READ_COMMITTED -> kit(EventLogConformanceKit.Transactions.class,
                    "readCommittedIsATransactionsFeature");
            case UNHELPFUL_UNKNOWN_TOPIC_ERROR -> kit(EventLogConformanceKit.BadInput.class,
                    "rejectsAppendToUnknownTopicWithHowToCreateIt");
            case CALLBACK_APPEND_THROWS_REFUSALS -> kit(EventLogConformanceKit.CallbackAppends.class,
                    "deliversRecordsTooLargeAndPartitionsOutOfRangeToTheCallbackAndStoresNothing");
        };
    }

    private static DiscoverySelector kit(Class<?> area, String test) {
        return selectNestedMethod(List.of(FlawedKit.class), area, test);
    }
}
