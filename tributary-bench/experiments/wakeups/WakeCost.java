import java.lang.management.ManagementFactory;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.locks.LockSupport;

/**
 * What one paced slot of the event store benchmark costs in CPU before any store code runs: the pacer's timed wake
 * at the slot's due time, and the wake-up of the writer it releases. Same pacing as {@code EventStoreBench.paced}
 * (one platform pacer, slot k due at start + k / rate, released to writer k mod 64, which parks until then), with
 * writers that do nothing but wait for their next slot.
 *
 * <pre>
 * java WakeCost.java timer     # the pacer alone: sleeps until each due time, releases nobody
 * java WakeCost.java virtual   # releases 64 virtual writers (the benchmark's harness)
 * java WakeCost.java platform  # releases 64 platform writers
 * </pre>
 * Prints the pacer's CPU and the whole process's CPU per slot (10,000 slots/s for 5 s). Run each mode a few times,
 * alternating: on a shared machine one run is noise.
 */
public class WakeCost {
    public static void main(String[] args) throws Exception {
        String mode = args.length > 0 ? args[0] : "virtual";
        if (!mode.equals("timer") && !mode.equals("virtual") && !mode.equals("platform")) {
            System.err.println("mode " + mode + " is not timer, virtual or platform");
            System.exit(2);
        }
        int rate = 10_000;
        int writers = 64;
        int perWriter = rate * 5 / writers;
        int slots = perWriter * writers;
        double intervalNs = 1e9 / rate;
        AtomicIntegerArray released = new AtomicIntegerArray(writers);
        Thread[] threads = new Thread[writers];
        for (int w = 0; w < writers; w++) {
            int writer = w;
            Thread.Builder b = mode.equals("platform") ? Thread.ofPlatform().daemon() : Thread.ofVirtual();
            threads[w] = b.start(() -> {
                for (int i = 0; i < perWriter; i++) {
                    while (released.get(writer) <= i) {
                        LockSupport.park();
                    }
                }
            });
        }
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long start = System.nanoTime() + 20_000_000L;
        long cpu0 = os.getProcessCpuTime();
        long[] pacerCpu = new long[1];
        Thread pacer = Thread.ofPlatform().start(() -> {
            for (int k = 0; k < slots; k++) {
                long due = start + (long) (k * intervalNs);
                long now;
                while ((now = System.nanoTime()) < due) {
                    LockSupport.parkNanos(due - now);
                }
                if (!mode.equals("timer")) {
                    int w = k % writers;
                    released.incrementAndGet(w);
                    LockSupport.unpark(threads[w]);
                }
            }
            pacerCpu[0] = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
        });
        pacer.join();
        long cpu = os.getProcessCpuTime() - cpu0;
        if (mode.equals("timer")) {
            for (int w = 0; w < writers; w++) {
                released.set(w, perWriter);
                LockSupport.unpark(threads[w]);
            }
        }
        for (Thread t : threads) {
            t.join();
        }
        System.out.printf("%-8s pacer %5.1f us/slot, process %5.1f us/slot%n", mode, pacerCpu[0] / 1000.0 / slots,
                cpu / 1000.0 / slots);
    }
}
