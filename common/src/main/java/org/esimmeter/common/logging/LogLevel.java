package org.esimmeter.common.logging;

import java.util.Locale;

/**
 * The levels an operator can choose, most severe first, with the syslog priority journald files each line under
 * ({@code journalctl -p warning} shows WARN and ERROR).
 */
public enum LogLevel {
    ERROR(3),
    WARN(4),
    INFO(6),
    DEBUG(7),
    TRACE(7);

    /** What every error message about a level lists. */
    public static final String EXPECTED = "error, warn, info, debug or trace";

    private final int syslogPriority;

    LogLevel(final int syslogPriority) {
        this.syslogPriority = syslogPriority;
    }

    public int syslogPriority() {
        return syslogPriority;
    }

    /** True if a line at {@code level} is written when this is the threshold. */
    public boolean admits(final LogLevel level) {
        return level.ordinal() <= ordinal();
    }

    /** The lower-case name, as written in configuration files and options. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** @return the level named by {@code text} (any case, surrounding blanks ignored), or null if none is */
    public static LogLevel parse(final String text) {
        if (text == null) {
            return null;
        }
        final String name = text.trim().toUpperCase(Locale.ROOT);
        for (final LogLevel level : values()) {
            if (level.name().equals(name)) {
                return level;
            }
        }
        return "WARNING".equals(name) ? WARN : null;
    }
}
