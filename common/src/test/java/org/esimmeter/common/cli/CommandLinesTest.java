package org.esimmeter.common.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Callable;
import org.esimmeter.common.logging.LogLevel;
import org.esimmeter.common.logging.Logs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** Exit statuses and the one line of stderr, for bad input, failures and threads that die. */
class CommandLinesTest {
    private final PrintStream realErr = System.err;
    private final LogLevel realLevel = Logs.level();
    private final Thread.UncaughtExceptionHandler realHandler = Thread.getDefaultUncaughtExceptionHandler();

    @AfterEach
    void restore() {
        System.setErr(realErr);
        Logs.setLevel(realLevel);
        Thread.setDefaultUncaughtExceptionHandler(realHandler);
    }

    @Command(name = "demo")
    static final class Demo implements Callable<Integer> {
        @Parameters(index = "0")
        String what;

        @Override
        public Integer call() throws Exception {
            switch (what) {
                case "usage": throw new UsageException("thing : bad (expected: good)");
                case "fail": throw new IllegalStateException("disk on fire\nsecond line");
                case "thread":
                    final Thread thread = new Thread(() -> {
                        throw new IllegalArgumentException("lost");
                    }, "worker-7");
                    thread.start();
                    thread.join();
                    return 0;
                default: return 0;
            }
        }
    }

    private record Outcome(int exit, List<String> err, List<String> log) {
    }

    private static Outcome run(final String what) {
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final ByteArrayOutputStream log = new ByteArrayOutputStream();
        System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
        final int exit = CommandLines.execute("demo", new Demo(), new PrintStream(new ByteArrayOutputStream(), true,
            StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8), what);
        return new Outcome(exit, err.toString(StandardCharsets.UTF_8).lines().toList(),
            log.toString(StandardCharsets.UTF_8).lines().toList());
    }

    @Test
    void shouldExitTwoWithOneLineForBadInput() {
        final Outcome outcome = run("usage");
        assertEquals(2, outcome.exit());
        assertEquals(List.of("demo: thing : bad (expected: good)"), outcome.err());
    }

    @Test
    void shouldExitOneWithOneLineForAFailureAndTheTraceOnlyAtDebug() {
        Logs.setLevel(LogLevel.INFO);
        final Outcome quiet = run("fail");
        assertEquals(1, quiet.exit());
        assertEquals(List.of("demo: disk on fire second line"), quiet.err());
        assertEquals(List.of(), quiet.log());

        Logs.setLevel(LogLevel.DEBUG);
        final Outcome debug = run("fail");
        assertEquals(List.of("demo: disk on fire second line"), debug.err());
        assertTrue(debug.log().get(0).endsWith("DEBUG CommandLines - demo failed: IllegalStateException: disk on " +
            "fire second line"), debug.log()::toString);
        assertTrue(debug.log().stream().anyMatch(line -> line.contains("at org.esimmeter.common.cli.CommandLinesTest")),
            "no stack trace at debug");
    }

    @Test
    void shouldLogAThreadKilledByAnUncaughtExceptionAsOneLine() {
        Logs.setLevel(LogLevel.INFO);
        final Outcome outcome = run("thread");
        assertEquals(0, outcome.exit());
        assertEquals(1, outcome.log().size(), outcome.log()::toString);
        assertTrue(outcome.log().get(0).endsWith("ERROR CommandLines - thread worker-7 stopped by an uncaught " +
            "exception: IllegalArgumentException: lost"), outcome.log()::toString);
    }
}
