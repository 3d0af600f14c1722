package org.esimmeter.common.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import org.esimmeter.common.logging.LogLevel;

/**
 * The {@code logging:} section both configuration files share. The command line's {@code --log-level} and the
 * environment variable {@code ESIM_METER_LOG_LEVEL} override it (see {@code LogLevelOption}).
 */
public record LoggingConfig(@JsonProperty("level") String level) {
    public static final LoggingConfig DEFAULTS = new LoggingConfig(null);

    public LoggingConfig {
        level = level == null || level.isBlank() ? null : level.trim();
        if (level != null && LogLevel.parse(level) == null) {
            throw new ConfigException("logging.level : " + level + " (expected: " + LogLevel.EXPECTED + ")");
        }
    }

    /** The configured level, or null when the file leaves it to the default. */
    public LogLevel threshold() {
        return LogLevel.parse(level);
    }
}
