package io.tributary.bench.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ThreadKindCpuTest {

    @Test
    void sortsThreadsByTheirKernelNames() {
        assertThat(ThreadKindCpu.kind("kafka-producer-")).isEqualTo(ThreadKindCpu.PRODUCER_IO);
        assertThat(ThreadKindCpu.kind("tributary-sync-")).isEqualTo(ThreadKindCpu.LOG_THREADS);
        assertThat(ThreadKindCpu.kind("GC Thread#1")).isEqualTo(ThreadKindCpu.GC);
        assertThat(ThreadKindCpu.kind("G1 Conc#0")).isEqualTo(ThreadKindCpu.GC);
        assertThat(ThreadKindCpu.kind("C2 CompilerThre")).isEqualTo(ThreadKindCpu.JIT);
        assertThat(ThreadKindCpu.kind("data-plane-kafk")).as("the broker's request handlers and network threads")
                .isEqualTo(ThreadKindCpu.BROKER_REQUESTS);
        assertThat(ThreadKindCpu.kind("kafka-scheduler")).isEqualTo(ThreadKindCpu.OTHER);
        assertThat(ThreadKindCpu.kind("bench-append-0")).as("measures itself").isNull();
    }

    @Test
    void splitGivesEachKindItsThreadsDeltasAndTheRestToThreadsThatEnded() {
        Map<Long, ThreadKindCpu.Sample> before = Map.of(
                1L, new ThreadKindCpu.Sample(ThreadKindCpu.PRODUCER_IO, 100_000L),
                2L, new ThreadKindCpu.Sample(ThreadKindCpu.GC, 50_000L),
                3L, new ThreadKindCpu.Sample(ThreadKindCpu.JIT, 900_000L)); // a compiler thread that then ends
        Map<Long, ThreadKindCpu.Sample> after = Map.of(
                1L, new ThreadKindCpu.Sample(ThreadKindCpu.PRODUCER_IO, 400_000L),
                2L, new ThreadKindCpu.Sample(ThreadKindCpu.GC, 70_000L),
                4L, new ThreadKindCpu.Sample(ThreadKindCpu.OTHER, 30_000L)); // started within the trial

        Map<String, Long> split = ThreadKindCpu.between(before, after, 500_000, 1_000_000);

        assertThat(split).containsEntry(ThreadKindCpu.APPENDING, 500_000L)
                .containsEntry(ThreadKindCpu.PRODUCER_IO, 300_000L).containsEntry(ThreadKindCpu.GC, 20_000L)
                .containsEntry(ThreadKindCpu.OTHER, 30_000L).containsEntry(ThreadKindCpu.ENDED, 150_000L)
                .as("a thread that ended does not take its life's CPU out of its kind").containsEntry(ThreadKindCpu.JIT, 0L);
        assertThat(split.keySet()).containsExactlyElementsOf(ThreadKindCpu.KINDS);
        assertThat(ThreadKindCpu.perRecord(split, 100)).as("us per record; kinds that spent nothing left out")
                .isEqualTo("appending 5.00, producer I/O 3.00, other 0.30, GC 0.20, ended 1.50");
    }

    @Test
    void noSplitWithoutBothSnapshots() {
        Map<Long, ThreadKindCpu.Sample> one = Map.of(1L, new ThreadKindCpu.Sample(ThreadKindCpu.GC, 1L));
        assertThat(ThreadKindCpu.between(Map.of(), one, 0, 10)).isEmpty();
        assertThat(ThreadKindCpu.between(one, one, 0, -1)).isEmpty();
    }

    @Test
    void snapshotSeesThisJvmsThreadsOnLinux() {
        assumeTrue(Files.isDirectory(Path.of("/proc/self/task")), "needs Linux /proc");
        Map<Long, ThreadKindCpu.Sample> now = ThreadKindCpu.snapshot();
        assertThat(now.values()).extracting(ThreadKindCpu.Sample::kind)
                .contains(ThreadKindCpu.OTHER); // the test's own thread, "main" or a surefire worker
        assertThat(now.values()).allMatch(t -> t.cpuNs() >= 0);
    }

    @Test
    void rowMedianSplitNeedsEveryTrialSplit() {
        var a = new LogWorkloads.Throughput(100, 1, 1_000, Map.of(ThreadKindCpu.APPENDING, 100_000L));
        var b = new LogWorkloads.Throughput(100, 1, 1_000, Map.of(ThreadKindCpu.APPENDING, 300_000L));
        var c = new LogWorkloads.Throughput(100, 1, 1_000, Map.of(ThreadKindCpu.APPENDING, 200_000L));
        assertThat(LogSuite.medianSplit(List.of(a, b, c))).isEqualTo("appending 2.00");
        assertThat(LogSuite.medianSplit(List.of(a, new LogWorkloads.Throughput(100, 1, 1_000)))).isEmpty();
    }

    @Test
    void jitShareIsTheCompilerThreadsPartOfTheTrialsCpuAndUnknownWithoutASplit() {
        var t = new LogWorkloads.Throughput(100, 1, 1_000_000, Map.of(ThreadKindCpu.JIT, 50_000L));
        assertThat(LogSuite.jitShare(t)).isCloseTo(0.05, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(LogSuite.jitShare(new LogWorkloads.Throughput(100, 1, 1_000_000))).isNaN();
    }
}
