package io.tributary.cli;

import io.tributary.schema.RegistryServer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code tributary registry}: serves the schema registry until the process is asked to stop. */
@Command(name = "registry", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run the Avro schema registry (Confluent-compatible REST API) on the embedded log.",
            "Keeps its state in the compacted topic '_schemas' in --data-dir; runs until Ctrl-C. See docs/schema.md."},
        footerHeading = "%nExample:%n",
        footer = "  tributary registry --port 8081 --data-dir data    # then: curl http://127.0.0.1:8081/subjects")
final class RegistryCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--host", paramLabel = "HOST", defaultValue = RegistryServer.DEFAULT_HOST,
            description = "Address to listen on (default: ${DEFAULT-VALUE}, this machine only).")
    String host = RegistryServer.DEFAULT_HOST;

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "8081",
            description = "Port to listen on; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int port = RegistryServer.DEFAULT_PORT;

    @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "./data",
            description = "Folder of the embedded log holding '_schemas' (default: ${DEFAULT-VALUE}).")
    Path dataDir = Path.of("./data");

    @Override
    public Integer call() throws InterruptedException {
        RegistryServer server = RegistryServer.start(host, port, dataDir);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.stop();
            stopped.countDown();
        }, "tributary-registry-stop"));
        PrintWriter out = spec.commandLine().getOut();
        out.println("Schema registry listening on " + server.url() + " (data in " + dataDir.toAbsolutePath()
                + "); Ctrl-C to stop.");
        out.flush();
        stopped.await();
        return ExitStatus.OK;
    }
}
