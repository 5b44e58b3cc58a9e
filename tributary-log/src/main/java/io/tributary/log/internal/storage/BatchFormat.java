package io.tributary.log.internal.storage;

import io.tributary.core.Header;
import io.tributary.core.Headers;
import io.tributary.core.Record;
import io.tributary.log.LogRecord;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import org.jspecify.annotations.Nullable;

/**
 * The on-disk format of a record batch (version 1). A segment file is nothing but batches back to back; all integers
 * are big-endian.
 *
 * <pre>
 * Batch
 *  offset size field
 *  ------ ---- ---------------------------------------------------------------------------------------------
 *     0     8  baseOffset       offset of the first record; set by the partition's writer at append time
 *     8     4  batchLength      bytes that follow this field (the whole batch is 12 + batchLength bytes)
 *    12     4  crc              CRC-32C (java.util.zip.CRC32C) of bytes [16, 12 + batchLength): everything
 *                               after the crc field. baseOffset and batchLength are not covered (the writer
 *                               patches baseOffset after the producer thread computed the CRC, like Kafka);
 *                               a wrong batchLength makes the CRC range wrong, so it is caught anyway.
 *    16     1  magic            0x54 ('T')
 *    17     1  version          1
 *    18     2  attributes       0, reserved
 *    20     4  lastOffsetDelta  last offset of the batch minus baseOffset (compaction may remove records but
 *                               never changes this, so the next batch's offset stays known)
 *    24     8  maxTimestamp     largest record timestamp in the batch (ms since the epoch)
 *    32     4  recordCount      number of records that follow
 *    36     .  records          recordCount records
 *
 * Record
 *     0     4  recordLength     bytes that follow this field
 *     4     4  offsetDelta      record offset minus baseOffset
 *     8     8  timestamp        ms since the epoch
 *    16     4  keyLength        -1 = no key
 *    20     k  key
 *     .     4  valueLength      -1 = tombstone
 *     .     v  value
 *     .     4  headerCount
 *     .     .  headers          per header: nameLength (4), name (UTF-8), valueLength (4), value
 * </pre>
 *
 * A batch whose length runs past the end of the file, whose magic or version is unknown, whose CRC does not match, or
 * whose baseOffset is not the offset expected at that point is invalid: recovery truncates there (a torn tail) or
 * refuses to open (corruption before the recovery point).
 *
 * <p><b>Preallocated tail.</b> The last segment of a partition may end in zeros written ahead of the writer (see
 * {@link Segment}). A zero batchLength (no valid batch is shorter than 24) where a batch should start marks that tail:
 * if every byte from there to the end of the file is zero, that position is the segment's end and the zeros are no
 * torn write. Zeros followed by other bytes, zeros in any other segment, and zeros before the recovery point are
 * invalid as above.
 *
 * <p>Stateless and thread-safe.
 */
public final class BatchFormat {

    public static final int BASE_OFFSET = 0;
    public static final int LENGTH = 8;
    public static final int CRC = 12;
    public static final int MAGIC_OFFSET = 16;
    public static final int VERSION_OFFSET = 17;
    public static final int ATTRIBUTES = 18;
    public static final int LAST_OFFSET_DELTA = 20;
    public static final int MAX_TIMESTAMP = 24;
    public static final int RECORD_COUNT = 32;
    public static final int HEADER_SIZE = 36;
    /** The part before and including batchLength: what must be read to learn a batch's size. */
    public static final int LOG_OVERHEAD = 12;

    public static final byte MAGIC = 0x54;
    public static final byte VERSION = 1;

    /** Fixed bytes per record besides key, value and headers. */
    public static final int RECORD_OVERHEAD = 28;

    private BatchFormat() {
    }

    /** Encoded size of one record, including its length prefix. */
    static int recordSize(byte @Nullable [] key, byte @Nullable [] value, byte[][] headerParts) {
        int size = RECORD_OVERHEAD + (key == null ? 0 : key.length) + (value == null ? 0 : value.length);
        for (byte[] part : headerParts) {
            size += 4 + part.length;
        }
        return size;
    }

    private static final byte[][] NO_HEADERS = new byte[0][];

    /** Header names and values flattened: name0, value0, name1, value1, ... */
    static byte[][] headerParts(Headers headers) {
        if (headers.isEmpty()) {
            return NO_HEADERS;
        }
        List<Header> all = headers.all();
        byte[][] parts = new byte[all.size() * 2][];
        for (int i = 0; i < all.size(); i++) {
            parts[2 * i] = all.get(i).name().getBytes(StandardCharsets.UTF_8);
            parts[2 * i + 1] = all.get(i).value();
        }
        return parts;
    }

