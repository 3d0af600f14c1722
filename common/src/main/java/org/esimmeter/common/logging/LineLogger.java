package org.esimmeter.common.logging;

import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;

/** An slf4j logger that writes one line per event through {@link Logs}; its threshold can change at any time. */
final class LineLogger extends LegacyAbstractLogger {
    private static final long serialVersionUID = 1L;

    private final String shortName;
    private final boolean own;

    LineLogger(final String name) {
        this.name = name;
        this.shortName = Logs.shortName(name);
        this.own = Logs.isOwn(name);
    }

    @Override
    public boolean isTraceEnabled() {
        return Logs.enabled(own, LogLevel.TRACE);
    }

    @Override
    public boolean isDebugEnabled() {
        return Logs.enabled(own, LogLevel.DEBUG);
    }

    @Override
    public boolean isInfoEnabled() {
        return Logs.enabled(own, LogLevel.INFO);
    }

    @Override
    public boolean isWarnEnabled() {
        return Logs.enabled(own, LogLevel.WARN);
    }

    @Override
    public boolean isErrorEnabled() {
        return Logs.enabled(own, LogLevel.ERROR);
    }

    @Override
    protected String getFullyQualifiedCallerName() {
        return null;
    }

    @Override
    protected void handleNormalizedLoggingCall(final Level level, final Marker marker, final String pattern,
        final Object[] arguments, final Throwable thrown) {
        Logs.write(own, shortName, levelOf(level), MessageFormatter.basicArrayFormat(pattern, arguments), thrown);
    }

    private static LogLevel levelOf(final Level level) {
        switch (level) {
            case ERROR: return LogLevel.ERROR;
            case WARN: return LogLevel.WARN;
            case INFO: return LogLevel.INFO;
            case DEBUG: return LogLevel.DEBUG;
            default: return LogLevel.TRACE;
        }
    }
}
