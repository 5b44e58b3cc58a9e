package io.tributary.cli;

import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/** Runs {@code tributary} in this JVM exactly as {@code main} does, with given standard input, capturing output. */
final class Shell {

    private Shell() {
    }

    /** What a command printed and how it exited. */
    record Outcome(int status, String out, String err) {

        List<String> outLines() {
            return out.isEmpty() ? List.of() : Arrays.asList(out.split("\n"));
        }

        List<String> errLines() {
            return err.isEmpty() ? List.of() : Arrays.asList(err.split("\n"));
        }

        @Override
        public String toString() {
            return "status " + status + "\n--- out ---\n" + out + "--- err ---\n" + err;
        }
    }

    static Outcome run(String... args) {
        return runWithInput("", args);
    }

    static Outcome runWithInput(String stdin, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = TributaryCli.run(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                new PrintWriter(out), new PrintWriter(err), args);
        return new Outcome(status, out.toString().replace("\r\n", "\n"), err.toString().replace("\r\n", "\n"));
    }
}
