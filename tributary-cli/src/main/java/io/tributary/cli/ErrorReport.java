package io.tributary.cli;

import io.tributary.core.TributaryException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/**
 * Turns an exception thrown by a command into one line on standard error and an {@link ExitStatus}. A
 * {@link TributaryException} already says what to do, so it is printed as is with its code; anything else is a bug
 * or an environment problem, printed with its type (and the stack trace when {@code TRIBUTARY_DEBUG} is set).
 */
final class ErrorReport implements IExecutionExceptionHandler {

    @Override
    public int handleExecutionException(Exception ex, CommandLine commandLine, ParseResult parseResult) {
        PrintWriter err = commandLine.getErr();
        Throwable cause = unwrap(ex);
        int status;
        if (cause instanceof TributaryException te) {
            err.println(line(te));
            status = ExitStatus.of(te);
        } else if (cause instanceof IOException || cause instanceof UncheckedIOException) {
            err.println("Error: " + oneLine(String.valueOf(cause.getMessage()))
                    + " (an I/O error; check the path, free space and permissions) [IO_ERROR]");
            status = ExitStatus.FAILED;
        } else {
            err.println("Error: " + oneLine(cause.toString()) + " (unexpected; rerun with TRIBUTARY_DEBUG=1 for the "
                    + "stack trace and report it) [INTERNAL]");
            status = ExitStatus.FAILED;
        }
        if (System.getenv("TRIBUTARY_DEBUG") != null) {
            cause.printStackTrace(err);
        }
        err.flush();
        return status;
    }

    /** The one line printed for a Tributary error: its message, then its code. */
    static String line(TributaryException e) {
        return "Error: " + oneLine(e.getMessage()) + " [" + e.code() + "]";
    }

    private static Throwable unwrap(Throwable t) {
        Throwable c = t;
        while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) {
            c = c.getCause();
        }
        return c;
    }

    private static String oneLine(String s) {
        return s.replace("\r\n", " ").replace('\n', ' ').replace('\r', ' ');
    }
}
