package io.tributary.log;

/**
 * Maps a key to a partition with the same formula as Apache Kafka's default partitioner:
 * {@code (murmur2(key) & 0x7fffffff) % numPartitions}, where murmur2 is MurmurHash2 (32-bit) with seed
 * {@code 0x9747b28c}. The same key therefore lands on the same partition number on every backend.
 *
 * <p>Stateless and thread-safe.
 */
public final class KeyPartitioner {

    private static final int SEED = 0x9747b28c;
    private static final int M = 0x5bd1e995;
    private static final int R = 24;

    private KeyPartitioner() {
    }

    /** The partition for {@code key} among {@code numPartitions}. */
    public static int partitionForKey(byte[] key, int numPartitions) {
        if (numPartitions <= 0) {
            throw new IllegalArgumentException("numPartitions must be positive, was " + numPartitions);
        }
        return (murmur2(key) & 0x7fffffff) % numPartitions;
    }

    /** MurmurHash2, 32-bit, little-endian blocks, seed {@code 0x9747b28c} (Austin Appleby's reference algorithm). */
    public static int murmur2(byte[] data) {
        int length = data.length;
        int h = SEED ^ length;
        int blocks = length >>> 2;
        for (int i = 0; i < blocks; i++) {
            int base = i << 2;
            int k = (data[base] & 0xff) | ((data[base + 1] & 0xff) << 8) | ((data[base + 2] & 0xff) << 16)
                    | ((data[base + 3] & 0xff) << 24);
            k *= M;
            k ^= k >>> R;
            k *= M;
            h *= M;
            h ^= k;
        }
        int tail = blocks << 2;
        switch (length & 3) {
            case 3:
                h ^= (data[tail + 2] & 0xff) << 16;
                // fall through
            case 2:
                h ^= (data[tail + 1] & 0xff) << 8;
                // fall through
            case 1:
                h ^= data[tail] & 0xff;
                h *= M;
                break;
            default:
                break;
        }
        h ^= h >>> 13;
        h *= M;
        h ^= h >>> 15;
        return h;
    }
}
