package io.tributary.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

/** The options the suites share through picocli mixins parse and document the same in every suite using them. */
class BenchOptionsTest {

    @ParameterizedTest
    @ValueSource(strings = {"log", "pipeline"})
    void json_is_off_unless_given_and_on_when_given(String suite) {
        assertThat(parse(suite).subcommand().matchedOptionValue("--json", false)).isFalse();
        assertThat(parse(suite, "--json").subcommand().matchedOptionValue("--json", false)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"log", "pipeline"})
    void help_describes_json_once_with_the_shared_text(String suite) {
        StringWriter out = new StringWriter();
        CommandLine cmd = new CommandLine(new BenchCommand());
        cmd.setOut(new PrintWriter(out, true));
        assertThat(cmd.execute(suite, "--help")).isZero();
        String help = out.toString().replaceAll("\\s+", " ");
        String entry = "--json Print every figure as one JSON object on the last stdout line.";
        assertThat(help).contains(entry);
        assertThat(help.indexOf(entry)).as("--json described once").isEqualTo(help.lastIndexOf(entry));
    }

    @ParameterizedTest
    @ValueSource(strings = {"log", "pipeline"})
    void help_renders_every_description_without_picocli_warnings(String suite) {
        // picocli formats each description with String.format: a bare '%' (as in "a 90% interval") fails it, and picocli
        // then prints a warning to stderr three times and the unformatted text.
        StringWriter out = new StringWriter();
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        java.io.PrintStream stderr = System.err;
        System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            CommandLine cmd = new CommandLine(new BenchCommand());
            cmd.setOut(new PrintWriter(out, true));
            assertThat(cmd.execute(suite, "--help")).isZero();
        } finally {
            System.setErr(stderr);
        }
        assertThat(err.toString(java.nio.charset.StandardCharsets.UTF_8)).doesNotContain("picocli WARN");
    }

    private static ParseResult parse(String... args) {
        return new CommandLine(new BenchCommand()).parseArgs(args);
    }
}
