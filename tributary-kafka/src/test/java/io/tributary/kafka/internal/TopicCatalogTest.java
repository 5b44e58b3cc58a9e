package io.tributary.kafka.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.tributary.core.NotFoundException;
import io.tributary.core.Record;
import io.tributary.log.LogErrors;
import io.tributary.testbroker.KafkaTestBroker;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.Collection;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeConfigsOptions;
import org.apache.kafka.clients.admin.DescribeConfigsResult;
import org.apache.kafka.clients.admin.ForwardingAdmin;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The producers' topic catalog against a real broker: an append never waits for a re-fetch of what it already
 * knows, yet changes made behind its back (by other tools) are picked up by the background re-fetch.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TopicCatalogTest {

    private static final long MAX_AGE_MS = 200;

    private Admin admin;
    private TopicCatalog catalog;

    @BeforeEach
    void open() {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaTestBroker.shared().bootstrapServers());
        admin = Admin.create(p);
        catalog = new TopicCatalog(admin, new KafkaErrors(KafkaTestBroker.shared().bootstrapServers()), 30_000,
                MAX_AGE_MS);
    }

    @AfterEach
    void close() {
        catalog.close();
        admin.close(Duration.ofSeconds(10));
    }

    private String createTopic(String purpose, int partitions) throws Exception {
        String name = "kafka-catalog-" + purpose + "-" + System.nanoTime();
        admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
        // The broker answers the create before its metadata shows the topic: wait until a look-up sees it.
        ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, name);
        awaitTrue("topic " + name + " is visible to look-ups", () -> {
            try {
                admin.describeTopics(List.of(name)).allTopicNames().get(30, TimeUnit.SECONDS);
                admin.describeConfigs(List.of(r)).all().get(30, TimeUnit.SECONDS);
                return true;
            } catch (Exception e) {
                return false;
            }
        });
        return name;
    }

    private static Record record() {
        return Record.of(null, new byte[] {1, 2, 3});
    }

    private static void awaitTrue(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 60 s: " + what);
            }
            Thread.sleep(10);
        }
    }

    @Test
    void anAppendGoesOnWithTheEntryItHasWhileAStaleOneIsFetchedAgainInTheBackground() throws Exception {
        String topic = createTopic("grown", 1);
        catalog.checkAppend(topic, -1, record());
        TopicCatalog.Entry first = catalog.cached(topic);
        assertThat(first.partitions).isEqualTo(1);
        assertThat(first.stale).isFalse();

        admin.createPartitions(Map.of(topic, NewPartitions.increaseTo(3))).all().get(30, TimeUnit.SECONDS);
        awaitTrue("the entry is marked stale after maxAge", () -> first.stale);
        catalog.checkAppend(topic, -1, record());

        awaitTrue("the background re-fetch replaced the entry", () -> catalog.cached(topic) != first);
        assertThat(catalog.cached(topic).partitions).isEqualTo(3);
        assertThat(catalog.cached(topic).stale).as("a fresh entry").isFalse();
    }

    @Test
    void aPartitionBeyondTheCachedCountIsLookedUpAgainBeforeItIsRejected() throws Exception {
        String topic = createTopic("partition", 1);
        catalog.checkAppend(topic, 0, record());
        admin.createPartitions(Map.of(topic, NewPartitions.increaseTo(2))).all().get(30, TimeUnit.SECONDS);
        // The partition count a new partition shows up with can lag behind the controller briefly.
        awaitTrue("partition 1 is accepted", () -> {
            try {
                catalog.checkAppend(topic, 1, record());
                return true;
            } catch (RuntimeException e) {
                return false;
            }
        });
        assertThat(catalog.cached(topic).partitions).isEqualTo(2);
    }

    @Test
    void aTopicDeletedByAnotherClientFailsAppendsOnceTheBackgroundRefetchFoundItGone() throws Exception {
        String topic = createTopic("deleted", 1);
        catalog.checkAppend(topic, -1, record());
        TopicCatalog.Entry first = catalog.cached(topic);
        admin.deleteTopics(Set.of(topic)).all().get(30, TimeUnit.SECONDS);

        awaitTrue("the entry is marked stale after maxAge", () -> first.stale);
        awaitTrue("the background re-fetch dropped the entry", () -> {
            try {
                catalog.checkAppend(topic, -1, record()); // answered from the stale entry; starts the re-fetch
            } catch (NotFoundException e) {
                return true; // already dropped: this append looked the topic up afresh
            }
            return catalog.cached(topic) == null;
        });
        NotFoundException gone = catchThrowableOfType(NotFoundException.class,
                () -> catalog.checkAppend(topic, -1, record()));
        assertThat(gone.code()).isEqualTo(LogErrors.TOPIC_NOT_FOUND);
        assertThat(gone.getMessage()).contains(topic, "create it");
    }

    @Test
    void aLookUpThatStartedBeforeTheTopicWasForgottenDoesNotPutTheOldEntryBack() throws Exception {
        String topic = createTopic("forgotten", 1);
        CountDownLatch answered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        // The real admin client, with the answer held back (after the broker gave it) until the test lets it go.
        Admin slow = new ForwardingAdmin(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                KafkaTestBroker.shared().bootstrapServers())) {
            @Override
            public DescribeConfigsResult describeConfigs(Collection<ConfigResource> resources,
                                                         DescribeConfigsOptions options) {
                DescribeConfigsResult r = super.describeConfigs(resources, options);
                try {
                    r.all().get(30, TimeUnit.SECONDS);
                    answered.countDown();
                    release.await(30, TimeUnit.SECONDS);
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
                return r;
            }
        };
        TopicCatalog slowCatalog = new TopicCatalog(slow, new KafkaErrors(KafkaTestBroker.shared().bootstrapServers()),
                30_000, MAX_AGE_MS);
        try {
            CompletableFuture<Integer> lookUp = CompletableFuture.supplyAsync(() -> slowCatalog.partitionCount(topic));
            assertThat(answered.await(30, TimeUnit.SECONDS)).as("the broker answered the look-up").isTrue();
            slowCatalog.forget(topic); // e.g. the topic was deleted through our admin meanwhile
            release.countDown();

            assertThat(lookUp.get(30, TimeUnit.SECONDS)).as("the caller still gets its answer").isEqualTo(1);
            assertThat(slowCatalog.cached(topic)).as("the answer from before forget() is not stored").isNull();
        } finally {
            release.countDown();
            slowCatalog.close();
            slow.close(Duration.ofSeconds(10));
        }
    }

    @Test
    void theStaleMarksAreSetByOneDaemonThreadOfTheCatalogWhichCloseStops() throws Exception {
        String topic = createTopic("timer", 1);
        catalog.checkAppend(topic, -1, record());
        TopicCatalog.Entry first = catalog.cached(topic);
        awaitTrue("the entry is marked stale after maxAge", () -> first.stale);
        List<Thread> timers = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("tributary-kafka-topic-catalog")).toList();
        assertThat(timers).isNotEmpty().allSatisfy(t -> assertThat(t.isDaemon()).isTrue());

        int before = timers.size();
        catalog.close();
        awaitTrue("close stopped the catalog's timer thread", () -> Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("tributary-kafka-topic-catalog") && t.isAlive()).count() < before);
        // A fetch after close is still answered; it is just never marked stale.
        String other = createTopic("timer-after-close", 2);
        assertThat(catalog.partitionCount(other)).isEqualTo(2);
    }
}
