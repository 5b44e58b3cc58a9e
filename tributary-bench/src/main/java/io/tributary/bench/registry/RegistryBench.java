package io.tributary.bench.registry;

import io.tributary.schema.AvroDeserializer;
import io.tributary.schema.AvroSerializer;
import io.tributary.schema.HttpSchemaRegistryClient;
import io.tributary.schema.RegistryServer;
import io.tributary.schema.SchemaRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntToLongFunction;
import org.HdrHistogram.Histogram;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tributary bench registry}.
 *
 * <p><b>Workload.</b> 1024 distinct {@code OrderPlaced} records (8 fields: strings, longs, an int, an enum, an
 * optional string; about 70 bytes encoded), cycled in order, on one thread:
 * <ol>
 *   <li>{@code serialize.plain}: Avro binary encoding to a {@code byte[]} with a reused encoder, no header;</li>
 *   <li>{@code serialize.registry}: {@link AvroSerializer} with the schema id cached (the first call registered it
 *       over HTTP), producing the Confluent wire format;</li>
 *   <li>{@code deserialize.plain} / {@code deserialize.registry}: the reverse, the latter resolving the id in the
 *       header through the client's cache;</li>
 *   <li>{@code rest.lookups}: {@code GET /schemas/ids/{id}} over HTTP/1.1 keep-alive on 127.0.0.1 by
 *       {@code --threads} concurrent callers against a {@link RegistryServer} (Jetty 12, virtual threads) with an
 *       in-memory registry, bypassing client caches: lookups per second and latency percentiles.</li>
 * </ol>
 * The target (issue 7) is serializer throughput within 20% of plain Avro; {@code ratio} figures print registry/plain.
 * Plain and registry phases alternate for {@code --rounds} rounds and each side's best round counts. Each phase also
 * reports the measuring thread's CPU time per operation ({@code *.cpu}, lowest round) and {@code *.cpu.ratio} =
 * plain CPU / registry CPU per operation, which depends less than ops/s on other work sharing the machine.
 *
 * <p>Run: {@code ./tributary bench registry [--seconds 3] [--rounds 3] [--warmup 2] [--threads 8] [--json]}.
 */
@Command(name = "registry", mixinStandardHelpOptions = true,
        description = "Avro serialize/deserialize with a cached schema id vs plain Avro, and registry REST lookups/s.")
public final class RegistryBench implements Runnable {

    @Option(names = "--seconds", description = "Measured seconds per round and phase (default: ${DEFAULT-VALUE}).")
    int seconds = 3;

    @Option(names = "--warmup", description = "Warm-up seconds per phase (default: ${DEFAULT-VALUE}).")
    int warmup = 2;

    @Option(names = "--rounds", description = "Alternating rounds per serde phase; the best counts (default: "
            + "${DEFAULT-VALUE}).")
    int rounds = 3;

    @Option(names = "--threads", description = "Concurrent REST callers (default: ${DEFAULT-VALUE}).")
    int threads = 8;

    @Option(names = "--json", description = "Print the figures as one JSON object on the last line.")
    boolean json;

    static final Schema SCHEMA = new Schema.Parser().parse("""
            {"type":"record","name":"OrderPlaced","namespace":"bench","fields":[
              {"name":"orderId","type":"string"},
              {"name":"customerId","type":"string"},
              {"name":"amountCents","type":"long"},
              {"name":"quantity","type":"int"},
              {"name":"placedAt","type":"long"},
              {"name":"currency","type":"string"},
              {"name":"status","type":{"type":"enum","name":"Status","symbols":["NEW","PAID","SHIPPED"]}},
              {"name":"note","type":["null","string"],"default":null}]}""");

    private record Figure(String name, String unit, double value) {
    }

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private final List<Figure> figures = new ArrayList<>();
    private long sink;

