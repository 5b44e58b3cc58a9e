package io.tributary.cli;

import io.tributary.schema.RegistryServer;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tributary registry}: serves the Avro schema registry (Confluent-compatible REST API) until stopped. Its
 * state lives in a compacted topic of the embedded log under {@code --data-dir}, so it survives restarts.
 */
@Command(name = "registry", mixinStandardHelpOptions = true,
        description = {"Serve the Avro schema registry, with the Confluent Schema Registry REST API, until Ctrl-C.",
            "Existing Confluent clients and tools work against it, e.g.",
            "  curl http://127.0.0.1:8081/subjects",
            "State is kept in the '_schemas' topic of the embedded log in --data-dir. See docs/schema.md."})
final class RegistryCommand implements Callable<Integer> {

    @Option(names = "--port", defaultValue = "" + RegistryServer.DEFAULT_PORT,
            description = "Port to listen on (default: ${DEFAULT-VALUE}; 0 picks a free one).")
    int port;

    @Option(names = "--host", defaultValue = RegistryServer.DEFAULT_HOST,
            description = "Address to bind (default: ${DEFAULT-VALUE}, this machine only).")
    String host = RegistryServer.DEFAULT_HOST;

    @Option(names = "--data-dir", defaultValue = "data",
            description = "Folder of the embedded log that stores the registry (default: ${DEFAULT-VALUE}).")
    Path dataDir = Path.of("data");

    @Override
    public Integer call() throws InterruptedException {
        RegistryServer.run(host, port, dataDir);
        return ExitStatus.OK;
    }
}
