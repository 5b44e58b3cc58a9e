package io.tributary.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/**
 * One run of {@code tributary bench <suite> ...} in this JVM, as the suite tests see it: exit code, stdout, stderr.
 */
public record BenchRun(int exitCode, String out, String err) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Runs {@code tributary bench} with these arguments (the suite name first) and waits until it ends. */
    public static BenchRun of(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cmd = new CommandLine(new BenchCommand());
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        int code = cmd.execute(args);
        return new BenchRun(code, out.toString(), err.toString());
    }

    /** The last stdout line, parsed as the JSON object that {@code --json} prints there. */
    public JsonNode lastLineJson() throws Exception {
        String[] lines = out.strip().split("\n");
        return JSON.readTree(lines[lines.length - 1]);
    }
}
