package org.esimmeter.collector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The collector's jar as an operator runs it: its version, and its log — which level is in effect (command line,
 * then ESIM_METER_LOG_LEVEL, then logging.level), and the line format inside and outside journald.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class CollectorCommandsIT {
    private static final String TOKEN = "token-of-router-a-0123456789";
    private static final Pattern TIMESTAMPED = Pattern.compile("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z " +
        "(ERROR|WARN|INFO|DEBUG|TRACE) \\S+ - .*");
    private static final String DEBUG_CONFIGURATION = " DEBUG CollectorMain - configuration: listen 127.0.0.1:";

    @TempDir
    Path directory;

    /** Exit status, stdout and stderr of a finished run. */
    private record Finished(int exit, String out, List<String> err) {
    }

    private ProcessBuilder collector(final Map<String, String> environment, final String... args) {
        final List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
            .toString(), "-jar", System.getProperty("collector.jar")));
        command.addAll(List.of(args));
        final ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().remove("JOURNAL_STREAM");
        builder.environment().remove("ESIM_METER_LOG_LEVEL");
        builder.environment().putAll(environment);
        return builder;
    }

    private Finished finish(final ProcessBuilder builder) throws Exception {
        final Path out = directory.resolve("out.txt");
        final Path err = directory.resolve("err.txt");
        final Process process = builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "still running after 30 s");
        return new Finished(process.exitValue(), Files.readString(out), Files.readAllLines(err));
    }

    /** Starts the collector with {@code logging}, waits until it answers, stops it with SIGTERM; its stderr. */
    private List<String> logOfARun(final String logging, final Map<String, String> environment,
        final String... options) throws Exception {
        final int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        final Path config = Files.writeString(directory.resolve("collector.yaml"), "listen:\n  port: " + port +
            "\ndataDirectory: " + directory.resolve("data") + "\nagents:\n  router-a:\n    token: " + TOKEN + "\n" +
            logging);
        final List<String> args = new ArrayList<>(List.of("run", "--config", config.toString()));
        args.addAll(List.of(options));
        final Path err = directory.resolve("collector.log");
        final Process process = collector(environment, args.toArray(new String[0]))
            .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(err.toFile()).start();
        try {
            // Not the log line we wait for: at level warn there is none.
            awaitHealthy(port, process);
            process.destroy();
            assertTrue(process.waitFor(30, TimeUnit.SECONDS), "still running 30 s after SIGTERM");
            assertEquals(0, process.exitValue(), () -> String.join("\n", read(err)));
        } finally {
            process.destroyForcibly();
        }
        return read(err);
    }

    private static void awaitHealthy(final int port, final Process process) throws InterruptedException {
        final HttpClient client = HttpClient.newHttpClient();
        final long deadlineNs = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (true) {
            assertTrue(process.isAlive(), "the collector exited before answering");
            try {
                final HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" +
                    port + "/healthz")).build(), HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200) {
                    return;
                }
            } catch (final IOException e) {
                // not listening yet
            }
            assertTrue(System.nanoTime() - deadlineNs < 0, "the collector did not answer /healthz within 20 s");
            Thread.sleep(50);
        }
    }

    private static List<String> read(final Path file) {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (final IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long count(final List<String> log, final String part) {
        return log.stream().filter(line -> line.contains(part)).count();
    }

    @Test
    void versionShouldBeTheMavenProjectVersion() throws Exception {
        final Finished version = finish(collector(Map.of(), "--version"));
        assertEquals(0, version.exit(), version::toString);
        assertEquals("esim-meter-collector " + System.getProperty("project.version"), version.out().lines()
            .findFirst().orElse(""), version::toString);
        assertEquals(List.of(), version.err());
    }

    @Test
    void helpShouldListTheCommandsAndExitZero() throws Exception {
        final Finished help = finish(collector(Map.of(), "--help"));
        assertEquals(0, help.exit(), help::toString);
        assertTrue(help.out().startsWith("Usage: esim-meter-collector [-hV] [COMMAND]\n"), help::toString);
        assertTrue(help.out().contains("\n  run  ") && help.out().contains("\n  check-config  "), help::toString);
    }

    @Test
    void shouldLogAtInfoByDefaultWithATimestampOutsideJournald() throws Exception {
        final List<String> log = logOfARun("", Map.of());
        assertFalse(log.isEmpty());
        for (final String line : log) {
            assertTrue(TIMESTAMPED.matcher(line).matches(), "not one timestamped event per line: " + line);
        }
        assertEquals(1, count(log, " INFO CollectorMain - esim-meter-collector " + System.getProperty("project.version") +
            " starting with " + directory.resolve("collector.yaml") + " (log level info)"), log::toString);
        assertEquals(1, count(log, "listening on http://127.0.0.1:"), log::toString);
        assertEquals(0, count(log, " DEBUG "), log::toString);
    }

    @Test
    void shouldLogDebugLinesOnlyWhenAskedAndTheOptionShouldWin() throws Exception {
        final List<String> fromFile = logOfARun("logging:\n  level: debug\n", Map.of());
        assertEquals(1, count(fromFile, DEBUG_CONFIGURATION), fromFile::toString);
        assertEquals(1, count(fromFile, "(log level debug)"), fromFile::toString);

        final List<String> fromEnvironment = logOfARun("logging:\n  level: warn\n",
            Map.of("ESIM_METER_LOG_LEVEL", "debug"));
        assertEquals(1, count(fromEnvironment, DEBUG_CONFIGURATION), fromEnvironment::toString);

        final List<String> fromOption = logOfARun("logging:\n  level: debug\n",
            Map.of("ESIM_METER_LOG_LEVEL", "debug"), "--log-level", "info");
        assertEquals(0, count(fromOption, " DEBUG "), fromOption::toString);
        assertEquals(1, count(fromOption, "(log level info)"), fromOption::toString);
    }

    @Test
    void shouldLogNothingAtWarnWhenNothingIsWrong() throws Exception {
        assertEquals(List.of(), logOfARun("logging:\n  level: warn\n", Map.of()));
    }

    @Test
    void shouldPrefixTheSyslogPriorityWhenStderrIsTheJournalStream() throws Exception {
        // systemd names its stream by device and inode; here stderr is a file, named the same way.
        final Path err = Files.createFile(directory.resolve("collector.log"));
        final String stream = Files.getAttribute(err, "unix:dev") + ":" + Files.getAttribute(err, "unix:ino");
        final List<String> log = logOfARun("", Map.of("JOURNAL_STREAM", stream));
        assertFalse(log.isEmpty());
        for (final String line : log) {
            assertTrue(line.startsWith("<6>INFO "), "not a journald line: " + line);
        }
        assertEquals(1, count(log, "<6>INFO CollectorMain - esim-meter-collector "), log::toString);

        // The variable inherited by a process whose stderr went elsewhere does not count.
        final List<String> elsewhere = logOfARun("", Map.of("JOURNAL_STREAM", stream.split(":")[0] + ":1"));
        assertTrue(TIMESTAMPED.matcher(elsewhere.get(0)).matches(), elsewhere::toString);
    }

    @Test
    void shouldRefuseABadLevelInTheEnvironmentNamingIt() throws Exception {
        final Path config = Files.writeString(directory.resolve("collector.yaml"), "listen:\n  port: 0\n" +
            "dataDirectory: " + directory.resolve("data") + "\nagents:\n  router-a:\n    token: " + TOKEN + "\n");
        final Finished run = finish(collector(Map.of("ESIM_METER_LOG_LEVEL", "chatty"), "run", "--config",
            config.toString()));
        assertEquals(2, run.exit(), run::toString);
        assertEquals(List.of("esim-meter-collector: ESIM_METER_LOG_LEVEL : chatty (expected: error, warn, info, " +
            "debug or trace)"), run.err());
    }
}
