package org.esimmeter.common.logging;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Where both daemons' log lines go and what they look like: one line per event on stderr, in a form journald keeps
 * well. Under systemd (stderr is the journal stream named by {@code JOURNAL_STREAM}) a line starts with the syslog
 * priority, {@code <4>WARN CollectorSink - ...}, which journald strips and files the line under (so
 * {@code journalctl -p warning} works) and journald adds the time; anywhere else it starts with an ISO-8601 UTC
 * timestamp, {@code 2026-11-27T10:15:30.123Z WARN CollectorSink - ...}. No colour codes, and control characters in a
 * message (a newline in a peer's error text) become spaces, so an event is never split.
 * <p>
 * A throwable adds its one-line reason (type and message, and its causes'); the stack trace follows only when the
 * logger is at debug or trace. The threshold ({@link #setLevel}) applies to esim-meter's own loggers; libraries
 * (pcap4j, netty, JNA, SQLite) log warnings and errors only, unless the level is trace.
 */
public final class Logs {
    /** Environment variable naming the level; the command line's {@code --log-level} beats it, it beats the file. */
    public static final String LEVEL_ENVIRONMENT = "ESIM_METER_LOG_LEVEL";

    private static final String OWN_LOGGERS = "org.esimmeter.";
    private static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ISO_INSTANT;
    private static final int MAX_CAUSES = 8;

    // Read on every enabled-check of every logger; written when a command has resolved the level.
    private static volatile LogLevel level = initialLevel(System.getenv(LEVEL_ENVIRONMENT));
    private static final boolean JOURNAL = stderrIsJournal(System.getenv("JOURNAL_STREAM"), Path.of("/proc/self/fd/2"));

    private Logs() {
    }

    public static LogLevel level() {
        return level;
    }

    /** Takes effect at once for every logger, those created before included. */
    public static void setLevel(final LogLevel newLevel) {
        level = newLevel;
    }

    /** True if lines go to journald, which then adds the timestamps itself. */
    public static boolean toJournal() {
        return JOURNAL;
    }

    static boolean isOwn(final String loggerName) {
        return loggerName.startsWith(OWN_LOGGERS);
    }

    static boolean enabled(final boolean own, final LogLevel lineLevel) {
        final LogLevel threshold = level;
        if (own || threshold == LogLevel.TRACE) {
            return threshold.admits(lineLevel);
        }
        return (threshold.admits(LogLevel.WARN) ? LogLevel.WARN : threshold).admits(lineLevel);
    }

    static void write(final boolean own, final String shortName, final LogLevel lineLevel, final String message,
        final Throwable thrown) {
        final StringBuilder text = new StringBuilder(line(JOURNAL, System.currentTimeMillis(), lineLevel, shortName,
            message, thrown)).append('\n');
        if (thrown != null && enabled(own, LogLevel.DEBUG)) {
            final StringWriter trace = new StringWriter();
            thrown.printStackTrace(new PrintWriter(trace));
            final String prefix = JOURNAL ? "<" + lineLevel.syslogPriority() + ">" : "";
            for (final String traceLine : trace.toString().split("\r?\n")) {
                text.append(prefix).append(traceLine).append('\n');
            }
        }
        final PrintStream err = System.err;
        // One print per event: PrintStream writes a whole string under its lock, so threads never interleave.
        err.print(text);
        err.flush();
    }

    /**
     * One event as one line, without the line end.
     *
     * @param journal true for journald's priority prefix, false for an ISO-8601 timestamp
     */
    public static String line(final boolean journal, final long epochMillis, final LogLevel lineLevel,
        final String loggerName, final String message, final Throwable thrown) {
        final StringBuilder line = new StringBuilder(128);
        if (journal) {
            line.append('<').append(lineLevel.syslogPriority()).append('>');
        } else {
            TIMESTAMP.formatTo(Instant.ofEpochMilli(epochMillis), line);
            line.append(' ');
        }
        line.append(lineLevel.name()).append(' ').append(shortName(loggerName)).append(" - ");
        appendOneLine(line, message == null ? "null" : message);
        if (thrown != null) {
            line.append(": ");
            appendOneLine(line, reason(thrown));
        }
        return line.toString();
    }

    /** {@code IOException: Connection refused; caused by ...}: a throwable and its causes on one line. */
    public static String reason(final Throwable thrown) {
        final StringBuilder reason = new StringBuilder();
        final Map<Throwable, Boolean> seen = new IdentityHashMap<>();
        Throwable cause = thrown;
        for (int depth = 0; cause != null && depth < MAX_CAUSES && seen.put(cause, Boolean.TRUE) == null; depth++) {
            if (depth > 0) {
                reason.append("; caused by ");
            }
            final String type = cause.getClass().getSimpleName();
            reason.append(type.isEmpty() ? cause.getClass().getName() : type);
            if (cause.getMessage() != null) {
                reason.append(": ").append(cause.getMessage());
            }
            cause = cause.getCause();
        }
        return reason.toString();
    }

    static String shortName(final String loggerName) {
        return loggerName.substring(loggerName.lastIndexOf('.') + 1);
    }

    private static void appendOneLine(final StringBuilder line, final String text) {
        for (int i = 0; i < text.length(); i++) {
            final char c = text.charAt(i);
            // A newline would split the event; ESC would let a peer's text colour or rewrite the terminal.
            line.append(c < 0x20 || c == 0x7F ? ' ' : c);
        }
    }

    /** The level from the environment when it names one; a bad value is reported by the command, not here. */
    private static LogLevel initialLevel(final String environment) {
        final LogLevel parsed = LogLevel.parse(environment);
        return parsed == null ? LogLevel.INFO : parsed;
    }

    /**
     * systemd sets {@code JOURNAL_STREAM=DEVICE:INODE} of the stream it connected; a child whose stderr was
     * redirected inherits the variable, so it counts only if stderr is still that stream.
     */
    static boolean stderrIsJournal(final String journalStream, final Path stderr) {
        if (journalStream == null || journalStream.isBlank()) {
            return false;
        }
        final String[] parts = journalStream.trim().split(":");
        if (parts.length != 2) {
            return false;
        }
        try {
            final long device = ((Number) Files.getAttribute(stderr, "unix:dev")).longValue();
            final long inode = ((Number) Files.getAttribute(stderr, "unix:ino")).longValue();
            return Long.parseLong(parts[0]) == device && Long.parseLong(parts[1]) == inode;
        } catch (final NumberFormatException e) {
            return false;
        } catch (final Exception e) {
            // No /proc or no unix attributes: trust the variable, as systemd's own tools do without fstat.
            return true;
        }
    }
}
