package io.tributary.kafka.internal;

import io.tributary.core.ConflictException;
import io.tributary.core.CorruptionException;
import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import io.tributary.core.NotFoundException;
import io.tributary.core.RetriableException;
import io.tributary.core.TributaryException;
import io.tributary.core.UnauthorizedException;
import io.tributary.log.LogErrors;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.NoOffsetForPartitionException;
import org.apache.kafka.clients.producer.BufferExhaustedException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.errors.GroupNotEmptyException;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidPartitionsException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.InvalidTxnStateException;
import org.apache.kafka.common.errors.NotEnoughReplicasAfterAppendException;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.errors.OffsetOutOfRangeException;
import org.apache.kafka.common.errors.PolicyViolationException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.TransactionAbortedException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;
import org.apache.kafka.common.errors.UnknownMemberIdException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * Turns kafka-clients exceptions into Tributary's exception types and {@link LogErrors} codes, keeping Kafka's message
 * (after "Kafka said:") and adding what to do. Stateless.
 *
 * @param bootstrapServers the cluster, named in connectivity errors
 */
record KafkaErrors(String bootstrapServers) {

    /** The Kafka exception inside {@code ExecutionException}, {@code CompletionException} and the like. */
    static Throwable unwrap(Throwable t) {
        Throwable c = t;
        while ((c instanceof ExecutionException || c instanceof CompletionException) && c.getCause() != null) {
            c = c.getCause();
        }
        return c;
    }

