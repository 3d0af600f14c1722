package org.esimmeter.common.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What a log line looks like, and that the level switch takes effect on loggers that already exist. */
class LogsTest {
    // 2026-11-27T10:15:30.123Z
    private static final long MILLIS = 1_795_774_530_123L;

    private final PrintStream realErr = System.err;
    private final ByteArrayOutputStream captured = new ByteArrayOutputStream();
    private LogLevel realLevel;

    @TempDir
    Path directory;

    @BeforeEach
    void captureStderr() {
        realLevel = Logs.level();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restore() {
        System.setErr(realErr);
        Logs.setLevel(realLevel);
    }

    private List<String> lines() {
        final String text = captured.toString(StandardCharsets.UTF_8);
        return text.isEmpty() ? List.of() : Arrays.asList(text.split("\n"));
    }

    @Test
    void shouldStartWithAnIsoTimestampOutsideTheJournal() {
        assertEquals("2026-11-27T10:15:30.123Z WARN CollectorSink - collector down",
            Logs.line(false, MILLIS, LogLevel.WARN, "org.esimmeter.agent.ship.CollectorSink", "collector down", null));
    }

    @Test
    void shouldStartWithTheSyslogPriorityForJournald() {
        assertEquals("<3>ERROR Spool - x", Logs.line(true, MILLIS, LogLevel.ERROR, "a.b.Spool", "x", null));
        assertEquals("<4>WARN Spool - x", Logs.line(true, MILLIS, LogLevel.WARN, "a.b.Spool", "x", null));
        assertEquals("<6>INFO Spool - x", Logs.line(true, MILLIS, LogLevel.INFO, "a.b.Spool", "x", null));
        assertEquals("<7>DEBUG Spool - x", Logs.line(true, MILLIS, LogLevel.DEBUG, "a.b.Spool", "x", null));
    }

    @Test
    void shouldKeepAnEventOnOneLineWhateverTheMessageHolds() {
        assertEquals("<6>INFO X - peer said: bad  request  [31mred",
            Logs.line(true, MILLIS, LogLevel.INFO, "X", "peer said: bad\r\nrequest \u001b[31mred", null));
    }

    @Test
    void shouldGiveAThrowableAsItsOneLineReasonWithItsCauses() {
        final Exception e = new IllegalStateException("store failed", new ConnectException("Connection\nrefused"));
        assertEquals("<3>ERROR HttpErrors - request failed: IllegalStateException: store failed; caused by " +
            "ConnectException: Connection refused",
            Logs.line(true, MILLIS, LogLevel.ERROR, "org.esimmeter.collector.web.HttpErrors", "request failed", e));
    }

    @Test
    void shouldWriteNoStackTraceAtInfoAndTheWholeTraceAtDebug() {
        final Logger logger = LoggerFactory.getLogger("org.esimmeter.test.Traces");
        final Exception e = new IllegalStateException("boom");

        Logs.setLevel(LogLevel.INFO);
        logger.error("failed", e);
        assertEquals(1, lines().size(), captured::toString);
        assertTrue(lines().get(0).endsWith("ERROR Traces - failed: IllegalStateException: boom"), captured::toString);

        captured.reset();
        Logs.setLevel(LogLevel.DEBUG);
        logger.error("failed", e);
        assertTrue(lines().get(0).endsWith("ERROR Traces - failed: IllegalStateException: boom"), captured::toString);
        assertEquals("java.lang.IllegalStateException: boom", lines().get(1).replaceFirst("^<3>", ""));
        assertTrue(lines().get(2).contains("at org.esimmeter.common.logging.LogsTest."), captured::toString);
    }

    @Test
    void shouldSwitchTheLevelOfLoggersCreatedBefore() {
        final Logger logger = LoggerFactory.getLogger("org.esimmeter.test.Switch");
        Logs.setLevel(LogLevel.INFO);
        logger.debug("hidden {}", 1);
        logger.info("shown {}", 2);
        assertEquals(1, lines().size(), captured::toString);
        assertTrue(lines().get(0).endsWith("INFO Switch - shown 2"), captured::toString);

        Logs.setLevel(LogLevel.DEBUG);
        logger.debug("shown {}", 3);
        assertEquals(2, lines().size(), captured::toString);
        assertTrue(lines().get(1).endsWith("DEBUG Switch - shown 3"), captured::toString);

        Logs.setLevel(LogLevel.WARN);
        logger.info("hidden");
        logger.warn("shown 4");
        assertEquals(3, lines().size(), captured::toString);
        assertTrue(lines().get(2).endsWith("WARN Switch - shown 4"), captured::toString);
    }

    @Test
    void shouldKeepLibrariesAtWarningsUnlessTheLevelIsTrace() {
        final Logger library = LoggerFactory.getLogger("io.netty.util.Something");
        Logs.setLevel(LogLevel.DEBUG);
        assertFalse(library.isInfoEnabled());
        assertTrue(library.isWarnEnabled());
        Logs.setLevel(LogLevel.ERROR);
        assertFalse(library.isWarnEnabled());
        assertTrue(library.isErrorEnabled());
        Logs.setLevel(LogLevel.TRACE);
        assertTrue(library.isTraceEnabled());
    }

    @Test
    void shouldTrustJournalStreamOnlyWhenStderrIsThatStream() throws IOException {
        final Path file = Files.writeString(directory.resolve("stderr"), "");
        final long device = ((Number) Files.getAttribute(file, "unix:dev")).longValue();
        final long inode = ((Number) Files.getAttribute(file, "unix:ino")).longValue();

        assertTrue(Logs.stderrIsJournal(device + ":" + inode, file));
        assertFalse(Logs.stderrIsJournal(device + ":" + (inode + 1), file));
        assertFalse(Logs.stderrIsJournal(null, file));
        assertFalse(Logs.stderrIsJournal("", file));
        assertFalse(Logs.stderrIsJournal("garbage", file));
    }
}
