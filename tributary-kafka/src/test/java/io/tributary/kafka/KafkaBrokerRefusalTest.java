package io.tributary.kafka;

import static io.tributary.kafka.KafkaTestSupport.await;
import static io.tributary.kafka.KafkaTestSupport.bytes;
import static io.tributary.kafka.KafkaTestSupport.unique;
import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.core.InvalidRequestException;
import io.tributary.core.Record;
import io.tributary.core.TributaryException;
import io.tributary.log.EventLog;
import io.tributary.log.LogErrors;
import io.tributary.log.LogProducer;
import io.tributary.log.NewTopic;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Failures the broker reports after a record was queued, which reach our future through Kafka's I/O thread: the
 * future form's {@code Delivery} keeps no topic, partition or thread of its own (it is kept per record in flight), so
 * what the error names comes from Kafka's metadata of the failure and the thread it is reported on. Provoked by
 * lowering the topic's {@code max.message.bytes} behind the producer's topic catalog (through Kafka's own admin
 * client), whose cached limit then lets a record through that the broker refuses.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class KafkaBrokerRefusalTest {

    @Test
    void futureFormFailsWithAnErrorNamingTheTopicPartitionAndFixWhenTheBrokerRefusesAQueuedRecord() throws Exception {
        try (EventLog log = KafkaTestSupport.openLog(); LogProducer p = log.producer()) {
            String topic = unique("broker-refusal");
            log.admin().createTopic(NewTopic.of(topic, 2));
            await(p.append(topic, 1, Record.of(null, bytes("cached limit")))); // the catalog now holds the limit
            lowerMaxMessageBytesBehindTheCatalog(topic, 1000);

            TributaryException error = failure(p.append(topic, 1, Record.of(null, new byte[2000])));

            assertThat(error).isInstanceOf(InvalidRequestException.class);
            assertThat(error.code()).isEqualTo(LogErrors.RECORD_TOO_LARGE);
            assertThat(error.getMessage()).contains("Cannot append to topic '" + topic + "' partition 1",
                    "raise max.message.bytes with alterTopicConfig");
            // The keyless form names the partition Kafka chose, which only Kafka's metadata of the failure knows.
            TributaryException keyless = failure(p.append(topic, Record.of(null, new byte[2000])));
            assertThat(keyless.code()).isEqualTo(LogErrors.RECORD_TOO_LARGE);
            assertThat(keyless.getMessage()).containsPattern("Cannot append to topic '" + topic + "' partition [01]:");
        }
    }

    private static TributaryException failure(CompletableFuture<?> future) throws Exception {
        try {
            future.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(TributaryException.class);
            return (TributaryException) e.getCause();
        }
        throw new AssertionError("the broker accepted a record over the topic's max.message.bytes");
    }

    private static void lowerMaxMessageBytesBehindTheCatalog(String topic, int bytes) throws Exception {
        try (Admin admin = Admin.create(KafkaTestSupport.broker().clientProperties())) {
            admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.TOPIC, topic),
                    List.of(new AlterConfigOp(new ConfigEntry(TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
                            String.valueOf(bytes)), AlterConfigOp.OpType.SET)))).all().get(30, TimeUnit.SECONDS);
        }
        // The broker applies a topic's config change asynchronously: give it a moment before the refused append.
        Thread.sleep(500);
    }
}