    /**
     * Encodes records {@code [from, to)} into one batch with baseOffset 0 (the writer sets it) and offset deltas
     * 0, 1, 2, ... The CRC is computed here, on the caller's thread, so the single writer only copies bytes.
     */
    public static byte[] encode(List<Record> records, int from, int to) {
        int n = to - from;
        byte[][] keys = new byte[n][];
        byte[][] values = new byte[n][];
        byte[][][] headers = new byte[n][][];
        int size = HEADER_SIZE;
        for (int i = 0; i < n; i++) {
            Record r = records.get(from + i);
            keys[i] = r.sharedKey(); // only read: copied into the batch below, before this call returns
            values[i] = r.sharedValue();
            headers[i] = headerParts(r.headers());
            size += recordSize(keys[i], values[i], headers[i]);
        }
        ByteBuffer buf = ByteBuffer.allocate(size);
        long maxTs = -1;
        buf.position(HEADER_SIZE);
        for (int i = 0; i < n; i++) {
            long ts = records.get(from + i).timestamp();
            maxTs = Math.max(maxTs, ts);
            writeRecord(buf, i, ts, keys[i], values[i], headers[i]);
        }
        finishBatch(buf, n - 1, maxTs, n);
        return buf.array();
    }

    /** Encodes one record as a batch of one. */
    public static byte[] encodeOne(Record r) {
        return encodeOne(r, r.sharedKey());
    }

    /**
     * Encodes one record whose key the caller already took out. Key and value are the record's own arrays
     * ({@link Record#sharedKey()}): they are only read, and copied into the batch before this returns.
     */
    static byte[] encodeOne(Record r, byte @Nullable [] key) {
        byte[] value = r.sharedValue();
        byte[][] headers = headerParts(r.headers());
        ByteBuffer buf = ByteBuffer.allocate(HEADER_SIZE + recordSize(key, value, headers));
        buf.position(HEADER_SIZE);
        writeRecord(buf, 0, r.timestamp(), key, value, headers);
        finishBatch(buf, 0, r.timestamp(), 1);
        return buf.array();
    }

    static void writeRecord(ByteBuffer buf, int offsetDelta, long ts, byte @Nullable [] key, byte @Nullable [] value,
                            byte[][] headers) {
        int start = buf.position();
        buf.putInt(0);
        buf.putInt(offsetDelta);
        buf.putLong(ts);
        putBytes(buf, key);
        putBytes(buf, value);
        buf.putInt(headers.length / 2);
        for (byte[] part : headers) {
            buf.putInt(part.length);
            buf.put(part);
        }
        buf.putInt(start, buf.position() - start - 4);
    }

    private static void putBytes(ByteBuffer buf, byte @Nullable [] b) {
        if (b == null) {
            buf.putInt(-1);
        } else {
            buf.putInt(b.length);
            buf.put(b);
        }
    }

    /** Fills in the batch header of {@code buf} (whose records end at its position) and its CRC. */
    static void finishBatch(ByteBuffer buf, int lastOffsetDelta, long maxTimestamp, int recordCount) {
        int end = buf.position();
        buf.putLong(BASE_OFFSET, 0L);
        buf.putInt(LENGTH, end - LOG_OVERHEAD);
        buf.put(MAGIC_OFFSET, MAGIC);
        buf.put(VERSION_OFFSET, VERSION);
        buf.putShort(ATTRIBUTES, (short) 0);
        buf.putInt(LAST_OFFSET_DELTA, lastOffsetDelta);
        buf.putLong(MAX_TIMESTAMP, maxTimestamp);
        buf.putInt(RECORD_COUNT, recordCount);
        buf.putInt(CRC, crc(buf, 0, end));
    }

    /** CRC-32C of the batch starting at {@code batchStart} whose total size is {@code size}. */
    static int crc(ByteBuffer buf, int batchStart, int size) {
        CRC32C crc = new CRC32C();
        ByteBuffer view = buf.duplicate();
        view.limit(batchStart + size).position(batchStart + MAGIC_OFFSET);
        crc.update(view);
        return (int) crc.getValue();
    }

    /** Whether the batch at {@code start} (of total {@code size} bytes, all in {@code buf}) is intact. */
    static boolean isValid(ByteBuffer buf, int start, int size) {
        if (size < HEADER_SIZE || buf.get(start + MAGIC_OFFSET) != MAGIC || buf.get(start + VERSION_OFFSET) != VERSION) {
            return false;
        }
        return crc(buf, start, size) == buf.getInt(start + CRC) && recordsFit(buf, start, size);
    }

    /** Record lengths add up exactly to the batch (a CRC collision cannot then crash the decoder). */
    private static boolean recordsFit(ByteBuffer buf, int start, int size) {
        int count = buf.getInt(start + RECORD_COUNT);
        int pos = start + HEADER_SIZE;
        int end = start + size;
        for (int i = 0; i < count; i++) {
            if (pos + 4 > end) {
                return false;
            }
            int len = buf.getInt(pos);
            if (len < RECORD_OVERHEAD - 4 || pos + 4 + len > end) {
                return false;
            }
            pos += 4 + len;
        }
        return count >= 0 && pos == end;
    }