    /**
     * A Tributary exception for {@code error}. {@code what} names the operation and its subject, e.g.
     * "append to topic 'orders'"; {@code timeoutMs} is the timeout that applied, for unreachable-broker errors.
     */
    TributaryException translate(Throwable error, String what, long timeoutMs) {
        Throwable t = unwrap(error);
        if (t instanceof TributaryException te) {
            return te;
        }
        String kafka = " (Kafka said: " + t.getClass().getSimpleName() + ": " + t.getMessage() + ")";
        return switch (t) {
            case UnknownTopicOrPartitionException e -> new NotFoundException(LogErrors.TOPIC_NOT_FOUND,
                    "Cannot " + what + ": the topic or partition does not exist on " + bootstrapServers
                            + "; create the topic first (LogAdmin.createTopic or 'tributary log create-topic <name> "
                            + "--partitions 8')" + kafka, e);
            case TopicExistsException e -> new ConflictException(LogErrors.TOPIC_ALREADY_EXISTS,
                    "Cannot " + what + ": the topic already exists; pick another name or delete it first" + kafka, e);
            case InvalidTopicException e -> new InvalidRequestException(LogErrors.INVALID_TOPIC_NAME,
                    "Cannot " + what + ": the topic name is invalid; use 1 to 249 characters from a-z, A-Z, 0-9, "
                            + "'.', '_' and '-'" + kafka, e);
            case InvalidPartitionsException e -> new InvalidRequestException(LogErrors.INVALID_PARTITION_COUNT,
                    "Cannot " + what + ": the partition count is not accepted" + kafka, e);
            case InvalidReplicationFactorException e -> new InvalidRequestException(ErrorCode.INVALID_CONFIG,
                    "Cannot " + what + ": the replication factor is larger than the number of brokers; lower "
                            + "tributary.log.kafka.replication-factor or the broker's default.replication.factor" + kafka, e);
            case PolicyViolationException e -> new InvalidRequestException(LogErrors.INVALID_TOPIC_CONFIG,
                    "Cannot " + what + ": the cluster's create/alter policy refused it; ask the cluster's operators "
                            + "which values are allowed" + kafka, e);
            case RecordTooLargeException e -> new InvalidRequestException(LogErrors.RECORD_TOO_LARGE,
                    "Cannot " + what + ": the record is larger than the topic's max.message.bytes or than the "
                            + "producer can send (Kafka's max.request.size, which Tributary sets to "
                            + "ProducerConfig.bufferMemoryBytes); make it smaller, raise max.message.bytes with "
                            + "alterTopicConfig, or raise bufferMemoryBytes, as Kafka's message says" + kafka, e);
            case RecordBatchTooLargeException e -> new InvalidRequestException(LogErrors.RECORD_TOO_LARGE,
                    "Cannot " + what + ": the batch is larger than the topic's max.message.bytes; raise it with "
                            + "alterTopicConfig or lower the producer's batch.size" + kafka, e);
            case GroupNotEmptyException e -> new ConflictException(LogErrors.GROUP_NOT_EMPTY,
                    "Cannot " + what + ": the group still has active members; stop them (close their consumers) and "
                            + "retry" + kafka, e);
            case UnknownMemberIdException e -> new ConflictException(LogErrors.GROUP_NOT_EMPTY,
                    "Cannot " + what + ": the group has active members; stop them (close their consumers) and retry"
                            + kafka, e);
            case GroupIdNotFoundException e -> new NotFoundException(LogErrors.GROUP_NOT_FOUND,
                    "Cannot " + what + ": no such consumer group; list groups with LogAdmin.listGroups" + kafka, e);
            case OffsetOutOfRangeException e -> new InvalidRequestException(LogErrors.OFFSET_OUT_OF_RANGE,
                    "Cannot " + what + ": the offset is outside the partition's stored range (retention may have "
                            + "removed it); seek to the beginning or a timestamp" + kafka, e);
            case NoOffsetForPartitionException e -> new NotFoundException(LogErrors.NO_COMMITTED_OFFSET,
                    "Cannot " + what + ": the group has no committed offset for " + e.partitions()
                            + " and autoOffsetReset is NONE; commit or reset offsets first (LogAdmin.resetOffsets), "
                            + "or use EARLIEST or LATEST" + kafka, e);
            case CommitFailedException e -> new ConflictException(LogErrors.NOT_PARTITION_OWNER,
                    "Cannot " + what + ": the group rebalanced and this member no longer owns the partitions; "
                            + "poll again and process from the committed offsets" + kafka, e);
            case RebalanceInProgressException e -> new RetriableException(ErrorCode.UNAVAILABLE,
                    "Cannot " + what + " now: the group is rebalancing; poll and retry" + kafka, e);
            case ProducerFencedException e -> new ConflictException(LogErrors.TRANSACTION_FAILED,
                    "Cannot " + what + ": another producer with the same transactional id took over (fenced this "
                            + "one); close this producer, there must be one live instance per id" + kafka, e);
            case InvalidProducerEpochException e -> new ConflictException(LogErrors.TRANSACTION_FAILED,
                    "Cannot " + what + ": the transaction timed out or was fenced; abort it and retry in a new "
                            + "transaction" + kafka, e);
            case TransactionAbortedException e -> new ConflictException(LogErrors.TRANSACTION_FAILED,
                    "Cannot " + what + ": the transaction was aborted; begin a new one" + kafka, e);
            case InvalidTxnStateException e -> new ConflictException(LogErrors.TRANSACTION_FAILED,
                    "Cannot " + what + ": the transaction is in the wrong state; abort it and begin a new one" + kafka, e);
            case TopicAuthorizationException e -> new UnauthorizedException(ErrorCode.UNAUTHORIZED,
                    "Cannot " + what + ": not authorized for topics " + e.unauthorizedTopics() + "; grant this "
                            + "principal the ACL it needs (e.g. kafka-acls.sh --add --allow-principal User:<you> "
                            + "--operation Write --topic <topic>)" + kafka, e);
            case GroupAuthorizationException e -> new UnauthorizedException(ErrorCode.UNAUTHORIZED,
                    "Cannot " + what + ": not authorized for group '" + e.groupId() + "'; grant this principal "
                            + "READ on the group (kafka-acls.sh --add --allow-principal User:<you> --operation Read "
                            + "--group <group>)" + kafka, e);
            case TransactionalIdAuthorizationException e -> new UnauthorizedException(ErrorCode.UNAUTHORIZED,
                    "Cannot " + what + ": not authorized for the transactional id; grant WRITE on it "
                            + "(kafka-acls.sh --add --allow-principal User:<you> --operation Write --transactional-id "
                            + "<id>)" + kafka, e);
            case AuthorizationException e -> new UnauthorizedException(ErrorCode.UNAUTHORIZED,
                    "Cannot " + what + ": not authorized; grant this principal the ACL the operation needs" + kafka, e);
            case AuthenticationException e -> new UnauthorizedException(ErrorCode.UNAUTHORIZED,
                    "Cannot " + what + ": authentication with " + bootstrapServers + " failed; check "
                            + "tributary.log.kafka.client.security.protocol and the ssl.* / sasl.* settings" + kafka, e);
            case InvalidConfigurationException e -> new InvalidRequestException(LogErrors.INVALID_TOPIC_CONFIG,
                    "Cannot " + what + ": the broker rejected the topic config; fix the value it names" + kafka, e);
            case BufferExhaustedException e -> new RetriableException(LogErrors.PRODUCER_BUFFER_FULL,
                    "Cannot " + what + ": the producer buffer (bufferMemoryBytes) stayed full for maxBlock="
                            + timeoutMs + " ms; the brokers are slower than the appends. Retry later, wait for "
                            + "earlier appends, or raise ProducerConfig.bufferMemoryBytes / maxBlock" + kafka, e);
            case NotEnoughReplicasException e -> new RetriableException(ErrorCode.UNAVAILABLE,
                    "Cannot " + what + ": fewer in-sync replicas than min.insync.replicas; retry once brokers are "
                            + "back" + kafka, e);
            case NotEnoughReplicasAfterAppendException e -> new RetriableException(ErrorCode.UNAVAILABLE,
                    "Cannot " + what + ": written, but fewer in-sync replicas than min.insync.replicas acknowledged; "
                            + "retry (the idempotent producer will not duplicate)" + kafka, e);
            case TimeoutException e -> new RetriableException(LogErrors.BROKER_UNREACHABLE,
                    "Cannot " + what + ": no answer from the Kafka brokers at " + bootstrapServers + " within "
                            + timeoutMs + " ms; check tributary.log.kafka.bootstrap-servers, the network and that the "
                            + "brokers are up, then retry" + kafka, e);
            case CorruptRecordException e -> new CorruptionException(ErrorCode.CORRUPT_DATA,
                    "Cannot " + what + ": Kafka reports a corrupt record; check the broker's disks and logs" + kafka, e);
            case org.apache.kafka.common.errors.RetriableException e -> new RetriableException(ErrorCode.UNAVAILABLE,
                    "Cannot " + what + " now: the cluster reported a transient error; retry" + kafka, e);
            case org.apache.kafka.common.errors.InterruptException e -> new RetriableException(ErrorCode.UNAVAILABLE,
                    "Interrupted while trying to " + what + "; retry if the thread should go on" + kafka, e);
            default -> new RetriableException(ErrorCode.UNAVAILABLE,
                    "Cannot " + what + ": the Kafka client failed; retry, and if it keeps failing check the brokers' "
                            + "logs" + kafka, t);
        };
    }
}
