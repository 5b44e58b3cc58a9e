package io.tributary.log.tck;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Where Apache Kafka's default partitioner puts a key: a fixed table computed once with kafka-clients 4.4.0's own
 * {@code BuiltInPartitioner.partitionForKey(key, partitions)} (= {@code toPositive(Utils.murmur2(key)) % partitions})
 * and written here as literals, so the kit checks every backend against Kafka itself rather than against our own
 * {@code KeyPartitioner}. Keys are the UTF-8 bytes of the strings, except the one binary key.
 */
final class KafkaPartitionTable {

    /**
     * @param key        the key bytes
     * @param label      how the key reads in a failure message
     * @param partitions the topic's partition count
     * @param partition  the partition Kafka chooses
     */
    record Row(byte[] key, String label, int partitions, int partition) {
    }

    /** Partition counts the kit creates topics for; the larger counts in {@link #ROWS} are checked offline only. */
    static final List<Integer> LIVE_PARTITION_COUNTS = List.of(1, 2, 3, 7, 8, 12);

    /** The binary key {@code 00 ff 80 7f 01}. */
    static final byte[] BINARY_KEY = {(byte) 0x00, (byte) 0xff, (byte) 0x80, (byte) 0x7f, (byte) 0x01};

    static final List<Row> ROWS = List.of(
            row("", 1, 0), row("", 2, 1), row("", 3, 0), row("", 7, 2), row("", 8, 1), row("", 12, 9), row("", 100, 81), row("", 1000, 681),
            row("a", 1, 0), row("a", 2, 0), row("a", 3, 1), row("a", 7, 5), row("a", 8, 4), row("a", 12, 4), row("a", 100, 24), row("a", 1000, 524),
            row("21", 1, 0), row("21", 2, 0), row("21", 3, 0), row("21", 7, 3), row("21", 8, 4), row("21", 12, 0), row("21", 100, 40), row("21", 1000, 340),
            row("abc", 1, 0), row("abc", 2, 1), row("abc", 3, 0), row("abc", 7, 4), row("abc", 8, 3), row("abc", 12, 3), row("abc", 100, 7), row("abc", 1000, 107),
            row("foobar", 1, 0), row("foobar", 2, 0), row("foobar", 3, 0), row("foobar", 7, 0), row("foobar", 8, 6), row("foobar", 12, 6), row("foobar", 100, 66), row("foobar", 1000, 166),
            row("order-1", 1, 0), row("order-1", 2, 0), row("order-1", 3, 1), row("order-1", 7, 4), row("order-1", 8, 6), row("order-1", 12, 10), row("order-1", 100, 26), row("order-1", 1000, 326),
            row("order-2", 1, 0), row("order-2", 2, 1), row("order-2", 3, 0), row("order-2", 7, 1), row("order-2", 8, 3), row("order-2", 12, 3), row("order-2", 100, 43), row("order-2", 1000, 643),
            row("order-42", 1, 0), row("order-42", 2, 0), row("order-42", 3, 0), row("order-42", 7, 1), row("order-42", 8, 0), row("order-42", 12, 0), row("order-42", 100, 24), row("order-42", 1000, 24),
            row("customer:1234", 1, 0), row("customer:1234", 2, 0), row("customer:1234", 3, 2), row("customer:1234", 7, 5), row("customer:1234", 8, 6), row("customer:1234", 12, 2), row("customer:1234", 100, 70), row("customer:1234", 1000, 70),
            row("user@example.com", 1, 0), row("user@example.com", 2, 0), row("user@example.com", 3, 0), row("user@example.com", 7, 6), row("user@example.com", 8, 4), row("user@example.com", 12, 0), row("user@example.com", 100, 0), row("user@example.com", 1000, 700),
            row("ünïcödé", 1, 0), row("ünïcödé", 2, 1), row("ünïcödé", 3, 1), row("ünïcödé", 7, 4), row("ünïcödé", 8, 3), row("ünïcödé", 12, 7), row("ünïcödé", 100, 15), row("ünïcödé", 1000, 315),
            row("0", 1, 0), row("0", 2, 0), row("0", 3, 2), row("0", 7, 3), row("0", 8, 4), row("0", 12, 8), row("0", 100, 96), row("0", 1000, 396),
            row("1", 1, 0), row("1", 2, 1), row("1", 3, 0), row("1", 7, 2), row("1", 8, 7), row("1", 12, 3), row("1", 100, 59), row("1", 1000, 159),
            row("key-9999", 1, 0), row("key-9999", 2, 0), row("key-9999", 3, 0), row("key-9999", 7, 1), row("key-9999", 8, 0), row("key-9999", 12, 0), row("key-9999", 100, 0), row("key-9999", 1000, 800),
            row("a-little-bit-long-string", 1, 0), row("a-little-bit-long-string", 2, 0), row("a-little-bit-long-string", 3, 2), row("a-little-bit-long-string", 7, 1), row("a-little-bit-long-string", 8, 0), row("a-little-bit-long-string", 12, 8), row("a-little-bit-long-string", 100, 12), row("a-little-bit-long-string", 1000, 112),
            row("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", 1, 0), row("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", 2, 1), row("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", 3, 2), row("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", 7, 3), row("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", 8, 5), row("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", 12, 5), row("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", 100, 77), row("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", 1000, 677),
            binary(1, 0), binary(2, 0), binary(3, 0), binary(7, 6), binary(8, 4), binary(12, 0), binary(100, 52), binary(1000, 452));

    private KafkaPartitionTable() {
    }

    private static Row row(String key, int partitions, int partition) {
        return new Row(key.getBytes(StandardCharsets.UTF_8), "'" + key + "'", partitions, partition);
    }

    private static Row binary(int partitions, int partition) {
        return new Row(BINARY_KEY.clone(), "00 ff 80 7f 01", partitions, partition);
    }
}
