package io.tributary.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class KeyPartitionerTest {

    // Expected hashes are the ones Apache Kafka's own test suite pins for Utils.murmur2, so a key maps to the same
    // partition on the embedded engine and on Kafka.
    @Test
    void murmur2MatchesKafkasPublishedVectors() {
        assertThat(KeyPartitioner.murmur2(bytes("21"))).isEqualTo(-973932308);
        assertThat(KeyPartitioner.murmur2(bytes("foobar"))).isEqualTo(-790332482);
        assertThat(KeyPartitioner.murmur2(bytes("a-little-bit-long-string"))).isEqualTo(-985981536);
        assertThat(KeyPartitioner.murmur2(bytes("a-little-bit-longer-string"))).isEqualTo(-1486304829);
        assertThat(KeyPartitioner.murmur2(bytes("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"))).isEqualTo(-58897971);
        assertThat(KeyPartitioner.murmur2(new byte[] {'a', 'b', 'c'})).isEqualTo(479470107);
    }

    @Test
    void partitionIsNonNegativeAndBelowCount() {
        for (int i = 0; i < 10_000; i++) {
            int p = KeyPartitioner.partitionForKey(bytes("key-" + i), 7);
            assertThat(p).isBetween(0, 6);
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
