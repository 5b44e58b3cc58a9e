package io.tributary.cli;

import io.tributary.bench.BenchCommand;
import java.io.BufferedWriter;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code tributary}: the command line. Run it through {@code ./tributary} at the repository root, which finds a JDK
 * and builds the jar on first use.
 *
 * <p>Results go to standard output, progress and errors to standard error. {@link #run} is the whole program with
 * its streams passed in, so tests run it exactly as a user does.
 */
@Command(name = "tributary", mixinStandardHelpOptions = true, versionProvider = TributaryCli.Version.class,
        description = "Tributary: a partitioned, durable event log and the tools around it.%n"
                + "Start with 'tributary demo', then 'tributary log --help'.",
        subcommands = {DemoCommand.class, LogCommand.class, RegistryCommand.class, OutboxCommand.class,
            DlqCommand.class, CommandLine.HelpCommand.class},
        exitCodeListHeading = "%nExit status:%n", exitCodeList = {
            "0:done",
            "1:a check failed, or an unexpected error",
            "2:bad command line or bad input",
            "3:not found (topic, group)",
            "4:conflict with the current state (e.g. topic exists)",
            "5:temporary condition; try again",
            "6:stored data is corrupt",
            "7:not authorized",
        })
public final class TributaryCli implements Runnable {

    @Spec
    CommandSpec spec;

    private final InputStream stdin;

    private TributaryCli(InputStream stdin) {
        this.stdin = stdin;
    }

    /** Standard input as given to {@link #run}; {@code produce} reads records from it. */
    InputStream stdin() {
        return stdin;
    }

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(),
                "Missing command: try 'tributary demo', 'tributary log --help' or 'tributary --help'.");
    }

    /** Runs the command line on the process's own streams and exits with its status. */
    public static void main(String[] args) {
        // One SLF4J provider, chosen here, even if a library brings another onto the class path.
        if (System.getProperty("slf4j.provider") == null) {
            System.setProperty("slf4j.provider", "org.slf4j.simple.SimpleServiceProvider");
            System.setProperty("slf4j.internal.verbosity", "WARN");
        }
        PrintWriter out = new PrintWriter(new BufferedWriter(new OutputStreamWriter(
                new FileOutputStream(FileDescriptor.out), StandardCharsets.UTF_8), 1 << 16), false);
        PrintWriter err = new PrintWriter(new OutputStreamWriter(
                new FileOutputStream(FileDescriptor.err), StandardCharsets.UTF_8), true);
        int status = run(System.in, out, err, args);
        out.flush();
        err.flush();
        System.exit(status);
    }

    /**
     * Runs one command line. Commands flush {@code out} whenever a reader must see a line at once (e.g.
     * {@code produce --print-acks}); everything is flushed before this returns.
     *
     * @return the {@link ExitStatus}
     */
    public static int run(InputStream in, PrintWriter out, PrintWriter err, String... args) {
        CommandLine cli = commandLine(in);
        cli.setOut(out);
        cli.setErr(err);
        try {
            return cli.execute(args);
        } finally {
            out.flush();
            err.flush();
        }
    }

    /** The command tree, with {@code bench} registered and errors reported as one line each. */
    static CommandLine commandLine(InputStream in) {
        CommandLine cli = new CommandLine(new TributaryCli(in));
        cli.addSubcommand("bench", new BenchCommand());
        cli.setExecutionExceptionHandler(new ErrorReport());
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        cli.setUsageHelpAutoWidth(true);
        return cli;
    }

    /** The version from the jar manifest, or "development build" when run from classes. */
    static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = TributaryCli.class.getPackage().getImplementationVersion();
            return new String[] {"tributary " + (v == null ? "(development build)" : v),
                "Java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")"};
        }
    }
}
