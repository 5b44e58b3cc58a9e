package io.tributary.log;

/**
 * One partition's extent.
 *
 * @param partition   partition number
 * @param startOffset the oldest offset still stored (log start offset)
 * @param endOffset   the offset the next record will get (log end offset, a.k.a. high watermark)
 * @param sizeBytes   bytes on disk, or -1 where the backend cannot tell
 */
public record PartitionDescription(int partition, long startOffset, long endOffset, long sizeBytes) {
}
