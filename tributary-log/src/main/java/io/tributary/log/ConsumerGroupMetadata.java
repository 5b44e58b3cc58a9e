package io.tributary.log;

/**
 * A group member's identity at one generation; needed to commit offsets inside a producer transaction
 * ({@link TransactionalProducer#sendOffsetsToTransaction}).
 *
 * @param groupId      the group
 * @param generationId the group generation the member belongs to
 * @param memberId     the member's id
 */
public record ConsumerGroupMetadata(String groupId, int generationId, String memberId) {
}
