package io.tributary.log.internal.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.zip.CRC32C;

/**
 * A partition's recovery point: every byte of segment {@code segmentBase} before {@code position} (and every earlier
 * segment) was synced to disk, holding the offsets below {@code offset}. Written atomically ({@link AtomicFiles}) on
 * segment roll, on clean close, and periodically by the cleaner.
 *
 * <pre>
 * recovery-point.checkpoint (36 bytes)
 *  offset size field
 *     0     4  magic        0x54524350 ("TRCP")
 *     4     2  version      1
 *     6     2  reserved     0
 *     8     8  offset       first offset not covered
 *    16     8  segmentBase  base offset of the segment holding the recovery point
 *    24     8  position     byte position in that segment
 *    32     4  crc          CRC-32C of bytes [0, 32)
 * </pre>
 *
 * @param offset      first offset not known to be durable
 * @param segmentBase base offset of the segment that holds the recovery point
 * @param position    bytes of that segment known to be durable
 */
record RecoveryCheckpoint(long offset, long segmentBase, long position) {

    static final String FILE_NAME = "recovery-point.checkpoint";
    static final int MAGIC = 0x54524350;
    static final int SIZE = 36;

    byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(SIZE);
        b.putInt(MAGIC).putShort((short) 1).putShort((short) 0).putLong(offset).putLong(segmentBase).putLong(position);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, 32);
        b.putInt((int) crc.getValue());
        return b.array();
    }

    void writeTo(Path partitionDir) throws IOException {
        AtomicFiles.write(partitionDir.resolve(FILE_NAME), encode());
    }

    /** The checkpoint in {@code partitionDir}; empty if absent or damaged (then recovery scans everything). */
    static Optional<RecoveryCheckpoint> read(Path partitionDir) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(partitionDir.resolve(FILE_NAME));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        if (bytes.length != SIZE) {
            return Optional.empty();
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, 32);
        if (b.getInt(0) != MAGIC || b.getShort(4) != 1 || b.getInt(32) != (int) crc.getValue()) {
            return Optional.empty();
        }
        return Optional.of(new RecoveryCheckpoint(b.getLong(8), b.getLong(16), b.getLong(24)));
    }
}