    /** Total size of the batch starting at {@code start}: 12 + batchLength. */
    static int batchSize(ByteBuffer buf, int start) {
        return LOG_OVERHEAD + buf.getInt(start + LENGTH);
    }

    static long baseOffset(ByteBuffer buf, int start) {
        return buf.getLong(start + BASE_OFFSET);
    }

    /** Offset after the batch's last offset. */
    static long nextOffset(ByteBuffer buf, int start) {
        return buf.getLong(start + BASE_OFFSET) + buf.getInt(start + LAST_OFFSET_DELTA) + 1;
    }

    static long maxTimestamp(ByteBuffer buf, int start) {
        return buf.getLong(start + MAX_TIMESTAMP);
    }

    static int recordCount(ByteBuffer buf, int start) {
        return buf.getInt(start + RECORD_COUNT);
    }

    /**
     * A record's fields, read without building a {@link LogRecord} (for compaction and timestamp search).
     * {@code keyStart} is the position of the first key byte (after the keyLength field); {@code keyLength} is -1 for
     * a keyless record. {@code recordStart} is the recordLength field and {@code recordSize} includes it.
     */
    record RecordView(long offset, long timestamp, int keyStart, int keyLength, boolean tombstone, int recordStart,
                      int recordSize) {
    }

    /** The records of a valid batch, as views into {@code buf}. */
    static List<RecordView> views(ByteBuffer buf, int start) {
        long base = baseOffset(buf, start);
        int count = recordCount(buf, start);
        List<RecordView> out = new ArrayList<>(count);
        int pos = start + HEADER_SIZE;
        for (int i = 0; i < count; i++) {
            int len = buf.getInt(pos);
            int delta = buf.getInt(pos + 4);
            long ts = buf.getLong(pos + 8);
            int keyLen = buf.getInt(pos + 16);
            int valueLenPos = pos + 20 + Math.max(keyLen, 0);
            boolean tombstone = buf.getInt(valueLenPos) < 0;
            out.add(new RecordView(base + delta, ts, pos + 20, keyLen, tombstone, pos, 4 + len));
            pos += 4 + len;
        }
        return out;
    }

    /**
     * Decodes records of the batch at {@code start} whose offset is in {@code [fromOffset, toOffset)} into
     * {@code out}, stopping when {@code out} holds {@code maxRecords} records or when {@code bytesLeft[0]} would go
     * negative (the very first record of a read is always taken). Returns whether it stopped on a limit.
     */
    static boolean decode(ByteBuffer buf, int start, String topic, int partition, long fromOffset, long toOffset,
                          int maxRecords, long[] bytesLeft, List<LogRecord> out) {
        long base = baseOffset(buf, start);
        int count = recordCount(buf, start);
        if (out instanceof ArrayList<LogRecord> list) {
            // Grow once per batch, not by halves per record: the copies showed as 7-11% of a poll thread.
            list.ensureCapacity(Math.min(maxRecords, out.size() + count));
        }
        int pos = start + HEADER_SIZE;
        for (int i = 0; i < count; i++) {
            int len = buf.getInt(pos);
            long offset = base + buf.getInt(pos + 4);
            int next = pos + 4 + len;
            if (offset >= toOffset) {
                return true;
            }
            if (offset >= fromOffset) {
                if (out.size() >= maxRecords) {
                    return true;
                }
                long ts = buf.getLong(pos + 8);
                int p = pos + 16;
                int keyLen = buf.getInt(p);
                byte[] key = keyLen < 0 ? null : bytes(buf, p + 4, keyLen);
                p += 4 + Math.max(keyLen, 0);
                int valueLen = buf.getInt(p);
                byte[] value = valueLen < 0 ? null : bytes(buf, p + 4, valueLen);
                p += 4 + Math.max(valueLen, 0);
                int headerCount = buf.getInt(p);
                p += 4;
                Headers headers = Headers.empty();
                int headerBytes = 0;
                if (headerCount > 0) {
                    List<Header> hs = new ArrayList<>(headerCount);
                    for (int h = 0; h < headerCount; h++) {
                        int nameLen = buf.getInt(p);
                        byte[] name = bytes(buf, p + 4, nameLen);
                        p += 4 + nameLen;
                        int vLen = buf.getInt(p);
                        byte[] hv = bytes(buf, p + 4, vLen);
                        p += 4 + vLen;
                        headerBytes += nameLen + vLen;
                        hs.add(new Header(new String(name, StandardCharsets.UTF_8), hv));
                    }
                    headers = Headers.of(hs);
                }
                long size = (key == null ? 0 : key.length) + (value == null ? 0 : value.length) + headerBytes;
                if (!out.isEmpty() && bytesLeft[0] - size < 0) {
                    return true;
                }
                bytesLeft[0] -= size;
                out.add(new LogRecord(topic, partition, offset, ts, key, value, headers));
            }
            pos = next;
        }
        return false;
    }

    private static byte[] bytes(ByteBuffer buf, int at, int len) {
        byte[] b = new byte[len];
        buf.get(at, b);
        return b;
    }
}
