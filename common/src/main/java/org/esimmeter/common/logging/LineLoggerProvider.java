package org.esimmeter.common.logging;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.Logger;
import org.slf4j.helpers.BasicMarkerFactory;
import org.slf4j.helpers.NOPMDCAdapter;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

/**
 * The slf4j backend of both daemons (found by ServiceLoader), in place of slf4j-simple: that one fixes each
 * logger's level when the logger is created — before the configuration file that sets it is read — and prints a
 * throwable as a multi-line stack trace, which journald stores as one entry per line. See {@link Logs}.
 */
public final class LineLoggerProvider implements SLF4JServiceProvider {
    private ILoggerFactory loggers;
    private IMarkerFactory markers;
    private MDCAdapter mdc;

    @Override
    public void initialize() {
        final ConcurrentMap<String, Logger> created = new ConcurrentHashMap<>();
        loggers = name -> created.computeIfAbsent(name, LineLogger::new);
        markers = new BasicMarkerFactory();
        mdc = new NOPMDCAdapter();
    }

    @Override
    public ILoggerFactory getLoggerFactory() {
        return loggers;
    }

    @Override
    public IMarkerFactory getMarkerFactory() {
        return markers;
    }

    @Override
    public MDCAdapter getMDCAdapter() {
        return mdc;
    }

    @Override
    public String getRequestedApiVersion() {
        return "2.0.99";
    }
}
