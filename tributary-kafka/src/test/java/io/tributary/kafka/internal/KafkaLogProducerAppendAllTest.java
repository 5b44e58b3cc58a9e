package io.tributary.kafka.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.tributary.core.CorruptionException;
import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import io.tributary.core.TributaryException;
import io.tributary.log.AppendResult;
import io.tributary.log.LogErrors;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The rules of {@code appendAll}'s shared-callback path without a broker: when a call may tell its records apart by
 * the order of their successes, the check that those successes really came in order, and what the error of a call
 * that failed inside {@code send()} tells the caller to retry.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class KafkaLogProducerAppendAllTest {

    private static Properties props(Map<String, String> settings) {
        Properties p = new Properties();
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true"); // as KafkaEventLog sets it
        p.putAll(settings);
        return p;
    }

    @Nested
    class WhichCallsShareOneCallback {

        @Test
        void keylessRecordsToAOnePartitionTopicShareOneCallbackWithOurDefaults() {
            assertThat(KafkaLogProducer.tellsApartByArrival(KafkaLogProducer.keepsSuccessOrder(props(Map.of())), true, 1))
                    .isTrue();
        }

        @Test
        void idempotenceLeftToKafkasDefaultStillSharesOneCallback() {
            assertThat(KafkaLogProducer.keepsSuccessOrder(new Properties())).as("Kafka's default is idempotent").isTrue();
        }

        @Test
        void keyedRecordsKeepASlotEach() {
            assertThat(KafkaLogProducer.tellsApartByArrival(KafkaLogProducer.keepsSuccessOrder(props(Map.of())), false, 1))
                    .isFalse();
        }

        @Test
        void recordsToATopicOfSeveralPartitionsKeepASlotEach() {
            boolean keeps = KafkaLogProducer.keepsSuccessOrder(props(Map.of()));
            assertThat(KafkaLogProducer.tellsApartByArrival(keeps, true, 2)).isFalse();
            assertThat(KafkaLogProducer.tellsApartByArrival(keeps, true, 12)).isFalse();
        }

        @Test
        void rejectsSharingWhenIdempotenceIsTurnedOffHoweverTheValueIsWritten() {
            for (String off : List.of("false", "FALSE", " FALSE ", "False")) {
                assertThat(KafkaLogProducer.keepsSuccessOrder(props(Map.of(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, off))))
                        .as("enable.idempotence='%s'", off).isFalse();
            }
            assertThat(KafkaLogProducer.keepsSuccessOrder(props(Map.of(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, " true "))))
                    .isTrue();
        }

        @Test
        void rejectsSharingWhenAnInterceptorMaySendRecordsElsewhere() {
            assertThat(KafkaLogProducer.keepsSuccessOrder(props(Map.of(ProducerConfig.INTERCEPTOR_CLASSES_CONFIG,
                    "io.tributary.kafka.RerouteInterceptor")))).isFalse();
        }

        @Test
        void rejectsSharingWhenTheUserConfiguredAPartitionerThatNamingThePartitionWouldBypass() {
            assertThat(KafkaLogProducer.keepsSuccessOrder(props(Map.of(ProducerConfig.PARTITIONER_CLASS_CONFIG,
                    "io.tributary.kafka.CountingPartitioner")))).isFalse();
        }
    }

    /**
     * A producer that never reaches a broker (nothing is sent): only its {@code Batch}es are driven, with the
     * acknowledgements Kafka's I/O thread would give.
     */
    @Nested
    class TheOrderOfSuccessesIsChecked {

        private static final String TOPIC = "orders";

        private Admin admin;
        private TopicCatalog catalog;
        private KafkaLogProducer producer;

        @BeforeEach
        void open() {
            // The discard port: nothing listens, and no test here sends anything.
            String nowhere = "127.0.0.1:9";
            Properties a = new Properties();
            a.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, nowhere);
            admin = Admin.create(a);
            KafkaErrors errors = new KafkaErrors(nowhere);
            catalog = new TopicCatalog(admin, errors, 1_000);
            Properties p = props(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, nowhere,
                    ProducerConfig.ACKS_CONFIG, "all",
                    ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName(),
                    ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName()));
            producer = new KafkaLogProducer(p, catalog, errors, 1_000, closed -> { });
        }

        @AfterEach
        void close() {
            producer.close();
            catalog.close();
            admin.close(Duration.ZERO);
        }

        private static RecordMetadata at(int partition, long offset) {
            return new RecordMetadata(new TopicPartition(TOPIC, partition), offset, 0, 1_000L + offset, 0, 3);
        }

        private static CorruptionException failure(KafkaLogProducer.Batch batch) {
            assertThat(batch).isCompletedExceptionally();
            ExecutionException e = catchThrowableOfType(ExecutionException.class, batch::get);
            assertThat(e.getCause()).isInstanceOf(CorruptionException.class);
            return (CorruptionException) e.getCause();
        }

        @Test
        void givesEachRecordTheSuccessThatCameInItsTurn() throws Exception {
            KafkaLogProducer.Batch batch = producer.new Batch(TOPIC, 3, true);
            batch.onCompletion(at(0, 40), null);
            batch.onCompletion(at(0, 41), null);
            batch.onCompletion(at(0, 57), null); // another call's records in between: a gap is fine
            assertThat(batch.get()).extracting(AppendResult::offset).containsExactly(40L, 41L, 57L);
        }

        @Test
        void failsTheCallWithInternalWhenASuccessComesBeforeTheOneBeforeIt() {
            KafkaLogProducer.Batch batch = producer.new Batch(TOPIC, 3, true);
            batch.onCompletion(at(0, 40), null);
            batch.onCompletion(at(0, 42), null);
            batch.onCompletion(at(0, 41), null);
            CorruptionException e = failure(batch);
            assertThat(e.code()).isEqualTo(ErrorCode.INTERNAL);
            assertThat(e.getMessage()).contains("topic '" + TOPIC + "'", "acknowledgement 2 (counting from 0)",
                    "partition 0 offset 41", "previous success at partition 0 offset 42",
                    "may be stored: read the topic before appending them again");
        }

        @Test
        void failsTheCallWithInternalWhenTwoSuccessesHaveTheSameOffset() {
            KafkaLogProducer.Batch batch = producer.new Batch(TOPIC, 2, true);
            batch.onCompletion(at(0, 7), null);
            batch.onCompletion(at(0, 7), null);
            assertThat(failure(batch).getMessage()).contains("partition 0 offset 7", "previous success at partition 0 offset 7");
        }

        @Test
        void failsTheCallWithInternalWhenASuccessIsInAnotherPartitionThanTheOneNamed() {
            KafkaLogProducer.Batch batch = producer.new Batch(TOPIC, 2, true);
            batch.onCompletion(at(1, 0), null);
            batch.onCompletion(at(0, 1), null);
            CorruptionException e = failure(batch);
            assertThat(e.code()).isEqualTo(ErrorCode.INTERNAL);
            assertThat(e.getMessage()).contains("partition 1 offset 0", "none had a known offset yet");
        }

        @Test
        void acceptsASuccessWhoseOffsetKafkaNoLongerKnowsAsTheSlotPathWould() throws Exception {
            // Kafka reports a batch the broker already had (DUPLICATE_SEQUENCE_NUMBER) as a success at offset -1.
            KafkaLogProducer.Batch batch = producer.new Batch(TOPIC, 3, true);
            batch.onCompletion(at(0, 5), null);
            batch.onCompletion(at(0, -1), null);
            batch.onCompletion(at(0, 6), null);
            assertThat(batch.get()).extracting(AppendResult::offset).containsExactly(5L, -1L, 6L);
        }

        @Test
        void failsTheCallWithKafkasFailureWhateverOrderTheOtherRecordsCameIn() {
            // Failures come in no set order; one never writes a result, and it fails the whole call.
            KafkaLogProducer.Batch batch = producer.new Batch(TOPIC, 3, true);
            batch.onCompletion(at(0, 9), null);
            batch.onCompletion(at(0, -1), new TimeoutException("expired"));
            batch.onCompletion(at(0, 8), null);
            ExecutionException e = catchThrowableOfType(ExecutionException.class, batch::get);
            assertThat(e.getCause()).isInstanceOf(TributaryException.class).isNotInstanceOf(CorruptionException.class);
        }

        @Test
        void doesNotCheckTheOrderOfACallWithASlotPerRecord() throws Exception {
            KafkaLogProducer.Batch batch = producer.new Batch(TOPIC, 2, false);
            batch.done(1, at(0, 4), null);
            batch.done(0, at(0, 3), null);
            assertThat(batch.get()).extracting(AppendResult::offset).containsExactly(3L, 4L);
        }
    }

    @Nested
    class WhatAPartlySentCallSays {

        private final InvalidRequestException bufferFull = new InvalidRequestException(LogErrors.RECORD_TOO_LARGE,
                "Cannot append: full.");

        @Test
        void tellsAPlainProducersCallerToRetryWithTheRecordsNotSent() {
            TributaryException e = KafkaLogProducer.partlySent(bufferFull, "t", 2, 5, false);
            assertThat(e).isInstanceOf(InvalidRequestException.class);
            assertThat(e.code()).isEqualTo(LogErrors.RECORD_TOO_LARGE);
            assertThat(e.getMessage()).contains("Records 0..1 of the list (2 of 5) were sent to topic 't'",
                    "retry with records 2..4 only");
            assertThat(KafkaLogProducer.partlySent(bufferFull, "t", 0, 5, false).getMessage())
                    .contains("No record of the list was sent", "may be retried as it is");
        }

        @Test
        void tellsATransactionalProducersCallerTheFailedRecordMayHaveBeenSentAndToAbort() {
            TributaryException e = KafkaLogProducer.partlySent(bufferFull, "t", 2, 5, true);
            assertThat(e).isInstanceOf(InvalidRequestException.class);
            assertThat(e.getMessage()).contains("Records 0..1 of the list were sent to topic 't'.",
                    "Record 2 of the list (counting from 0) may have been sent", "records 3..4 were not sent",
                    "Abort the transaction and append the whole list again in a new one",
                    "with records 2..4 only, could store record 2 twice")
                    .doesNotContain("retry with records");
        }

        @Test
        void saysTheSameForATransactionalProducersFirstAndLastRecord() {
            assertThat(KafkaLogProducer.partlySent(bufferFull, "t", 0, 3, true).getMessage())
                    .doesNotContain("Records 0..-1", "may be retried as it is")
                    .contains("Record 0 of the list (counting from 0) may have been sent", "records 1..2 were not sent");
            assertThat(KafkaLogProducer.partlySent(bufferFull, "t", 2, 3, true).getMessage())
                    .contains("Records 0..1 of the list were sent", "Record 2 of the list (counting from 0) may have "
                            + "been sent to topic 't' (a transactional producer can fail a record after buffering it).")
                    .doesNotContain("3..2");
        }
    }
}