    @Override
    public void run() {
        List<GenericRecord> records = records(1024);
        try (SchemaRegistry registry = SchemaRegistry.inMemory();
             RegistryServer server = RegistryServer.start("127.0.0.1", 0, registry);
             HttpSchemaRegistryClient client = new HttpSchemaRegistryClient(server.url())) {
            AvroSerializer serializer = new AvroSerializer(client);
            AvroDeserializer deserializer = new AvroDeserializer(client);
            int n = records.size();

            ByteArrayOutputStream out = new ByteArrayOutputStream(256);
            GenericDatumWriter<GenericRecord> writer = new GenericDatumWriter<>(SCHEMA);
            BinaryEncoder[] encoder = {null};
            IntToLongFunction plainEncode = i -> {
                out.reset();
                encoder[0] = EncoderFactory.get().binaryEncoder(out, encoder[0]);
                try {
                    writer.write(records.get(i % n), encoder[0]);
                    encoder[0].flush();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                return out.toByteArray().length;
            };
            IntToLongFunction registryEncode = i -> serializer.serialize("orders", records.get(i % n)).length;

            byte[][] plainBytes = new byte[n][];
            byte[][] wireBytes = new byte[n][];
            for (int i = 0; i < n; i++) {
                plainEncode.applyAsLong(i);
                plainBytes[i] = out.toByteArray();
                wireBytes[i] = serializer.serialize("orders", records.get(i));
            }
            GenericDatumReader<GenericRecord> reader = new GenericDatumReader<>(SCHEMA);
            BinaryDecoder[] decoder = {null};
            IntToLongFunction plainDecode = i -> {
                decoder[0] = DecoderFactory.get().binaryDecoder(plainBytes[i % n], decoder[0]);
                try {
                    return reader.read(null, decoder[0]).hashCode();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            };
            IntToLongFunction registryDecode = i -> deserializer.deserialize(wireBytes[i % n]).hashCode();

            // Alternate the two sides round by round and keep each side's best round, so a burst of load from other
            // processes on a shared machine does not land on one side only.
            double se = 0;
            double sr = 0;
            double de = 0;
            double dr = 0;
            run(plainEncode, warmup * 1_000_000_000L);
            run(registryEncode, warmup * 1_000_000_000L);
            run(plainDecode, warmup * 1_000_000_000L);
            run(registryDecode, warmup * 1_000_000_000L);
            // CPU time per operation of this thread as well: on a machine shared with other work, ops/s measures the
            // scheduler as much as the code; the thread's own CPU time depends less on it (not at all only when the
            // machine is quiet: caches and cores shared with other processes still move it).
            double[] cpu = {Double.MAX_VALUE, Double.MAX_VALUE, Double.MAX_VALUE, Double.MAX_VALUE};
            for (int round = 1; round <= rounds; round++) {
                se = Math.max(se, measure("serialize.plain", round, plainEncode, cpu, 0));
                sr = Math.max(sr, measure("serialize.registry", round, registryEncode, cpu, 1));
                de = Math.max(de, measure("deserialize.plain", round, plainDecode, cpu, 2));
                dr = Math.max(dr, measure("deserialize.registry", round, registryDecode, cpu, 3));
            }
            figures.add(new Figure("serialize.plain", "ops/s", se));
            figures.add(new Figure("serialize.registry", "ops/s", sr));
            figures.add(new Figure("serialize.ratio", "registry/plain", sr / se));
            figures.add(new Figure("deserialize.plain", "ops/s", de));
            figures.add(new Figure("deserialize.registry", "ops/s", dr));
            figures.add(new Figure("deserialize.ratio", "registry/plain", dr / de));
            figures.add(new Figure("serialize.plain.cpu", "ns/op", cpu[0]));
            figures.add(new Figure("serialize.registry.cpu", "ns/op", cpu[1]));
            figures.add(new Figure("serialize.cpu.ratio", "registry/plain", cpu[0] / cpu[1]));
            figures.add(new Figure("deserialize.plain.cpu", "ns/op", cpu[2]));
            figures.add(new Figure("deserialize.registry.cpu", "ns/op", cpu[3]));
            figures.add(new Figure("deserialize.cpu.ratio", "registry/plain", cpu[2] / cpu[3]));
            int id = client.lookup("orders-value", io.tributary.schema.SchemaText.avro(SCHEMA.toString()))
                    .orElseThrow().id();
            restLookups(server.url() + "/schemas/ids/" + id);
        } catch (Exception e) {
            throw new IllegalStateException("Registry benchmark failed: " + e, e);
        }
        report();
    }

    /** Ops/s of one round; also keeps the lowest CPU ns per op of this thread in {@code bestCpu[slot]}. */
    private double measure(String name, int round, IntToLongFunction op, double[] bestCpu, int slot) {
        long cpu0 = THREADS.getCurrentThreadCpuTime();
        long start = System.nanoTime();
        long count = run(op, seconds * 1_000_000_000L);
        double perSecond = count / ((System.nanoTime() - start) / 1e9);
        double cpuPerOp = (THREADS.getCurrentThreadCpuTime() - cpu0) / (double) count;
        bestCpu[slot] = Math.min(bestCpu[slot], cpuPerOp);
        System.out.printf(Locale.ROOT, "round %d %-22s %,14.0f ops/s %8.1f cpu ns/op%n", round, name, perSecond, cpuPerOp);
        return perSecond;
    }

    private long run(IntToLongFunction op, long nanos) {
        long end = System.nanoTime() + nanos;
        long ops = 0;
        while (System.nanoTime() < end) {
            for (int i = 0; i < 1024; i++) {
                sink += op.applyAsLong(i);
            }
            ops += 1024;
        }
        return ops;
    }

    private void restLookups(String url) throws Exception {
        try (HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
             ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            HttpRequest request = HttpRequest.newBuilder(URI.create(url))
                    .header("Accept", "application/vnd.schemaregistry.v1+json").GET().build();
            AtomicBoolean measuring = new AtomicBoolean(false);
            AtomicBoolean stop = new AtomicBoolean(false);
            List<Future<long[]>> workers = new ArrayList<>();
            Histogram latency = new Histogram(3_600_000_000L, 3);
            for (int t = 0; t < threads; t++) {
                workers.add(pool.submit(() -> {
                    long ok = 0;
                    Histogram mine = new Histogram(3_600_000_000L, 3);
                    while (!stop.get()) {
                        long t0 = System.nanoTime();
                        HttpResponse<byte[]> r = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
                        if (r.statusCode() != 200) {
                            throw new IllegalStateException("lookup answered " + r.statusCode());
                        }
                        if (measuring.get()) {
                            mine.recordValue((System.nanoTime() - t0) / 1000);
                            ok++;
                        }
                    }
                    synchronized (latency) {
                        latency.add(mine);
                    }
                    return new long[] {ok};
                }));
            }
            Thread.sleep(warmup * 1000L);
            measuring.set(true);
            long start = System.nanoTime();
            Thread.sleep(seconds * 1000L);
            measuring.set(false);
            double elapsed = (System.nanoTime() - start) / 1e9;
            stop.set(true);
            long total = 0;
            for (Future<long[]> f : workers) {
                total += f.get()[0];
            }
            double perSecond = total / elapsed;
            figures.add(new Figure("rest.lookups", "lookups/s", perSecond));
            figures.add(new Figure("rest.lookup.p50", "us", latency.getValueAtPercentile(50)));
            figures.add(new Figure("rest.lookup.p99", "us", latency.getValueAtPercentile(99)));
            System.out.printf(Locale.ROOT, "%-22s %,14.0f lookups/s (%d callers; p50 %d us, p99 %d us)%n",
                    "rest.lookups", perSecond, threads, latency.getValueAtPercentile(50),
                    latency.getValueAtPercentile(99));
        }
    }

    private void report() {
        for (Figure f : figures) {
            if (f.unit().equals("registry/plain")) {
                System.out.printf(Locale.ROOT, "%-24s %14.3f (target >= 0.80)%n", f.name(), f.value());
            } else if (f.unit().equals("ops/s")) {
                System.out.printf(Locale.ROOT, "best %-24s %,14.0f ops/s%n", f.name(), f.value());
            } else if (f.unit().equals("ns/op")) {
                System.out.printf(Locale.ROOT, "best %-24s %14.1f cpu ns/op%n", f.name(), f.value());
            }
        }
        if (json) {
            StringBuilder b = new StringBuilder("{\"suite\":\"registry\",\"figures\":[");
            for (int i = 0; i < figures.size(); i++) {
                Figure f = figures.get(i);
                b.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT,
                        "{\"name\":\"%s\",\"unit\":\"%s\",\"value\":%.3f}", f.name(), f.unit(), f.value()));
            }
            b.append("]}");
            System.out.println(b);
        }
        if (sink == 42) {
            System.out.print("");
        }
    }

    private static List<GenericRecord> records(int n) {
        List<GenericRecord> out = new ArrayList<>(n);
        Schema status = SCHEMA.getField("status").schema();
        for (int i = 0; i < n; i++) {
            GenericRecord r = new GenericData.Record(SCHEMA);
            r.put("orderId", "order-" + i);
            r.put("customerId", "customer-" + (i % 97));
            r.put("amountCents", 1_000L + i * 37L);
            r.put("quantity", 1 + i % 5);
            r.put("placedAt", 1_764_000_000_000L + i);
            r.put("currency", i % 3 == 0 ? "EUR" : "USD");
            r.put("status", new GenericData.EnumSymbol(status, status.getEnumSymbols().get(i % 3)));
            r.put("note", i % 4 == 0 ? "gift wrap" : null);
            out.add(r);
        }
        return out;
    }

    /** Runs the suite without the CLI, e.g. from an IDE. */
    public static void main(String[] args) {
        System.exit(new picocli.CommandLine(new RegistryBench()).execute(args));
    }
}
