package org.esimmeter.common.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * Runs a picocli command the way Unix users expect of both daemons: usage errors and {@link UsageException}s are
 * one line on stderr prefixed with the program's name and exit status 2; any other failure is one line and exit
 * status 1; never a stack trace (except at log level debug). A thread that dies of an uncaught exception is one
 * ERROR log line too, not the JVM's multi-line trace on stderr.
 */
public final class CommandLines {
    private static final Logger LOG = LoggerFactory.getLogger(CommandLines.class);

    /** Bad input: command line, configuration, interface, file. */
    public static final int EXIT_USAGE = 2;
    /** Failed while running. */
    public static final int EXIT_FAILURE = 1;

    private CommandLines() {
    }

    /** @return the exit status */
    public static int execute(final String program, final Object command, final PrintStream out,
        final PrintStream err, final String... args) {
        Thread.setDefaultUncaughtExceptionHandler((thread, e) ->
            LOG.error("thread {} stopped by an uncaught exception", thread.getName(), e));
        final CommandLine commandLine = new CommandLine(command);
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        commandLine.setExecutionExceptionHandler((e, line, parseResult) -> {
            LOG.debug("{} failed", line.getCommandSpec().qualifiedName(), e);
            err.println(program + ": " + message(e));
            return e instanceof UsageException ? EXIT_USAGE : EXIT_FAILURE;
        });
        commandLine.setParameterExceptionHandler((e, arguments) -> {
            err.println(program + ": " + e.getMessage());
            err.println("Try '" + e.getCommandLine().getCommandSpec().qualifiedName() + " --help' for more information.");
            return EXIT_USAGE;
        });
        return commandLine.execute(args);
    }

    private static String message(final Throwable e) {
        final String message = e.getMessage();
        return message == null || message.isBlank() ? e.toString() : message.replace('\n', ' ');
    }
}
